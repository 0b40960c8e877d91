//! The tabs "Meus", "Não atribuídos", "Todos" and "Concluídos", and the conversation list under them.

use crate::api::{list_filtered, list_rows};
use crate::components::loaded_list::LoadedList;
use atende_domain::conversation::{
    AgentId, ChannelKind, ConversationId, ConversationStatus, ConversationSummary, Tab,
};
use atende_domain::label::{AgentChoice, ListFilter, SavedLabel, TeamChoice};
use atende_domain::listing::{ListPage, LIVE_ROWS_MAX};
use leptos::prelude::*;

/// Every label, to name the chips of the list's rows: filled once "Filtrar" has loaded them (empty on the
/// first render, on the server and in the browser alike).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LabelCatalogue(pub RwSignal<Vec<SavedLabel>>);

#[component]
pub(crate) fn ConversationTabs(tab: RwSignal<Tab>) -> impl IntoView {
    let unseen = crate::components::notifier::UnseenState::current();
    let tab_button = move |this: Tab| {
        // "Meus 3": how many of the tab's conversations have something the agent has not seen.
        let queue = match this {
            Tab::Mine => Some(atende_domain::conversation::Queue::Mine),
            Tab::Unassigned => Some(atende_domain::conversation::Queue::Unassigned),
            Tab::All | Tab::Concluded => None,
        };
        view! {
            <button
                type="button"
                role="tab"
                class="tab"
                aria-selected=move || (tab.get() == this).to_string()
                on:click=move |_| tab.set(this)
            >
                {this.label()}
                {move || {
                    unseen
                        .zip(queue)
                        .map(|(unseen, queue)| unseen.tab(queue))
                        .filter(|n| *n > 0)
                        .map(|n| view! { " " <span class="count">{n}</span> })
                }}
            </button>
        }
    };
    view! {
        <div class="tabs" role="tablist" aria-label="Atendimentos">
            {Tab::ALL.into_iter().map(tab_button).collect_view()}
        </div>
    }
}

/// The tab's conversations, a page at a time ([`atende_domain::listing`]): the first page comes with the
/// page the server renders, the next when the agent scrolls near the end (or presses "Carregar mais"). The
/// live stream's news are applied to the rows shown: only the conversations it names are read again.
#[component]
pub(crate) fn ConversationList(
    tab: RwSignal<Tab>,
    /// Moves when everything is to be read again (a conversation just started).
    refresh: RwSignal<u32>,
    /// Set to a conversation the agent just acted on: its row is read again, the rows read stay.
    touched: RwSignal<Option<i64>>,
    on_open: Callback<i64>,
    /// The conversation open beside the list.
    selected: Signal<Option<i64>>,
    filter: RwSignal<ListFilter>,
) -> impl IntoView {
    let live = crate::live::Live::current();
    // The rows shown once a page was added or a live update applied (`None`: the first page as read).
    let shown = RwSignal::new(None::<ListPage>);
    let more = RwSignal::new(More::Idle);
    // Moves with every reading of the first page: an answer asked for an older list is dropped. `landed` is
    // the generation whose first page arrived: until the new one has, the resource still holds the old one,
    // and nothing is built on it.
    let generation = StoredValue::new(0_u32);
    let landed = StoredValue::new(0_u32);
    // Conversations that changed while the next page was being read (it may have been read before): read
    // again once it is added.
    let changed_meanwhile = StoredValue::new(Vec::<ConversationId>::new());
    // Everything is read again for another tab or filter, after "Iniciar atendimento", and when the stream
    // says changes may have been missed.
    let everything = live.missed();
    let first = crate::wire::load(
        move || (tab.get(), refresh.get(), everything.get(), filter.get()),
        move |(tab, _, _, filter)| {
            generation.update_value(|n| *n = n.wrapping_add(1));
            let asked = generation.get_value();
            shown.set(None);
            more.set(More::Idle);
            changed_meanwhile.update_value(Vec::clear);
            async move {
                let page = list_filtered(tab, filter, None).await;
                landed.set_value(asked);
                page
            }
        },
    );
    let current = move || {
        let fresh = landed.get_value() == generation.get_value();
        shown.get_untracked().or_else(|| fresh.then(|| first.get_untracked().and_then(Result::ok)).flatten())
    };
    // The conversations named: read again, each put where it now sorts (or taken out).
    let read_again = move |ids: Vec<ConversationId>| {
        if more.get_untracked() == More::Loading {
            changed_meanwhile.update_value(|meanwhile| meanwhile.extend(ids.iter().copied()));
        }
        let (asked, tab, filter) = (generation.get_value(), tab.get_untracked(), filter.get_untracked());
        leptos::task::spawn_local(async move {
            let answer = list_rows(tab, filter, ids.clone()).await;
            if generation.get_value() != asked {
                return;
            }
            match (answer, current()) {
                (Ok(fresh), Some(mut rows)) => {
                    rows.update(&ids, fresh);
                    shown.set(Some(rows));
                }
                (Ok(_), None) => {}
                // Read the first page again rather than show rows that may be stale.
                (Err(_), _) => first.refetch(),
            }
        });
    };
    let load_more = move || {
        let Some(after) = current().and_then(|page| page.next) else { return };
        if more.get_untracked() == More::Loading {
            return;
        }
        more.set(More::Loading);
        let (asked, tab, filter) = (generation.get_value(), tab.get_untracked(), filter.get_untracked());
        leptos::task::spawn_local(async move {
            let answer = list_filtered(tab, filter, Some(after)).await;
            if generation.get_value() != asked {
                return;
            }
            match (answer, current()) {
                (Ok(page), Some(mut rows)) => {
                    rows.append(page);
                    shown.set(Some(rows));
                    more.set(More::Idle);
                    let again = changed_meanwhile.try_update_value(std::mem::take).unwrap_or_default();
                    if !again.is_empty() && again.len() <= LIVE_ROWS_MAX {
                        read_again(again);
                    }
                }
                (Ok(_), None) => more.set(More::Idle),
                (Err(error), _) => more.set(More::Failed(error.to_string())),
            }
        });
    };
    Effect::new(move |_| {
        let changed = live.changed.get();
        if changed.burst == 0 || changed.everything || changed.conversations.is_empty() {
            return;
        }
        if changed.conversations.len() > LIVE_ROWS_MAX {
            first.refetch();
            return;
        }
        read_again(changed.conversations.iter().copied().map(ConversationId).collect());
    });
    Effect::new(move |_| {
        if let Some(id) = touched.get() {
            read_again(vec![ConversationId(id)]);
        }
    });
    // Rows that leave the end of the list in sight — a first page that arrived while the agent was at the end
    // (they scrolled while it was read again), a page that came short — are followed by the next at once: no
    // scroll event would come to ask for it.
    let list = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        shown.track();
        if first.with(Option::is_some) {
            request_animation_frame(move || {
                if list.get_untracked().is_some_and(|list| near_end(&list))
                    && more.get_untracked() == More::Idle
                {
                    load_more();
                }
            });
        }
    });
    let now = crate::clock::page_clock();
    let catalogue = expect_context::<LabelCatalogue>().0;
    let empty = move || {
        if filter.get().is_empty() {
            "Nenhum atendimento aqui."
        } else {
            "Nenhum atendimento com estes filtros."
        }
    };
    view! {
        <div
            class="conversation-list"
            role="tabpanel"
            aria-label=move || tab.get().label()
            node_ref=list
            on:scroll=move |ev| {
                // After a failure, only "Tentar de novo" reads again (not every scroll).
                if near_end(&event_target::<leptos::web_sys::Element>(&ev)) && more.get_untracked() == More::Idle {
                    load_more();
                }
            }
        >
            <Transition fallback=move || view! { <p class="muted">"Carregando…"</p> }>
                {move || Suspend::new(async move {
                    match first.await {
                        Err(error) => view! { <p role="alert" class="error">{error.to_string()}</p> }.into_any(),
                        Ok(read) => {
                            let page = Memo::new(move |_| shown.get().unwrap_or_else(|| read.clone()));
                            let rows = Memo::new(move |_| page.with(|page| page.rows.clone()));
                            let has_next = Memo::new(move |_| page.with(|page| page.next.is_some()));
                            view! {
                                <Show
                                    when=move || !rows.with(Vec::is_empty) || has_next.get()
                                    fallback=move || view! { <p class="muted empty-list">{empty}</p> }
                                >
                                    <ul class="rows">
                                        <For
                                            each=move || rows.get()
                                            key=|c| c.clone()
                                            children=move |c| {
                                                view! { <ConversationRow conversation=c on_open now selected catalogue /> }
                                            }
                                        />
                                    </ul>
                                </Show>
                                <MoreRows more has_next load=Callback::new(move |()| load_more()) />
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </div>
    }
}

/// How close to the end of the list scrolling reads the next page.
const NEAR_END_PX: i32 = 400;

/// Whether the list is scrolled to within [`NEAR_END_PX`] of its end (or is shorter than its box).
fn near_end(list: &leptos::web_sys::Element) -> bool {
    list.scroll_top() + list.client_height() + NEAR_END_PX >= list.scroll_height()
}

/// The reading of the next page.
#[derive(Debug, Clone, PartialEq)]
enum More {
    Idle,
    Loading,
    Failed(String),
}

/// Under the rows: "Carregar mais" while another page follows (scrolling near it reads it too), what went
/// wrong reading it.
#[component]
fn MoreRows(more: RwSignal<More>, has_next: Memo<bool>, load: Callback<()>) -> impl IntoView {
    view! {
        <Show when=move || has_next.get()>
            <div class="more-rows">
                {move || match more.get() {
                    More::Loading => view! { <p class="muted" role="status">"Carregando mais…"</p> }.into_any(),
                    More::Failed(error) => {
                        view! {
                            <p role="alert" class="error">{error}</p>
                            <button type="button" class="secondary small" on:click=move |_| load.run(())>
                                "Tentar de novo"
                            </button>
                        }
                            .into_any()
                    }
                    More::Idle => {
                        view! {
                            <button type="button" class="secondary small" on:click=move |_| load.run(())>
                                "Carregar mais"
                            </button>
                        }
                            .into_any()
                    }
                }}
            </div>
        </Show>
    }
}

/// "Filtrar" above the list: by label, team, channel, status and agent. It narrows the tab; the server
/// applies it ([`ListFilter::keeps`]) and never shows more than the agent may see.
#[component]
pub(crate) fn ListFilterBar(filter: RwSignal<ListFilter>) -> impl IntoView {
    let open = RwSignal::new(false);
    // Loaded in the browser as the screen opens (the rows' chips need the labels' names and colours), and
    // again each time "Filtrar" opens (labels an admin added meanwhile).
    let opened = RwSignal::new(0_u32);
    let choices = LocalResource::new(move || {
        opened.get();
        crate::labels::labels()
    });
    let catalogue = expect_context::<LabelCatalogue>().0;
    Effect::new(move |_| {
        if let Some(Ok(data)) = choices.get() {
            catalogue.set(data.labels);
        }
    });
    let count = move || match filter.get().count() {
        0 => "Filtrar".to_owned(),
        n => format!("Filtrar ({n})"),
    };
    view! {
        <div class="list-filter">
            <div class="list-filter-bar">
                <button
                    type="button"
                    class="secondary small"
                    aria-expanded=move || open.get().to_string()
                    on:click=move |_| {
                        if !open.get_untracked() {
                            opened.update(|n| *n += 1);
                        }
                        open.update(|o| *o = !*o);
                    }
                >
                    {count}
                </button>
                <Show when=move || !filter.get().is_empty()>
                    <button type="button" class="link small" on:click=move |_| filter.set(ListFilter::default())>
                        "Limpar filtros"
                    </button>
                </Show>
            </div>
            <Show when=move || open.get()>
                {move || match choices.get() {
                    None => view! { <p class="muted">"Carregando…"</p> }.into_any(),
                    Some(Ok(data)) => view! { <FilterFields data filter /> }.into_any(),
                    Some(Err(error)) => view! { <p role="alert" class="error">{error.to_string()}</p> }.into_any(),
                }}
            </Show>
        </div>
    }
}

/// A select of "Filtrar": "Todos" (no filter) and the given choices, each a value and its text.
fn filter_select(
    label: &'static str,
    all: &'static str,
    options: Vec<(String, String)>,
    value: impl Fn() -> String + Send + Sync + 'static,
    set: impl Fn(String) + 'static,
) -> impl IntoView {
    view! {
        <label class="filter-field">
            {label}
            <select aria-label=label prop:value=value on:change=move |ev| set(event_target_value(&ev))>
                <option value="">{all}</option>
                {options
                    .into_iter()
                    .map(|(value, text)| view! { <option value=value>{text}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}

#[component]
fn FilterFields(data: crate::labels::LabelsData, filter: RwSignal<ListFilter>) -> impl IntoView {
    let labels = data.labels.iter().map(|l| (l.id.to_string(), l.label.name().to_owned())).collect();
    let teams = std::iter::once(("none".to_owned(), "Sem equipe".to_owned()))
        .chain(data.teams.iter().map(|t| (t.id.to_string(), t.name.clone())))
        .collect();
    let channels = [
        ChannelKind::WhatsappOfficial,
        ChannelKind::WhatsappUnofficial,
        ChannelKind::Instagram,
        ChannelKind::Messenger,
    ]
    .into_iter()
    .map(|kind| (kind.code().to_owned(), kind.label().to_owned()))
    .collect();
    let statuses =
        [ConversationStatus::Open, ConversationStatus::WaitingForContact, ConversationStatus::Concluded]
            .into_iter()
            .map(|status| (status.code().to_owned(), status.label().to_owned()))
            .collect();
    let agents = std::iter::once(("none".to_owned(), "Ninguém".to_owned()))
        .chain(data.agents.iter().map(|a| (a.id.0.to_string(), a.name.clone())))
        .collect();
    // Read in the selects' own closures: the screen's signal, not values of this form (gone when it is
    // rendered again).
    let current = move |part: fn(&ListFilter) -> String| move || filter.with(part);
    view! {
        <div class="filter-fields" role="group" aria-label="Filtros da lista">
            {filter_select(
                "Etiqueta",
                "Todas",
                labels,
                current(|f| f.label.map(|l| l.to_string()).unwrap_or_default()),
                move |v| filter.update(|f| f.label = v.parse().ok()),
            )}
            {filter_select(
                "Equipe",
                "Todas",
                teams,
                current(|f| match f.team {
                    None => String::new(),
                    Some(TeamChoice::NoTeam) => "none".into(),
                    Some(TeamChoice::Team(t)) => t.to_string(),
                }),
                move |v| {
                    filter.update(|f| {
                        f.team = match v.as_str() {
                            "none" => Some(TeamChoice::NoTeam),
                            other => other.parse().ok().map(TeamChoice::Team),
                        };
                    });
                },
            )}
            {filter_select(
                "Canal",
                "Todos",
                channels,
                current(|f| f.channel.map(|c| c.code().to_owned()).unwrap_or_default()),
                move |v| filter.update(|f| f.channel = ChannelKind::from_code(&v)),
            )}
            {filter_select(
                "Situação",
                "Todas",
                statuses,
                current(|f| f.status.map(|s| s.code().to_owned()).unwrap_or_default()),
                move |v| filter.update(|f| f.status = ConversationStatus::from_code(&v)),
            )}
            {filter_select(
                "Agente",
                "Todos",
                agents,
                current(|f| match f.agent {
                    None => String::new(),
                    Some(AgentChoice::Nobody) => "none".into(),
                    Some(AgentChoice::Agent(a)) => a.0.to_string(),
                }),
                move |v| {
                    filter.update(|f| {
                        f.agent = match v.as_str() {
                            "none" => Some(AgentChoice::Nobody),
                            other => other.parse().ok().map(|a| AgentChoice::Agent(AgentId(a))),
                        };
                    });
                },
            )}
        </div>
    }
}

#[component]
fn ConversationRow(
    conversation: ConversationSummary,
    on_open: Callback<i64>,
    now: RwSignal<atende_domain::time::Timestamp>,
    selected: Signal<Option<i64>>,
    catalogue: RwSignal<Vec<SavedLabel>>,
) -> impl IntoView {
    let ids = conversation.labels.clone();
    let (state, row) = (crate::components::notifier::UnseenState::current(), conversation.id.0);
    let unseen = move || state.map(|state| state.of(row)).filter(|n| *n > 0);
    let chips = move || {
        atende_domain::label::named(&catalogue.get(), &ids)
            .into_iter()
            .map(|saved| {
                view! {
                    <span class=format!("label-chip small label-{}", saved.label.color().code())>
                        {saved.label.name().to_owned()}
                    </span>
                }
            })
            .collect_view()
    };
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
                {move || {
                    unseen()
                        .map(|n| {
                            let said = if n == 1 { "1 nova".to_owned() } else { format!("{n} novas") };
                            view! { <span class="unread" title=said.clone() aria-label=said>{n}</span> }
                        })
                }}
            </div>
            <div class="row-sub">
                <span class="row-phone">{phone}</span>
                <span class="row-last">{conversation.last_message.unwrap_or_default()}</span>
            </div>
            <span class="row-window">{window}</span>
            {waiting.then(|| view! { <span class="badge">"Aguardando o contato"</span> })}
            <span class="row-labels">{chips}</span>
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
    let found = crate::wire::load(move || text.get(), search_contacts);
    // A protocol typed ("2026-000123") finds its conversation too.
    let by_protocol = crate::wire::load(
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
                label="Contatos encontrados"
                row=move |contact| view! { <SearchResultRow contact picked latest /> }
            />
            <MessageResults text on_open />
        </div>
    }
}

/// "Mensagens": the messages whose text has the words typed, newest first, the words found marked; choosing
/// one opens its conversation at that message.
#[component]
fn MessageResults(text: RwSignal<String>, on_open: Callback<i64>) -> impl IntoView {
    let found = crate::wire::load(move || text.get(), crate::api::search_messages);
    let jump = use_context::<crate::components::conversation::JumpTo>();
    let now = crate::clock::page_clock();
    let offset = crate::clock::utc_offset();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match found.await {
                    Ok(hits) if hits.is_empty() => ().into_any(),
                    Ok(hits) => view! {
                        <h2 class="results-heading">"Mensagens"</h2>
                        <ul class="rows" aria-label="Mensagens encontradas">
                            {hits
                                .into_iter()
                                .map(|hit| {
                                    let (conversation, message) = (hit.conversation.0, hit.message);
                                    let at = hit.written_at;
                                    let when = move || at.local_label(offset.get(), now.get());
                                    let who = if hit.inbound { hit.contact_name.clone() } else { "Atende".to_owned() };
                                    view! {
                                        <li class="row message-hit">
                                            <button
                                                type="button"
                                                class="row-name link"
                                                on:click=move |_| {
                                                    if let Some(jump) = jump {
                                                        jump.0.set(Some(message));
                                                    }
                                                    on_open.run(conversation);
                                                }
                                            >
                                                {hit.contact_name.clone()}
                                            </button>
                                            <span class="row-phone">{hit.channel.label()} " · " {when}</span>
                                            <p class="hit-text">
                                                <span class="muted">{who} ": "</span>
                                                {hit
                                                    .pieces
                                                    .into_iter()
                                                    .map(|(piece, found)| {
                                                        if found {
                                                            view! { <mark>{piece}</mark> }.into_any()
                                                        } else {
                                                            piece.into_any()
                                                        }
                                                    })
                                                    .collect_view()}
                                            </p>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any(),
                    Err(error) => view! { <p role="alert" class="error">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
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
