//! "Editar" and "Apagar" on a row of a screen that keeps things (quick answers, labels): "Apagar" asks first
//! ("Sim, apagar" / "Cancelar"), and a refused deletion says why under the row.

use leptos::prelude::*;

#[component]
pub(crate) fn EditOrDelete(
    /// What "Apagar" asks ("Apagar “X”?").
    question: String,
    on_edit: Callback<()>,
    on_delete: Callback<()>,
    /// While the deletion is on its way.
    #[prop(into)]
    pending: Signal<bool>,
    /// Why the deletion was refused, if it was.
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let question = StoredValue::new(question);
    view! {
        <div class="form-actions">
            <Show
                when=move || confirming.get()
                fallback=move || {
                    view! {
                        <button type="button" class="secondary" on:click=move |_| on_edit.run(())>"Editar"</button>
                        <button type="button" class="secondary" on:click=move |_| confirming.set(true)>"Apagar"</button>
                    }
                }
            >
                <span>{question.get_value()}</span>
                <button type="button" class="secondary" on:click=move |_| confirming.set(false)>"Cancelar"</button>
                <button type="button" class="danger" disabled=move || pending.get() on:click=move |_| on_delete.run(())>
                    "Sim, apagar"
                </button>
            </Show>
        </div>
        <p class="error" role="alert">{move || error.get()}</p>
    }
}
