//! ⋮ → "Novo atendimento": the side panel with the contacts, the search, and "Novo contato".

use crate::api::{search_contacts, CreateContact};
use crate::components::loaded_list::LoadedList;
use atende_domain::contact::{Contact, ContactForm, ContactName};
use atende_domain::phone::Phone;
use leptos::prelude::*;

/// "Novo atendimento" from its own file: a split point, loaded as the panel first opens.
#[leptos::lazy]
pub(crate) fn new_conversation_panel(on_close: Callback<()>, on_start: Callback<Contact>) -> AnyView {
    view! { <NewConversationPanel on_close on_start /> }.into_any()
}

#[component]
fn NewConversationPanel(on_close: Callback<()>, on_start: Callback<Contact>) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let saved = RwSignal::new(0_u32);
    let contacts = crate::wire::load(move || (search.get(), saved.get()), |(text, _)| search_contacts(text));
    // The search takes the keyboard as the panel opens; Escape closes it.
    let search_box = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = search_box.get() {
            let _ = input.focus();
        }
    });

    view! {
        <aside class="side-panel" role="dialog" aria-label="Novo atendimento" on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    on_close.run(());
                }
            }>
            <header class="panel-header">
                <h2>"Novo atendimento"</h2>
                <button type="button" class="icon-button" aria-label="Fechar" on:click=move |_| on_close.run(())>
                    "×"
                </button>
            </header>
            <NewContactToggle on_saved=Callback::new(move |_contact: Contact| {
                search.set(String::new());
                saved.update(|n| *n += 1);
            }) />
            <input
                type="search"
                class="search"
                aria-label="Pesquisar por nome ou número"
                placeholder="Pesquisar por nome ou número"
                bind:value=search
                node_ref=search_box
            />
            <LoadedList
                items=contacts
                loading="Carregando…"
                empty="Nenhum contato encontrado."
                label="Contatos"
                row=move |contact| view! { <ContactRow contact on_start /> }
            />
        </aside>
    }
}

#[component]
fn ContactRow(contact: Contact, on_start: Callback<Contact>) -> impl IntoView {
    let name = contact.name.as_str().to_owned();
    let phone = contact.phone.as_ref().map(ToString::to_string).unwrap_or_default();
    let label = format!("Iniciar atendimento com {name}");
    view! {
        <li class="row contact-row">
            <div class="row-main">
                <span class="row-name">{name}</span>
                <span class="row-phone">{phone}</span>
            </div>
            <button
                type="button"
                class="icon-button start"
                aria-label=label
                title="Iniciar atendimento"
                on:click=move |_| on_start.run(contact.clone())
            >
                "➤"
            </button>
        </li>
    }
}

/// The "Novo contato" button, which opens the form in its place; the form closes on "Salvar" or "Cancelar".
#[component]
pub(crate) fn NewContactToggle(on_saved: Callback<Contact>) -> impl IntoView {
    let creating = RwSignal::new(false);
    view! {
        <Show
            when=move || creating.get()
            fallback=move || {
                view! {
                    <button type="button" class="secondary new-contact" on:click=move |_| creating.set(true)>
                        "Novo contato"
                    </button>
                }
            }
        >
            <NewContactForm
                on_saved=Callback::new(move |contact: Contact| {
                    creating.set(false);
                    on_saved.run(contact);
                })
                on_cancel=Callback::new(move |()| creating.set(false))
            />
        </Show>
    }
}

/// "Novo contato": validated as the agent types by the same rules the server applies on "Salvar".
#[component]
pub(crate) fn NewContactForm(
    on_saved: Callback<Contact>,
    on_cancel: Callback<()>,
    /// The number typed in "Conversar", when the form opens from there.
    #[prop(optional, into)]
    initial_phone: String,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let phone = RwSignal::new(initial_phone);
    let tried = RwSignal::new(false);
    let create = ServerAction::<CreateContact>::new();

    let name_error = move || ContactName::parse(&name.get()).err().map(|e| e.to_string());
    let phone_error = move || Phone::parse(&phone.get()).err().map(|e| e.to_string());
    let server_error = move || match create.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };

    Effect::new(move |_| {
        if let Some(Ok(contact)) = create.value().get() {
            on_saved.run(contact);
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        let form = ContactForm { name: name.get_untracked(), phone: phone.get_untracked() };
        if form.validate().is_ok() {
            create.dispatch(CreateContact { form });
        }
    };

    view! {
        <form class="contact-form" role="dialog" aria-label="Novo contato" on:submit=submit novalidate>
            <h3>"Novo contato"</h3>
            <label>
                "Nome" <input type="text" autocomplete="off" bind:value=name
                    aria-invalid=move || (tried.get() && name_error().is_some()).to_string() />
            </label>
            <p class="field-error" role="alert">{move || tried.get().then(name_error).flatten()}</p>
            <label>
                "Número com DDD" <input type="tel" inputmode="tel" autocomplete="off" bind:value=phone
                    aria-invalid=move || (tried.get() && phone_error().is_some()).to_string() />
            </label>
            <p class="field-error" role="alert">
                {move || tried.get().then(phone_error).flatten().or_else(server_error)}
            </p>
            <div class="form-actions">
                <button type="button" class="secondary" on:click=move |_| on_cancel.run(())>"Cancelar"</button>
                <button type="submit" class="primary" disabled=move || create.pending().get()>"Salvar"</button>
            </div>
        </form>
    }
}
