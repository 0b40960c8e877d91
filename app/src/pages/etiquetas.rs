//! "Etiquetas": the colour labels agents put on conversations, kept here by admins (an agent sees them and
//! what they mean). The same checks run as the admin types (the browser) and when "Salvar" arrives (the
//! server); a refusal changes nothing.

use crate::components::row_actions::EditOrDelete;
use crate::labels::{labels, DeleteLabel, SaveLabel};
use atende_domain::label::{Color, LabelForm, SavedLabel};
use leptos::prelude::*;

#[component]
pub(crate) fn EtiquetasPage() -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let data = crate::wire::load(move || version.get(), |_| labels());
    let changed = Callback::new(move |()| version.update(|v| *v += 1));
    let editing = RwSignal::new(None::<SavedLabel>);
    view! {
        <div class="crm labels-page">
            <header class="crm-header">
                <a href="/" class="back">"← Atendimentos"</a>
                <h1>"Etiquetas"</h1>
            </header>
            <Transition fallback=|| view! { <p class="muted">"Carregando…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(data) => {
                            let manages = data.manages;
                            view! {
                                {if manages {
                                    view! { <LabelFormView editing changed /> }.into_any()
                                } else {
                                    view! {
                                        <p class="muted">
                                            "Só administradores criam, mudam ou apagam etiquetas. Coloque-as no atendimento, pelo cabeçalho da conversa."
                                        </p>
                                    }
                                        .into_any()
                                }}
                                <LabelRows labels=data.labels manages editing changed />
                            }
                                .into_any()
                        }
                        Err(error) => view! { <p role="alert" class="error">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// A label as a chip, in its colour.
#[component]
pub(crate) fn LabelChip(saved: SavedLabel) -> impl IntoView {
    view! {
        <span class=format!("label-chip label-{}", saved.label.color().code())>{saved.label.name().to_owned()}</span>
    }
}

#[component]
fn LabelRows(
    labels: Vec<SavedLabel>,
    manages: bool,
    editing: RwSignal<Option<SavedLabel>>,
    changed: Callback<()>,
) -> impl IntoView {
    if labels.is_empty() {
        return view! { <p class="muted empty-list">"Nenhuma etiqueta ainda."</p> }.into_any();
    }
    view! {
        <ul class="rows" aria-label="Etiquetas">
            {labels.into_iter().map(|saved| view! { <LabelRow saved manages editing changed /> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn LabelRow(
    saved: SavedLabel,
    manages: bool,
    editing: RwSignal<Option<SavedLabel>>,
    changed: Callback<()>,
) -> impl IntoView {
    let delete = ServerAction::<DeleteLabel>::new();
    let id = saved.id;
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            if editing.get_untracked().is_some_and(|e| e.id == id) {
                editing.set(None);
            }
            changed.run(());
        }
    });
    let question = format!("Apagar “{}”? Ela sai de todos os atendimentos.", saved.label.name());
    let stored = StoredValue::new(saved.clone());
    view! {
        <li class="row label-row">
            <div class="row-main">
                <LabelChip saved=saved.clone() />
                <span class="muted">{saved.label.color().label()}</span>
            </div>
            <Show when=move || manages>
                <EditOrDelete
                    question=question.clone()
                    on_edit=Callback::new(move |()| editing.set(Some(stored.get_value())))
                    on_delete=Callback::new(move |()| {
                        delete.dispatch(DeleteLabel { id });
                    })
                    pending=delete.pending()
                    error=Signal::derive(move || match delete.value().get() {
                        Some(Err(e)) => Some(e.to_string()),
                        _ => None,
                    })
                />
            </Show>
        </li>
    }
}

/// "Nova etiqueta", or the label being changed.
#[component]
fn LabelFormView(editing: RwSignal<Option<SavedLabel>>, changed: Callback<()>) -> impl IntoView {
    let blank = LabelForm::default();
    let (name, color) = (RwSignal::new(String::new()), RwSignal::new(blank.color));
    let tried = RwSignal::new(false);
    let save = ServerAction::<SaveLabel>::new();
    Effect::new(move |_| {
        if let Some(saved) = editing.get() {
            name.set(saved.label.name().to_owned());
            color.set(saved.label.color());
            tried.set(false);
        }
    });
    let clear = move || {
        editing.set(None);
        name.set(String::new());
        color.set(LabelForm::default().color);
        tried.set(false);
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            clear();
            changed.run(());
        }
    });
    let form = move || LabelForm { name: name.get(), color: color.get() };
    // Only the name's own checks here: whether the agent may keep labels is the server's to say.
    let problem = move || {
        let local =
            tried.get().then(|| atende_domain::label::Label::parse(&name.get(), color.get()).err()).flatten();
        local.map(|e| e.to_string()).or_else(|| match save.value().get() {
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        let form = form();
        if atende_domain::label::Label::parse(&form.name, form.color).is_ok() {
            let id = editing.get_untracked().map(|saved| saved.id);
            save.dispatch(SaveLabel { id, form });
        }
    };
    view! {
        <form class="admin-section label-form" aria-label="Etiqueta" on:submit=submit novalidate>
            <h2>{move || if editing.get().is_some() { "Editar etiqueta" } else { "Nova etiqueta" }}</h2>
            <label>"Nome" <input type="text" bind:value=name maxlength="30" /></label>
            <fieldset class="color-choice">
                <legend>"Cor"</legend>
                {Color::ALL
                    .into_iter()
                    .map(|this| {
                        view! {
                            <label class=format!("color-option label-{}", this.code())>
                                <input
                                    type="radio"
                                    name="label-color"
                                    prop:checked=move || color.get() == this
                                    on:change=move |_| color.set(this)
                                />
                                {this.label()}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <p class="field-error" role="alert">{problem}</p>
            <div class="form-actions">
                <Show when=move || editing.get().is_some()>
                    <button type="button" class="secondary" on:click=move |_| clear()>"Cancelar edição"</button>
                </Show>
                <button type="submit" class="primary" disabled=move || save.pending().get()>"Salvar"</button>
            </div>
        </form>
    }
}
