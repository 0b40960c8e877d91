//! The tabs "Meus", "Não atribuídos", "Todos" and "Concluídos", and the conversation list under them.

use crate::api::list_conversations;
use crate::components::loaded_list::LoadedList;
use atende_domain::conversation::{ConversationSummary, Tab};
use leptos::prelude::*;

#[component]
pub(crate) fn ConversationTabs(tab: RwSignal<Tab>) -> impl IntoView {
    let tab_button = move |this: Tab| {
        view! {
            <button
                type="button"
                role="tab"
                class="tab"
                aria-selected=move || (tab.get() == this).to_string()
                on:click=move |_| tab.set(this)
            >
                {this.label()}
            </button>
        }
    };
    view! {
        <div class="tabs" role="tablist" aria-label="Atendimentos">
            {Tab::ALL.into_iter().map(tab_button).collect_view()}
        </div>
    }
}

#[component]
pub(crate) fn ConversationList(
    tab: RwSignal<Tab>,
    refresh: RwSignal<u32>,
    on_open: Callback<i64>,
    /// The conversation open beside the list.
    selected: Signal<Option<i64>>,
) -> impl IntoView {
    // New conversations, messages and statuses show up when the live stream says something changed.
    let live = crate::live::Live::current().any_change();
    let conversations =
        Resource::new(move || (tab.get(), refresh.get(), live.get()), |(tab, _, _)| list_conversations(tab));
    let now = crate::clock::page_clock();
    view! {
        <div class="conversation-list" role="tabpanel" aria-label=move || tab.get().label()>
            <LoadedList
                items=conversations
                loading="Carregando…"
                empty="Nenhum atendimento aqui."
                row=move |c| view! { <ConversationRow conversation=c on_open now selected /> }
            />
        </div>
    }
}

#[component]
fn ConversationRow(
    conversation: ConversationSummary,
    on_open: Callback<i64>,
    now: RwSignal<atende_domain::time::Timestamp>,
    selected: Signal<Option<i64>>,
) -> impl IntoView {
    let phone = conversation.contact_phone.as_ref().map(ToString::to_string).unwrap_or_default();
    let id = conversation.id.0;
    // The standard window of the channel (a channel's HUMAN_AGENT tag shows in the conversation itself).
    let channel = atende_domain::channel::Channel::plain(conversation.channel);
    let (last_inbound, closed) = (conversation.last_inbound_at, conversation.provider_closed_at);
    let window =
        move || atende_domain::window::window_reported(&channel, last_inbound, closed, now.get()).row_label();
    let waiting = conversation.status == atende_domain::conversation::ConversationStatus::WaitingForContact;
    view! {
        <li class="row" class:selected=move || selected.get() == Some(id)>
            <div class="row-main">
                <button
                    type="button"
                    class="row-name link"
                    aria-current=move || (selected.get() == Some(id)).then_some("true")
                    on:click=move |_| on_open.run(id)
                >
                    {conversation.contact_name.as_str().to_owned()}
                </button>
                <span class="row-channel">{conversation.channel.label()}</span>
            </div>
            <div class="row-sub">
                <span class="row-phone">{phone}</span>
                <span class="row-last">{conversation.last_message.unwrap_or_default()}</span>
            </div>
            <span class="row-window">{window}</span>
            {waiting.then(|| view! { <span class="badge">"Aguardando o contato"</span> })}
        </li>
    }
}

/// The search of the Atendimentos screen: contacts by name or number. Choosing one opens their latest
/// conversation (where "Reiniciar" applies) or, if they have none, the "Enviar mensagem" panel.
#[component]
pub(crate) fn ContactSearchResults(
    text: RwSignal<String>,
    on_open: Callback<i64>,
    on_start: Callback<atende_domain::contact::Contact>,
) -> impl IntoView {
    use crate::api::{find_protocol, search_contacts, LatestConversation};
    let found = Resource::new(move || text.get(), search_contacts);
    // A protocol typed ("2026-000123") finds its conversation too.
    let by_protocol = Resource::new(
        move || text.get(),
        |text| async move {
            match atende_domain::conversation::Protocol::parse(&text) {
                Some(_) => find_protocol(text).await.ok().flatten(),
                None => None,
            }
        },
    );
    let latest = ServerAction::<LatestConversation>::new();
    let picked = RwSignal::new(None::<atende_domain::contact::Contact>);
    Effect::new(move |_| match (latest.value().get(), picked.get_untracked()) {
        (Some(Ok(Some(conversation))), _) => on_open.run(conversation),
        (Some(Ok(None)), Some(contact)) => on_start.run(contact),
        _ => {}
    });
    view! {
        <div class="conversation-list" role="region" aria-label="Resultados da pesquisa">
            <Transition fallback=|| ()>
                {move || {
                    by_protocol
                        .get()
                        .flatten()
                        .map(|found| {
                            let id = found.id.0;
                            let label = format!("Protocolo {}", found.protocol());
                            view! {
                                <ul class="rows" aria-label="Atendimento pelo protocolo">
                                    <li class="row">
                                        <button type="button" class="row-name link" on:click=move |_| on_open.run(id)>
                                            {label}
                                        </button>
                                        <span class="row-phone">
                                            {found.contact_name.as_str().to_owned()} " · " {found.channel.label()}
                                        </span>
                                    </li>
                                </ul>
                            }
                        })
                }}
            </Transition>
            <LoadedList
                items=found
                loading="Pesquisando…"
                empty="Nenhum contato encontrado."
                row=move |contact| view! { <SearchResultRow contact picked latest /> }
            />
        </div>
    }
}

#[component]
fn SearchResultRow(
    contact: atende_domain::contact::Contact,
    picked: RwSignal<Option<atende_domain::contact::Contact>>,
    latest: ServerAction<crate::api::LatestConversation>,
) -> impl IntoView {
    let name = contact.name.as_str().to_owned();
    let phone = contact.phone.as_ref().map(ToString::to_string).unwrap_or_default();
    let id = contact.id.0;
    view! {
        <li class="row">
            <button
                type="button"
                class="row-name link"
                on:click=move |_| {
                    picked.set(Some(contact.clone()));
                    latest.dispatch(crate::api::LatestConversation { contact: id });
                }
            >
                {name}
            </button>
            <span class="row-phone">{phone}</span>
        </li>
    }
}
