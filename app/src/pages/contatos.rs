//! CRM → Contatos: every contact, searchable by name or number and filtered by label; "Novo contato"; edit a
//! contact; its labels ("Etiquetas do contato"); open their conversation (to answer or "Reiniciar") or start
//! one ("Enviar mensagem").

use crate::api::UpdateContact;
use crate::components::contacts::NewContactToggle;
use crate::components::label_chips::{LabelChips, Labelled};
use crate::labels::{crm_contacts, LabelContact, LabelledContact};
use atende_domain::contact::{Contact, ContactForm, ContactName};
use atende_domain::label::SavedLabel;
use atende_domain::phone::Phone;
use leptos::prelude::*;

#[component]
pub(crate) fn ContatosPage() -> impl IntoView {
    let search = RwSignal::new(String::new());
    // "Etiqueta": only the contacts with this label ("" for all).
    let label = RwSignal::new(String::new());
    let version = RwSignal::new(0_u32);
    let page = crate::wire::load(
        move || (search.get(), label.get().parse::<i64>().ok(), version.get()),
        |(text, label, _)| crm_contacts(text, label),
    );
    let changed = Callback::new(move |()| version.update(|v| *v += 1));
    view! {
        <div class="crm">
            <header class="crm-header">
                <a href="/" class="back">"← Atendimentos"</a>
                <h1>"CRM → Contatos"</h1>
            </header>
            <div class="crm-tools">
                <NewContactToggle on_saved=Callback::new(move |_contact: Contact| changed.run(())) />
                <input
                    type="search"
                    class="search"
                    aria-label="Pesquisar por nome ou número"
                    placeholder="Pesquisar por nome ou número"
                    bind:value=search
                />
            </div>
            <Transition fallback=|| view! { <p class="muted">"Carregando…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => {
                            let all = page.labels.clone();
                            let filter = (!all.is_empty()).then(|| view! {
                                <label class="crm-filter">
                                    "Etiqueta"
                                    <select aria-label="Etiqueta" prop:value=move || label.get() on:change=move |ev| label.set(event_target_value(&ev))>
                                        <option value="" selected=label.get_untracked().is_empty()>"Todas"</option>
                                        {all.iter().map(|saved| {
                                            // Chosen by the option itself: the select is drawn again with each page.
                                            let chosen = label.get_untracked() == saved.id.to_string();
                                            view! {
                                                <option value=saved.id.to_string() selected=chosen>{saved.label.name().to_owned()}</option>
                                            }
                                        }).collect_view()}
                                    </select>
                                </label>
                            });
                            let rows = if page.contacts.is_empty() {
                                view! { <p class="muted empty-list">"Nenhum contato encontrado."</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="rows" aria-label="Contatos">
                                        {page.contacts.into_iter().map(|found| {
                                            let all = page.labels.clone();
                                            view! { <CrmContactRow found all on_changed=changed /> }
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            };
                            view! { {filter} {rows} }.into_any()
                        }
                        Err(error) => view! { <p role="alert" class="error">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn CrmContactRow(found: LabelledContact, all: Vec<SavedLabel>, on_changed: Callback<()>) -> impl IntoView {
    let LabelledContact { contact, labels } = found;
    let label = ServerAction::<LabelContact>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = label.value().get() {
            on_changed.run(());
        }
    });
    let editing = RwSignal::new(false);
    let name = RwSignal::new(contact.name.as_str().to_owned());
    let phone = RwSignal::new(contact.phone.as_ref().map(ToString::to_string).unwrap_or_default());
    let update = ServerAction::<UpdateContact>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = update.value().get() {
            editing.set(false);
            on_changed.run(());
        }
    });
    let field_error = move || {
        ContactName::parse(&name.get())
            .err()
            .map(|e| e.to_string())
            .or_else(|| Phone::parse(&phone.get()).err().map(|e| e.to_string()))
            .or_else(|| match update.value().get() {
                Some(Err(e)) => Some(e.to_string()),
                _ => None,
            })
    };
    let id = contact.id.0;
    let shown_name = contact.name.as_str().to_owned();
    let shown_phone = contact.phone.as_ref().map(ToString::to_string).unwrap_or_default();
    let edit_label = format!("Editar {shown_name}");
    let open_label = format!("Abrir atendimento com {shown_name}");
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = ContactForm { name: name.get_untracked(), phone: phone.get_untracked() };
        if form.validate().is_ok() {
            update.dispatch(UpdateContact { contact: id, form });
        }
    };
    view! {
        <li class="row contact-row">
            <Show
                when=move || editing.get()
                fallback={
                    let shown_name = shown_name.clone();
                    let shown_phone = shown_phone.clone();
                    let edit_label = edit_label.clone();
                    let open_label = open_label.clone();
                    move || {
                        view! {
                            <div class="row-main">
                                <span class="row-name">{shown_name.clone()}</span>
                                <span class="row-phone">{shown_phone.clone()}</span>
                                <LabelChips
                                    on=labels.clone()
                                    all=all.clone()
                                    what=Labelled::Contact
                                    pending=label.pending().into()
                                    change=Callback::new(move |(label_id, on): (i64, bool)| {
                                        label.dispatch(LabelContact { contact: id, label: label_id, on });
                                    })
                                />
                                <p class="error" role="alert">
                                    {move || match label.value().get() {
                                        Some(Err(e)) => Some(e.to_string()),
                                        _ => None,
                                    }}
                                </p>
                            </div>
                            <div class="row-actions">
                                <button
                                    type="button"
                                    class="secondary"
                                    aria-label=edit_label.clone()
                                    on:click=move |_| editing.set(true)
                                >
                                    "Editar"
                                </button>
                                <a class="button primary" href=format!("/?contato={id}") aria-label=open_label.clone()>
                                    "Atendimento"
                                </a>
                            </div>
                        }
                    }
                }
            >
                <form class="contact-form" role="dialog" aria-label="Editar contato" on:submit=save novalidate>
                    <label>"Nome" <input type="text" bind:value=name /></label>
                    <label>"Número com DDD" <input type="tel" bind:value=phone /></label>
                    <p class="field-error" role="alert">{field_error}</p>
                    <div class="form-actions">
                        <button type="button" class="secondary" on:click=move |_| editing.set(false)>"Cancelar"</button>
                        <button type="submit" class="primary" disabled=move || update.pending().get()>"Salvar"</button>
                    </div>
                </form>
            </Show>
        </li>
    }
}
