//! The Atendimentos screen: conversation list on the left, conversation pane on the right, the number field
//! with "Conversar" at the bottom left, and the ⋮ menu with "Novo atendimento".

use crate::components::contacts::new_conversation_panel;
use crate::components::conversation::ConversationPane;
use crate::components::conversations::{
    ContactSearchResults, ConversationList, ConversationTabs, LabelCatalogue, ListFilterBar,
};
use crate::components::number_bar::NumberBar;
use crate::components::options_menu::OptionsMenu;
use crate::components::send_message::send_message_panel;
use atende_domain::contact::Contact;
use atende_domain::conversation::Tab;
use leptos::prelude::*;

/// What the right-hand side shows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Pane {
    Empty,
    /// One conversation, with its messages and composer.
    Conversation(i64),
    /// "Enviar mensagem" for a contact found (or not) by the number typed.
    SendMessage {
        contact: Option<Contact>,
        typed: String,
    },
}

/// The conversation a path names: `/atendimentos/<id>`.
fn conversation_in(path: &str) -> Option<i64> {
    path.strip_prefix("/atendimentos/")?.trim_end_matches('/').parse().ok()
}

#[component]
pub(crate) fn AtendimentosPage() -> impl IntoView {
    let tab = RwSignal::new(Tab::Mine);
    // The conversation in the address (`/atendimentos/<id>`): a reload, a shared link, back and forward open
    // it; opening one puts it there.
    let location = leptos_router::hooks::use_location();
    let in_address = Memo::new(move |_| conversation_in(&location.pathname.get()));
    let pane = RwSignal::new(in_address.get_untracked().map_or(Pane::Empty, Pane::Conversation));
    Effect::new(move |previous: Option<Option<i64>>| {
        let now = in_address.get();
        if previous.is_some_and(|before| before != now) {
            match now {
                Some(id) if pane.get_untracked() == Pane::Conversation(id) => {}
                Some(id) => pane.set(Pane::Conversation(id)),
                None if matches!(pane.get_untracked(), Pane::Conversation(_)) => pane.set(Pane::Empty),
                None => {}
            }
        }
        now
    });
    let navigate = StoredValue::new(leptos_router::hooks::use_navigate());
    let go = move |path: &str| navigate.with_value(|navigate| navigate(path, Default::default()));
    let side_panel_open = RwSignal::new(false);
    let refresh = RwSignal::new(0_u32);
    // The conversation the agent just acted on (sent, concluded, assigned…): its row is read again.
    let touched = RwSignal::new(None::<i64>);
    let live = crate::live::Live::provide();
    provide_context(crate::components::rich::ConversarCom(RwSignal::new(None)));
    // After the live stream: its changes move the clock.
    crate::clock::page_clock();
    let search = RwSignal::new(String::new());
    let filter = RwSignal::new(atende_domain::label::ListFilter::default());
    provide_context(LabelCatalogue(RwSignal::new(Vec::new())));
    crate::components::notifier::UnseenState::provide();
    provide_context(crate::components::conversation::JumpTo(RwSignal::new(None)));
    let open_conversation = Callback::new(move |id: i64| {
        pane.set(Pane::Conversation(id));
        if in_address.get_untracked() != Some(id) {
            go(&format!("/atendimentos/{id}"));
        }
    });

    // Opened from CRM → Contatos (`/?contato=ID`): the contact's latest conversation, or "Enviar mensagem".
    let query = leptos_router::hooks::use_query_map();
    let open = ServerAction::<crate::api::OpenContact>::new();
    Effect::new(move |_| {
        if let Some(contact) = query.read().get("contato").and_then(|id| id.parse::<i64>().ok()) {
            open.dispatch(crate::api::OpenContact { contact });
        }
    });
    Effect::new(move |_| {
        if let Some(Ok((contact, latest))) = open.value().get() {
            match latest {
                Some(id) => open_conversation.run(id),
                None => {
                    let typed = contact.phone.as_ref().map(ToString::to_string).unwrap_or_default();
                    pane.set(Pane::SendMessage { contact: Some(contact), typed });
                }
            }
        }
    });

    let open_send_message = Callback::new(move |(contact, typed): (Option<Contact>, String)| {
        side_panel_open.set(false);
        pane.set(Pane::SendMessage { contact, typed });
        if in_address.get_untracked().is_some() {
            go("/");
        }
    });

    view! {
        // On a phone the list and the pane are two views: the pane, while it shows something, takes the screen.
        <div class="atendimentos" class:pane-open=move || pane.get() != Pane::Empty>
            <aside class="sidebar" aria-label="Lista de atendimentos">
                <header class="sidebar-header">
                    <h1>"Atendimentos"</h1>
                    <crate::components::notifier::Notifier on_open=open_conversation />
                    <OptionsMenu on_new_conversation=Callback::new(move |()| side_panel_open.set(true)) />
                </header>
                <crate::components::notifier::NotifyPermission />
                <input
                    type="search"
                    class="search sidebar-search"
                    aria-label="Pesquisar por nome, número ou mensagem"
                    placeholder="Nome, número, protocolo ou mensagem"
                    bind:value=search
                />
                <Show
                    when=move || search.get().trim().is_empty()
                    fallback=move || {
                        view! {
                            <ContactSearchResults
                                text=search
                                on_open=open_conversation
                                on_start=Callback::new(move |contact: Contact| {
                                    let typed = contact.phone.as_ref().map(ToString::to_string).unwrap_or_default();
                                    open_send_message.run((Some(contact), typed));
                                })
                            />
                        }
                    }
                >
                    <ConversationTabs tab />
                    <ListFilterBar filter />
                    <ConversationList
                        tab
                        filter
                        refresh
                        touched
                        on_open=open_conversation
                        selected=Signal::derive(move || match pane.get() {
                            Pane::Conversation(id) => Some(id),
                            _ => None,
                        })
                    />
                </Show>
                <Show when=move || !live.connected.get()>
                    <p class="offline" role="status">"Sem atualização ao vivo: tentando reconectar…"</p>
                </Show>
                <NumberBar on_found=open_send_message />
            </aside>
            <main class="conversation-pane">
                <button
                    type="button"
                    class="back-to-list link"
                    on:click=move |_| {
                        pane.set(Pane::Empty);
                        if in_address.get_untracked().is_some() {
                            go("/");
                        }
                    }
                >
                    "← Atendimentos"
                </button>
                {move || match pane.get() {
                    Pane::Empty => {
                        view! {
                            <div class="empty-pane">
                                <p>"Selecione um atendimento ou digite um número com DDD e clique em “Conversar”."</p>
                            </div>
                        }
                            .into_any()
                    }
                    Pane::Conversation(id) => {
                        view! {
                            <ConversationPane id on_changed=Callback::new(move |()| touched.set(Some(id))) />
                        }
                            .into_any()
                    }
                    Pane::SendMessage { contact, typed } => {
                        Suspend::new(send_message_panel(
                            contact,
                            typed,
                            Callback::new(move |()| pane.set(Pane::Empty)),
                            Callback::new(move |id: i64| {
                                refresh.update(|n| *n += 1);
                                open_conversation.run(id);
                            }),
                        ))
                            .into_any()
                    }
                }}
            </main>
            <Show when=move || side_panel_open.get()>
                {Suspend::new(new_conversation_panel(
                    Callback::new(move |()| side_panel_open.set(false)),
                    Callback::new(move |contact: Contact| {
                        let typed = contact.phone.as_ref().map(ToString::to_string).unwrap_or_default();
                        open_send_message.run((Some(contact), typed));
                    }),
                ))}
            </Show>
        </div>
    }
}
