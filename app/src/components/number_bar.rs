//! The field at the bottom left: a number with DDD and "Conversar".

use crate::api::FindContact;
use atende_domain::contact::Contact;
use atende_domain::phone::Phone;
use leptos::prelude::*;

#[component]
pub(crate) fn NumberBar(on_found: Callback<(Option<Contact>, String)>) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let find = ServerAction::<FindContact>::new();

    Effect::new(move |_| match find.value().get() {
        Some(Ok(contact)) => on_found.run((contact, typed.get_untracked())),
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });

    // "Conversar" on a contact card a contact shared: the number is typed here and looked up.
    if let Some(asked) = use_context::<crate::components::rich::ConversarCom>() {
        Effect::new(move |_| {
            if let Some(number) = asked.0.get() {
                asked.0.set(None);
                typed.set(format!("+{number}"));
                match Phone::parse(&format!("+{number}")) {
                    Ok(phone) => {
                        error.set(None);
                        find.dispatch(FindContact { phone: phone.e164() });
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
            }
        });
    }

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // The domain answers in the browser at once; the server checks again.
        match Phone::parse(&typed.get_untracked()) {
            Ok(phone) => {
                error.set(None);
                find.dispatch(FindContact { phone: phone.e164() });
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    };

    view! {
        <form class="number-bar" on:submit=submit novalidate>
            <label for="numero-conversar" class="sr-only">"Número com DDD"</label>
            <input
                id="numero-conversar"
                type="tel"
                inputmode="tel"
                autocomplete="off"
                placeholder="Número com DDD"
                bind:value=typed
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby="numero-conversar-erro"
            />
            <button type="submit" class="primary" disabled=move || find.pending().get()>
                "Conversar"
            </button>
            <p id="numero-conversar-erro" class="field-error" role="alert">
                {move || error.get()}
            </p>
        </form>
    }
}
