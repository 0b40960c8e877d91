//! The conversation pane: header with the window's countdown and "Concluir", the messages with their status,
//! the composer that follows the domain's decision, and "Reiniciar" at the bottom right when it applies.

use crate::api::{
    conversation_view, team_agents, AddNote, AgentTyping, AssignConversation, ConcludeConversation,
    ConversationDetail, ReactToMessage, SendMedia, SendMessage, TransferConversation,
};
use crate::components::media::{LightboxView, MediaBlock};
use crate::components::rich::RichBlock;
use atende_domain::content::Rich;
use atende_domain::conversation::ChannelKind;
use atende_domain::lifecycle::restart_eligibility;
use atende_domain::ports::MessageView;
use atende_domain::queue::{
    compose_decision, composer_notice, ComposeDecision, MessageText, MessageTextError,
};
use atende_domain::time::Timestamp;
use leptos::prelude::*;

#[component]
pub(crate) fn ConversationPane(id: i64, on_changed: Callback<()>) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let now = crate::clock::page_clock();
    let loaded = crate::wire::load(move || (id, version.get()), |(id, _)| conversation_view(id));
    let restart_open = RwSignal::new(false);
    let lightbox = crate::components::media::Lightbox(RwSignal::new(None));
    provide_context(lightbox);
    // Files dropped anywhere on the conversation wait in the composer's tray.
    let tray = crate::components::files::Tray::new();
    provide_context(tray);
    on_cleanup(move || tray.clear());
    let dragging = RwSignal::new(false);
    // Only files are taken: text dragged into the message box drops there as usual.
    let files_dragged = |ev: &leptos::ev::DragEvent| {
        #[cfg(feature = "hydrate")]
        return ev.data_transfer().is_some_and(|data| data.types().includes(&"Files".into(), 0));
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = ev;
            false
        }
    };
    let drag_over = move |ev: leptos::ev::DragEvent| {
        if files_dragged(&ev) {
            ev.prevent_default();
            dragging.set(true);
        }
    };
    let dropped = move |ev: leptos::ev::DragEvent| {
        dragging.set(false);
        if files_dragged(&ev) {
            ev.prevent_default();
            #[cfg(feature = "hydrate")]
            tray.add(ev.data_transfer().and_then(|data| data.files()));
        }
    };
    // New messages, statuses, queue flushes, assignments: fetched when the live stream says this conversation
    // changed. While "Reiniciar" is open the panel keeps what the agent is typing; the fetch waits for it.
    let changed = crate::live::Live::current().change_of(id);
    let stale = RwSignal::new(false);
    Effect::new(move |previous: Option<u32>| {
        let burst = changed.get();
        if previous.is_some_and(|p| p != burst) {
            if restart_open.get_untracked() {
                stale.set(true);
            } else {
                version.update(|v| *v += 1);
            }
        }
        burst
    });
    Effect::new(move |_| {
        if !restart_open.get() && stale.get_untracked() {
            stale.set(false);
            version.update(|v| *v += 1);
        }
    });
    // What the composer and "Reiniciar" read: set by an effect, so the first render is the same on the server
    // and in the browser (no data yet) when the conversation itself is rendered on the server (its own
    // address); the header and the messages are read inside the <Transition>.
    let shown = RwSignal::new(None::<ConversationDetail>);
    let unseen = crate::components::notifier::UnseenState::current();
    Effect::new(move |_| {
        let view = loaded.get().and_then(Result::ok);
        // Loaded is seen (the server noted it): the counts are read again.
        if let (Some(_), Some(unseen)) = (&view, unseen) {
            unseen.seen.update(|n| *n += 1);
        }
        shown.set(view);
    });
    let current = move || shown.get();
    let reload = Callback::new(move |()| {
        version.update(|v| *v += 1);
        on_changed.run(());
    });
    // The header's actions live here: the header is rendered again by every refresh, and a refusal ("Concluir"
    // that failed, an assignment refused) must stay on screen until the agent acts again.
    let conclude = ServerAction::<ConcludeConversation>::new();
    let assign = ServerAction::<AssignConversation>::new();
    let label = ServerAction::<crate::labels::LabelConversation>::new();
    let contact_label = ServerAction::<crate::labels::LabelContact>::new();
    let transfer_open = RwSignal::new(false);
    // "Responder" and "Reagir" on a message: the message list starts them, the composer sends the answer.
    let actions = MessageActions {
        react: ServerAction::new(),
        replying: RwSignal::new(None),
        palette: RwSignal::new(None),
    };
    provide_context(actions);
    Effect::new(move |_| {
        if let Some(Ok(_)) = actions.react.value().get() {
            reload.run(());
        }
    });
    // Transferred to a team the agent does not answer: the conversation is no longer theirs to see.
    let handed_over = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(())) = conclude.value().get() {
            reload.run(());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = assign.value().get() {
            reload.run(());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = label.value().get() {
            reload.run(());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = contact_label.value().get() {
            reload.run(());
        }
    });

    view! {
        <section class="conversation" class:dragging=dragging aria-label="Atendimento"
            on:dragover=drag_over on:dragleave=move |_| dragging.set(false) on:drop=dropped>
            <LightboxView lightbox />
            <Show when=move || handed_over.get().is_some()>
                <p class="muted pad" role="status">
                    {move || format!(
                        "Atendimento transferido para {}: agora ele é dessa equipe, e você não o vê mais.",
                        handed_over.get().unwrap_or_default(),
                    )}
                </p>
            </Show>
            <Transition fallback=|| view! { <p class="muted pad">"Carregando o atendimento…"</p> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok(view) => view! { <ConversationHeader view=view.clone() now conclude assign label contact_label transfer_open /> <MessageList conversation=id messages=view.messages notes=view.notes channel=view.channel.kind() /> }.into_any(),
                        Err(_) if handed_over.get_untracked().is_some() => ().into_any(),
                        // Another team's is "not found" too: the answer tells nothing of it.
                        Err(crate::error::AppError::Store(atende_domain::ports::StoreError::NotFound)) => view! {
                            <p role="alert" class="error pad">
                                "Este atendimento não existe ou é de uma equipe que você não atende."
                            </p>
                        }
                        .into_any(),
                        Err(error) => view! { <p role="alert" class="error pad">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <Show when=move || transfer_open.get()>
                // Read once as it opens: a live refresh meanwhile must not empty what the agent is typing.
                {move || {
                    shown
                        .get_untracked()
                        .map(|view| {
                            Suspend::new(transfer_panel(
                                view,
                                Callback::new(move |()| transfer_open.set(false)),
                                Callback::new(move |(visible, team): (bool, String)| {
                                    transfer_open.set(false);
                                    if !visible {
                                        handed_over.set(Some(team));
                                    }
                                    reload.run(());
                                }),
                            ))
                        })
                }}
            </Show>
            <Composer id current=Signal::derive(current) now reload restart_open />
            <Show when=move || restart_open.get()>
                {move || {
                    current()
                        .map(|view| {
                            Suspend::new(crate::components::restart::restart_panel(
                                view,
                                now.get_untracked(),
                                Callback::new(move |()| restart_open.set(false)),
                                Callback::new(move |()| {
                                    restart_open.set(false);
                                    reload.run(());
                                }),
                            ))
                        })
                }}
            </Show>
        </section>
    }
}

#[component]
fn ConversationHeader(
    view: ConversationDetail,
    now: RwSignal<Timestamp>,
    conclude: ServerAction<ConcludeConversation>,
    assign: ServerAction<AssignConversation>,
    label: ServerAction<crate::labels::LabelConversation>,
    contact_label: ServerAction<crate::labels::LabelContact>,
    transfer_open: RwSignal<bool>,
) -> impl IntoView {
    let contact = view.summary.contact_id.0;
    let assignee = match view.summary.assignee {
        atende_domain::conversation::Assignee::Agent(agent) => Some(agent),
        atende_domain::conversation::Assignee::Unassigned => None,
    };
    let mine = assignee == Some(view.me);
    let me = view.me;
    let agents = view.agents.clone();
    let stored = assignee.map(|a| a.0.to_string()).unwrap_or_default();
    // What the select shows: back to who answers when an assignment is refused.
    let chosen = RwSignal::new(stored.clone());
    Effect::new(move |_| {
        if let Some(Err(_)) = assign.value().get() {
            chosen.set(stored.clone());
        }
    });
    let id = view.summary.id.0;
    let concluded = view.lifecycle.status() == atende_domain::conversation::ConversationStatus::Concluded;
    let channel = view.channel;
    let lifecycle = view.lifecycle;
    // Messenger and Instagram give no number: then only the channel.
    let subtitle = match &view.summary.contact_phone {
        Some(phone) => format!("{phone} · {}", view.summary.channel.label()),
        None => view.summary.channel.label().to_owned(),
    };
    view! {
        <header class="conversation-header">
            <div>
                <h2>{view.summary.contact_name.as_str().to_owned()}</h2>
                <p class="muted">{subtitle}</p>
                <p class="protocol">"Protocolo " {view.summary.protocol().to_string()}</p>
                <crate::components::label_chips::LabelChips
                    on=view.summary.labels.clone()
                    all=view.labels.clone()
                    what=crate::components::label_chips::Labelled::Conversation
                    pending=label.pending().into()
                    change=Callback::new(move |(label_id, on): (i64, bool)| {
                        label.dispatch(crate::labels::LabelConversation { conversation: id, label: label_id, on });
                    })
                />
                <crate::components::label_chips::LabelChips
                    on=view.contact_labels.clone()
                    all=view.labels.clone()
                    what=crate::components::label_chips::Labelled::Contact
                    pending=contact_label.pending().into()
                    change=Callback::new(move |(label_id, on): (i64, bool)| {
                        contact_label.dispatch(crate::labels::LabelContact { contact, label: label_id, on });
                    })
                />
                <p class="window" aria-live="polite">{move || lifecycle.window(&channel, now.get()).to_string()}</p>
                <History entries=view.history.clone() now />
                <OtherConversations others=view.others.clone() />
            </div>
            <div class="header-actions">
                <label class="assignee">
                    "Responsável"
                    <select
                        prop:value=move || chosen.get()
                        disabled=move || assign.pending().get()
                        on:change=move |ev| {
                            let value = event_target_value(&ev);
                            let agent = value.parse::<i64>().ok();
                            chosen.set(value);
                            assign.dispatch(AssignConversation { conversation: id, agent });
                        }
                    >
                        <option value="" selected=assignee.is_none()>"Ninguém"</option>
                        {agents
                            .into_iter()
                            .map(|a| {
                                let selected = Some(a.id) == assignee;
                                view! { <option value=a.id.0.to_string() selected=selected>{a.name}</option> }
                            })
                            .collect_view()}
                    </select>
                </label>
                <Show when=move || !mine && !concluded>
                    <button
                        type="button"
                        class="secondary"
                        on:click=move |_| {
                            assign.dispatch(AssignConversation { conversation: id, agent: Some(me.0) });
                        }
                    >
                        "Assumir"
                    </button>
                </Show>
                <button type="button" class="secondary" aria-expanded=move || transfer_open.get().to_string()
                    on:click=move |_| transfer_open.update(|open| *open = !*open)>
                    "Transferir"
                </button>
                <Show when=move || !concluded fallback=|| view! { <span class="badge">"Concluído"</span> }>
                    <button
                        type="button"
                        class="secondary"
                        on:click=move |_| {
                            conclude.dispatch(ConcludeConversation { conversation: id });
                        }
                    >
                        "Concluir"
                    </button>
                </Show>
            </div>
            <p class="error" role="alert">
                {move || match (conclude.value().get(), assign.value().get(), label.value().get()) {
                    (Some(Err(e)), _, _) | (_, Some(Err(e)), _) => Some(e.to_string()),
                    (_, _, Some(Err(e))) => Some(e.to_string()),
                    _ => match contact_label.value().get() {
                        Some(Err(e)) => Some(e.to_string()),
                        _ => None,
                    },
                }}
            </p>
        </header>
    }
}

fn status_label(message: &MessageView) -> &'static str {
    match message.status.as_str() {
        "received" => "Recebida",
        "held" => "Na fila: sai quando o contato responder",
        "queued" => "Enviando…",
        "sent" => "Enviada",
        "delivered" => "Entregue",
        "read" => "Lida",
        "failed" => "Falhou",
        _ => "",
    }
}

/// "Responder" and "Reagir": the reaction being sent, and the message the composer's next text answers (its id
/// and what the quote shows).
#[derive(Clone, Copy)]
pub(crate) struct MessageActions {
    pub(crate) react: ServerAction<ReactToMessage>,
    pub(crate) replying: RwSignal<Option<(i64, String)>>,
    /// The message whose reactions are open: kept here, so a live refresh of the list leaves it open.
    pub(crate) palette: RwSignal<Option<i64>>,
}

/// A message's "Responder" and "Reagir" (with the channel's reactions), for a message the provider knows;
/// `mine` is the agent's reaction on it now, which a click on it again takes off.
#[component]
fn MessageTools(
    conversation: i64,
    message: i64,
    quote: String,
    /// Which reactions, if any: Messenger and Instagram take one only, on the person's message.
    palette: &'static [&'static str],
    mine: Option<String>,
    /// A click on the agent's own reaction takes it off (not on the unofficial gateway, which only replaces).
    removable: bool,
) -> impl IntoView {
    let Some(actions) = use_context::<MessageActions>() else { return ().into_any() };
    let palette_open = actions.palette;
    let open = move || palette_open.get() == Some(message);
    let reply = move |_| {
        actions.replying.set(Some((message, quote.clone())));
        focus_composer();
    };
    let choices = palette
        .iter()
        .map(|&emoji| {
            let on = mine.as_deref().is_some_and(|m| m.trim_end_matches('\u{fe0f}') == emoji.trim_end_matches('\u{fe0f}'));
            let label = match (on, removable) {
                (true, true) => "Remover reação".to_owned(),
                (true, false) => "Sua reação".to_owned(),
                _ => format!("Reagir com {emoji}"),
            };
            view! {
                <button type="button" class="emoji" aria-label=label.clone() title=label aria-pressed=on.to_string()
                    disabled=on && !removable
                    on:click=move |_| {
                        palette_open.set(None);
                        let emoji = if on { String::new() } else { emoji.to_owned() };
                        actions.react.dispatch(ReactToMessage { conversation, message, emoji });
                    }>{emoji}</button>
            }
        })
        .collect_view();
    let reactable = !palette.is_empty();
    view! {
        <div class="message-tools">
            <button type="button" class="tool" aria-label="Responder" title="Responder" on:click=reply>"↩"</button>
            <Show when=move || reactable>
                <button type="button" class="tool" aria-label="Reagir" title="Reagir"
                    aria-expanded=move || open().to_string()
                    on:click=move |_| palette_open.update(|o| *o = if *o == Some(message) { None } else { Some(message) })>"☺"</button>
            </Show>
            <div class="palette" role="group" aria-label="Reações" hidden=move || !open()>{choices}</div>
        </div>
    }
    .into_any()
}

/// What a quote of the message shows: its text, else what its file is.
fn quote_of(m: &MessageView) -> String {
    let file = m
        .media
        .as_ref()
        .map(|f| atende_domain::inbound_media::preview(&m.kind, f.voice, None, f.file_name.as_deref(), None));
    m.body.clone().or(file).unwrap_or_else(|| "Mensagem".to_owned())
}

/// Puts the cursor in the composer's message box ("Responder").
fn focus_composer() {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let found = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector(".composer textarea").ok().flatten())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(element) = found {
            let _ = element.focus();
        }
    }
}

#[component]
fn MessageList(
    conversation: i64,
    messages: Vec<MessageView>,
    notes: Vec<atende_domain::note::NoteView>,
    channel: atende_domain::conversation::ChannelKind,
) -> impl IntoView {
    if messages.is_empty() && notes.is_empty() {
        return view! { <p class="muted pad">"Nenhuma mensagem ainda."</p> }.into_any();
    }
    let offset = crate::clock::utc_offset();
    let today = crate::clock::now();
    // A reaction shows on the message it reacts to (the latest per message: a removal takes it off), not as a
    // message of its own; one to a message not shown here stays a line.
    let known: std::collections::HashMap<String, usize> =
        messages.iter().enumerate().filter_map(|(i, m)| m.provider_id.clone().map(|id| (id, i))).collect();
    // Each side's own: the contact's and the business's (one that failed stays a line, with its error).
    let mut reactions: std::collections::HashMap<(usize, bool), (String, bool)> =
        std::collections::HashMap::new();
    let mut folded = std::collections::HashSet::new();
    for (i, m) in messages.iter().enumerate() {
        if let Some(Rich::Reaction { to, emoji }) = &m.extras.rich {
            if let Some(&target) = known.get(to).filter(|_| m.status != "failed") {
                folded.insert(i);
                let waiting = matches!(m.status.as_str(), "held" | "queued");
                match emoji {
                    Some(emoji) => reactions.insert((target, m.inbound), (emoji.clone(), waiting)),
                    None => reactions.remove(&(target, m.inbound)),
                };
            }
        }
    }
    let quoted = |id: &str| known.get(id).map(|&i| quote_of(&messages[i]));
    let quotes: Vec<Option<String>> = messages
        .iter()
        .map(|m| {
            m.extras
                .reply_to
                .as_deref()
                .map(|id| quoted(id).unwrap_or_else(|| "uma mensagem anterior".to_owned()))
        })
        .collect();
    let shown: Vec<(Timestamp, AnyView)> = messages
                .into_iter()
                .zip(quotes)
                .enumerate()
                .filter(|(i, _)| !folded.contains(i))
                .map(|(i, (m, quote))| {
                    let reaction = reactions.get(&(i, true)).cloned();
                    let mine = reactions.get(&(i, false)).cloned();
                    // Answered or reacted to once the provider knows it (not while it waits in the queue).
                    let tools = (m.provider_id.is_some() && m.kind != "reaction").then(|| {
                        let meta = matches!(channel, ChannelKind::Messenger | ChannelKind::Instagram);
                        let palette = if meta && !m.inbound { &[][..] } else { atende_domain::reply::palette(channel) };
                        let quote = quote_of(&m);
                        let mine = mine.as_ref().map(|(emoji, _)| emoji.clone());
                        let removable = atende_domain::reply::Reaction::removable(channel);
                        view! { <MessageTools conversation message=m.id quote palette mine removable /> }
                    });
                    // The time it was written; one that waited in the queue says when it went out, too.
                    let (written_at, sent) = (m.shown_at(), m.sent_at());
                    let time = move || {
                        let offset = offset.get();
                        let written = written_at.local_label(offset, today);
                        // Both times only for a message that waited (a minute or more), not for one sent at once
                        // across a minute's turn.
                        match sent.filter(|sent| sent.since(written_at) >= WAITED) {
                            Some(sent) => format!("escrita às {written} · enviada às {}", sent.local_label(offset, today)),
                            None => written,
                        }
                    };
                    let class = if m.inbound { "message inbound" } else { "message outbound" };
                    let media = atende_domain::media::MediaKind::from_code(&m.kind).map(|k| k.label());
                    // With its file shown, a message's body is its caption (not the file's name again).
                    let file = m.media.clone().map(|file| view! { <MediaBlock message_id=m.id kind=m.kind.clone() media=file inbound=m.inbound /> });
                    let named = m.media.as_ref().and_then(|f| f.file_name.clone());
                    // What the place, the button or the reaction shows already is not repeated as text.
                    let said = matches!(
                        m.extras.rich,
                        Some(
                            Rich::Location { .. }
                                | Rich::ButtonReply { .. }
                                | Rich::Reaction { .. }
                                | Rich::Contacts(_)
                                | Rich::Unsupported
                        )
                    );
                    let body = match (&m.body, file.is_some()) {
                        _ if said => String::new(),
                        (Some(body), true) if Some(body) == named.as_ref() => String::new(),
                        (_, true) => m.body.clone().unwrap_or_default(),
                        _ => m.body.clone().unwrap_or_else(|| media.map_or_else(|| format!("[{}]", m.kind), |_| String::new())),
                    };
                    let status = status_label(&m);
                    let kind = match (m.kind.as_str(), media) {
                        _ if m.extras.automatic => "Resposta automática",
                        ("template", _) => "Modelo de mensagem",
                        (_, Some(label)) => label,
                        _ => "",
                    };
                    let rich = m.extras.rich.clone().map(|rich| view! { <RichBlock rich /> });
                    (written_at, view! {
                        <li class=class id=format!("mensagem-{}", m.id) data-status=m.status.clone()>
                            <p class="kind">{kind}</p>
                            {quote.map(|q| view! { <blockquote class="quoted" aria-label="Respondendo a">{q}</blockquote> })}
                            {file}
                            {rich}
                            <p class="body">{body}</p>
                            <div class="reactions">
                                {reaction.map(|(r, _)| view! { <span class="reaction" aria-label="Reação do contato">{r}</span> })}
                                {mine.map(|(r, waiting)| {
                                    let label = if waiting { "Sua reação (na fila)" } else { "Sua reação" };
                                    view! { <span class="reaction mine" class:waiting=waiting aria-label=label title=label>{r}</span> }
                                })}
                            </div>
                            {tools}
                            <p class="status"><time>{time}</time>" · "{status}</p>
                            <p class="error">{m.error.clone()}</p>
                        </li>
                    }.into_any())
                })
                .collect();
    // Notes among the messages, by when they were written.
    let mut notes = notes.into_iter().peekable();
    let mut rows: Vec<AnyView> = Vec::with_capacity(shown.len());
    let note_row = move |note: atende_domain::note::NoteView| {
        let at = note.written_at;
        let time = move || at.local_label(offset.get(), today);
        let author = note.author.clone().unwrap_or_else(|| "Agente removido".to_owned());
        let mentions = (!note.mentions.is_empty()).then(|| format!("Para: {}", note.mentions.join(", ")));
        view! {
            <li class="message note" aria-label="Nota interna">
                <p class="kind">"Nota interna · " {author}</p>
                <p class="body">{note.text}</p>
                {mentions.map(|m| view! { <p class="mentions">{m}</p> })}
                <p class="status"><time>{time}</time>" · só a equipe vê"</p>
            </li>
        }
        .into_any()
    };
    for (at, row) in shown {
        while let Some(note) = notes.next_if(|note| note.written_at < at) {
            rows.push(note_row(note));
        }
        rows.push(row);
    }
    rows.extend(notes.map(note_row));
    // A message chosen in the search: marked and brought into view once the list that holds it exists (the
    // list's element, not the moment this runs, says so).
    let list = NodeRef::<leptos::html::Ol>::new();
    if let Some(jump) = use_context::<JumpTo>() {
        Effect::new(move |_| {
            if let (Some(list), Some(message)) = (list.get(), jump.0.get()) {
                if show_and_mark(&list, &format!("mensagem-{message}")) {
                    jump.0.set(None);
                }
            }
        });
    }
    view! { <ol class="messages" aria-label="Mensagens" node_ref=list>{rows}</ol> }.into_any()
}

/// The message the agent chose among the search's results, until its conversation shows it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JumpTo(pub(crate) RwSignal<Option<i64>>);

/// Marks the element `id` inside `list` and brings it into view as the next frame is drawn (the list may not be
/// in the page yet); whether it was there.
fn show_and_mark(list: &leptos::web_sys::Element, id: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let Ok(Some(element)) = list.query_selector(&format!("#{id}")) else {
            return false;
        };
        element.set_class_name(&format!("{} jumped", element.class_name()));
        request_animation_frame(move || element.scroll_into_view());
        true
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (list, id);
        false
    }
}

/// How long a message waited before it shows when it went out as well as when it was written.
const WAITED: atende_domain::time::Duration = atende_domain::time::Duration::minutes(1);

/// How often the contact is told the agent is typing, at most (WhatsApp shows it for up to 25 s).
const TYPING_EVERY: atende_domain::time::Duration = atende_domain::time::Duration::from_millis(10_000);

#[component]
fn Composer(
    id: i64,
    current: Signal<Option<ConversationDetail>>,
    now: RwSignal<Timestamp>,
    reload: Callback<()>,
    restart_open: RwSignal<bool>,
) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    // "Nota interna": what is written stays in Atende, whatever the window says.
    let note_mode = RwSignal::new(false);
    let add_note = ServerAction::<AddNote>::new();
    // Each mode keeps its own text: what was written as a note never goes to the contact by a switch.
    let other_draft = StoredValue::new(String::new());
    let last_note = StoredValue::new(String::new());
    let switch_to = move |note: bool| {
        if note_mode.get_untracked() != note {
            let here = draft.get_untracked();
            draft.set(other_draft.get_value());
            other_draft.set_value(here);
            note_mode.set(note);
        }
    };
    let picker = crate::components::quick_answers::QuickAnswerPicker::new(
        draft,
        Signal::derive(move || {
            current.with(|v| {
                v.as_ref()
                    .map(|v| (v.summary.contact_name.as_str().to_owned(), v.summary.protocol().to_string()))
            })
        }),
        Signal::derive(move || current.with(|v| v.as_ref().and_then(|v| v.team))),
    );
    let mentions =
        crate::components::mentions::MentionPicker::new(draft, Signal::derive(move || note_mode.get()), id);
    // "digitando…" for the contact: told at most every TYPING_EVERY while the agent types, only where the
    // agent may write now (the window open).
    let typing = ServerAction::<AgentTyping>::new();
    let last_typing = StoredValue::new(None::<Timestamp>);
    let typing_now = move || {
        let now = crate::clock::now();
        if last_typing.get_value().is_some_and(|at| now.since(at) < TYPING_EVERY)
            || typing.pending().get_untracked()
            || note_mode.get_untracked()
        {
            return;
        }
        let may_send = current.with_untracked(|v| {
            v.as_ref().is_some_and(|v| {
                matches!(compose_decision(&v.channel, &v.lifecycle, now), ComposeDecision::SendNow { .. })
            })
        });
        if may_send {
            last_typing.set_value(Some(now));
            typing.dispatch(AgentTyping { conversation: id });
        }
    };
    let send = ServerAction::<SendMessage>::new();
    let last_sent = StoredValue::new(String::new());
    // "Responder": the message the next text answers, chosen on the message; given back with a refused text.
    let actions = use_context::<MessageActions>();
    let replying = actions.map(|a| a.replying);
    let last_reply = StoredValue::new(None::<(i64, String)>);
    // The composer empties as the message leaves, so the agent can type the next one at once; a refused send
    // gives its text back (unless a new one is being typed).
    Effect::new(move |_| match send.value().get() {
        Some(Ok(_)) => reload.run(()),
        Some(Err(_)) if !note_mode.get_untracked() && draft.get_untracked().is_empty() => {
            draft.set(last_sent.get_value());
            if let Some(replying) = replying {
                replying.set(last_reply.get_value());
            }
        }
        _ => {}
    });
    // A quick answer with a file: the file and the text go together; a refusal gives both back.
    let send_quick = ServerAction::<crate::quick_answers::SendQuickAnswer>::new();
    let last_attached = StoredValue::new(None::<(i64, atende_domain::quick_answer::AnswerFile)>);
    Effect::new(move |_| match send_quick.value().get() {
        Some(Ok(_)) => reload.run(()),
        Some(Err(error)) if draft.get_untracked().is_empty() && picker.attached.get_untracked().is_none() => {
            draft.set(last_sent.get_value());
            // The file went and only the text did not: the file is not given back (it would go twice).
            let file_went = matches!(error, crate::error::AppError::TextAfterFile(_));
            if file_went {
                reload.run(());
            } else {
                picker.attached.set(last_attached.get_value());
            }
            if let Some(replying) = replying {
                replying.set(last_reply.get_value());
            }
        }
        _ => {}
    });
    // What the channel makes of the attached file with the text now (refused: why).
    let attached_verdict = move || {
        let (_, file) = picker.attached.get()?;
        let kind = current.with(|v| v.as_ref().map(|v| v.channel.kind()))?;
        let quoting = replying.is_some_and(|r| r.with(Option::is_some));
        Some(atende_domain::quick_answer::with_file(kind, &file, &draft.get(), quoting, u64::MAX))
    };
    let attached_refused = move || matches!(attached_verdict(), Some(Err(_)));
    Effect::new(move |_| match add_note.value().get() {
        Some(Ok(_)) => reload.run(()),
        Some(Err(_)) if note_mode.get_untracked() && draft.get_untracked().is_empty() => {
            draft.set(last_note.get_value());
        }
        _ => {}
    });
    let decision = move || current.get().map(|v| compose_decision(&v.channel, &v.lifecycle, now.get()));
    // Files are messages: refused where the window refuses one, even while a note is being written.
    let files_refused = Signal::derive(move || matches!(decision(), Some(ComposeDecision::Refuse(_))));
    // A note is never refused by the window: only a message is.
    let refusal = move || match decision() {
        Some(ComposeDecision::Refuse(reason)) if !note_mode.get() => Some(reason.to_string()),
        _ => None,
    };
    // What the agent reads matches what they can do: the reason nothing can be written, the queue, the tag,
    // or that writing reopens a concluded conversation.
    let hint = move || {
        if note_mode.get() {
            return Some("Nota interna: não é enviada ao contato; quem pode ver o atendimento vê a nota. Use @nome para chamar um agente.".to_owned());
        }
        current
            .get()
            .and_then(|v| composer_notice(&v.channel, &v.lifecycle, now.get()))
            .map(|n| n.to_string())
    };
    // The channel's length limit, checked as the agent types (the server checks it again).
    let too_long = move || {
        if note_mode.get() {
            return atende_domain::note::NoteText::parse(&draft.get())
                .err()
                .filter(|e| matches!(e, atende_domain::note::NoteError::TooLong { .. }))
                .map(|e| e.to_string());
        }
        let view = current.get()?;
        match MessageText::parse_for(view.channel.kind(), &draft.get()) {
            Err(
                error @ (MessageTextError::TooLongForChannel { .. }
                | MessageTextError::TooManyBytesForChannel { .. }
                | MessageTextError::TooLong { .. }),
            ) => Some(error.to_string()),
            _ => None,
        }
    };
    let restart_offer =
        move || current.get().map(|v| restart_eligibility(&v.channel, Some(&v.lifecycle), now.get()));
    let send_draft = move || {
        if note_mode.get_untracked() {
            let text = draft.get_untracked();
            if atende_domain::note::NoteText::parse(&text).is_ok() && !add_note.pending().get_untracked() {
                last_note.set_value(text.clone());
                add_note.dispatch(AddNote { conversation: id, text });
                draft.set(String::new());
            }
            return;
        }
        if let Some((answer, file)) = picker.attached.get_untracked() {
            if refusal().is_some()
                || too_long().is_some()
                || attached_refused()
                || send_quick.pending().get_untracked()
            {
                return;
            }
            let text = draft.get_untracked();
            last_sent.set_value(text.clone());
            last_attached.set_value(Some((answer, file)));
            let reply = replying.and_then(|r| r.get_untracked());
            last_reply.set_value(reply.clone());
            send_quick.dispatch(crate::quick_answers::SendQuickAnswer {
                conversation: id,
                answer,
                text,
                reply_to: reply.map(|(message, _)| message),
            });
            draft.set(String::new());
            picker.attached.set(None);
            if let Some(replying) = replying {
                replying.set(None);
            }
            return;
        }
        if refusal().is_none()
            && too_long().is_none()
            && !send.pending().get_untracked()
            && !draft.get_untracked().trim().is_empty()
        {
            let text = draft.get_untracked();
            last_sent.set_value(text.clone());
            let reply = replying.and_then(|r| r.get_untracked());
            // A reaction's refusal said earlier is not this message's.
            if let Some(actions) = actions {
                actions.react.value().set(None);
            }
            last_reply.set_value(reply.clone());
            send.dispatch(SendMessage {
                conversation: id,
                text,
                reply_to: reply.map(|(message, _)| message),
            });
            draft.set(String::new());
            if let Some(replying) = replying {
                replying.set(None);
            }
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send_draft();
    };
    // A picture pasted into the message box (Ctrl+V of a screenshot) waits in the tray like a chosen file.
    let pasted = move |ev: leptos::ev::ClipboardEvent| {
        // A copy from a spreadsheet or a document carries its text and a picture of it: the text is pasted.
        #[cfg(feature = "hydrate")]
        if let Some(data) = ev.clipboard_data() {
            let text = data.get_data("text/plain").unwrap_or_default();
            if let Some(files) = data.files().filter(|f| f.length() > 0 && text.is_empty()) {
                ev.prevent_default();
                crate::components::files::Tray::current().add(Some(files));
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let channel = Signal::derive(move || current.get().map(|v| v.channel.kind()));
    // Enter sends, Shift+Enter breaks the line (as in WhatsApp Web); not while an IME is composing a word.
    let keydown = move |ev: leptos::ev::KeyboardEvent| {
        if mentions.key(&ev) || picker.key(&ev) {
            return;
        }
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send_draft();
        }
    };
    view! {
        <footer class="composer">
            <p class="hint" role="status">{hint}</p>
            <p class="error" role="alert">
                {move || too_long().or_else(|| match (note_mode.get(), send.value().get(), add_note.value().get()) {
                    (false, Some(Err(e)), _) | (true, _, Some(Err(e))) => Some(e.to_string()),
                    _ => None,
                }).or_else(|| match send_quick.value().get() {
                    Some(Err(e)) if !note_mode.get() => Some(e.to_string()),
                    _ => None,
                }).or_else(|| match actions.and_then(|a| a.react.value().get()) {
                    Some(Err(e)) => Some(e.to_string()),
                    _ => None,
                })}
            </p>
            {move || replying.and_then(|r| r.get()).filter(|_| !note_mode.get()).map(|(_, quote)| view! {
                <div class="replying" role="status">
                    <span class="muted">"Respondendo a"</span>
                    <blockquote class="quoted">{quote}</blockquote>
                    <button type="button" class="link" aria-label="Cancelar resposta" title="Cancelar resposta"
                        on:click=move |_| { if let Some(r) = replying { r.set(None) } }>"×"</button>
                </div>
            })}
            {move || picker.attached.get().filter(|_| !note_mode.get()).map(|(_, file)| {
                let shown = format!("📎 {} ({})", file.name, atende_domain::inbound_media::size_label(file.size));
                let said = match attached_verdict() {
                    Some(Err(e)) => Some(e.to_string()),
                    Some(Ok(plan)) if plan.then_text.is_some() => Some("O texto segue numa mensagem depois do arquivo.".to_owned()),
                    Some(Ok(_)) if !draft.get().trim().is_empty() => Some("O texto vai como legenda do arquivo.".to_owned()),
                    _ => None,
                };
                let refused = attached_refused();
                view! {
                    <div class="replying answer-attachment" role="group" aria-label="Anexo da resposta rápida">
                        <span>{shown}</span>
                        <button type="button" class="link" aria-label="Tirar o anexo" title="Tirar o anexo"
                            on:click=move |_| picker.attached.set(None)>"×"</button>
                        {said.map(|said| view! { <p class="muted" class:error=refused role=if refused { "alert" } else { "status" }>{said}</p> })}
                    </div>
                }
            })}
            <crate::components::files::FileTray id channel refused=files_refused reload />
            <crate::components::quick_answers::QuickAnswerList picker />
            <crate::components::mentions::MentionList picker=mentions />
            <div class="compose-mode" role="group" aria-label="Escrever">
                <button type="button" class="mode" aria-pressed=move || (!note_mode.get()).to_string()
                    on:click=move |_| switch_to(false)>"Mensagem"</button>
                <button type="button" class="mode note-mode" aria-pressed=move || note_mode.get().to_string()
                    on:click=move |_| switch_to(true)>"Nota interna"</button>
            </div>
            <form on:submit=submit class:note=move || note_mode.get()>
                <textarea
                    on:paste=pasted
                    aria-label=move || if note_mode.get() { "Nota interna" } else { "Mensagem" }
                    placeholder=move || if note_mode.get() {
                        "Escreva uma nota para a equipe (Enter salva; o contato não vê)"
                    } else {
                        "Escreva uma mensagem (Enter envia, Shift+Enter quebra a linha, / para respostas rápidas)"
                    }
                    rows="2"
                    bind:value=draft
                    on:keydown=keydown
                    on:input=move |_| typing_now()
                    disabled=move || refusal().is_some()
                ></textarea>
                <button
                    type="submit"
                    class="primary"
                    disabled=move || refusal().is_some() || too_long().is_some() || send.pending().get() || add_note.pending().get()
                        || send_quick.pending().get() || (!note_mode.get() && attached_refused())
                >
                    {move || if note_mode.get() {
                        "Salvar nota"
                    } else if matches!(decision(), Some(ComposeDecision::Hold)) {
                        "Enfileirar"
                    } else {
                        "Enviar"
                    }}
                </button>
            </form>
            <div class="composer-tools">
                <Attachment id refused=files_refused reload />
                <crate::components::recorder::VoiceRecorder channel refused=files_refused />
            </div>
            <div class="restart-row">
                {move || match restart_offer() {
                    Some(Ok(_)) => {
                        view! {
                            <button type="button" class="primary" on:click=move |_| restart_open.set(true)>
                                "Reiniciar"
                            </button>
                        }
                            .into_any()
                    }
                    _ => ().into_any(),
                }}
            </div>
        </footer>
    }
}

/// The contact's other conversations (other channels, other teams the agent sees), each with "Ver conversa"
/// at its own address.
#[component]
fn OtherConversations(others: Vec<atende_domain::conversation::ConversationSummary>) -> impl IntoView {
    (!others.is_empty()).then(|| {
        let count = others.len();
        let rows = others
            .into_iter()
            .map(|other| {
                let status = other.status.label();
                let line = format!("{} · Protocolo {} · {status}", other.channel.label(), other.protocol());
                view! {
                    <li>
                        {line} " · "
                        <a href=format!("/atendimentos/{}", other.id.0)>"Ver conversa"</a>
                    </li>
                }
            })
            .collect_view();
        view! {
            <details class="history others">
                <summary>{format!("Outros atendimentos ({count})")}</summary>
                <ul>{rows}</ul>
            </details>
        }
    })
}

/// Who started, restarted and concluded the conversation ("Histórico"), most recent last.
#[component]
fn History(entries: Vec<atende_domain::ports::AuditEntry>, now: RwSignal<Timestamp>) -> impl IntoView {
    (!entries.is_empty()).then(|| {
        let lines = entries
            .into_iter()
            .map(|entry| {
                let who = entry.agent_name.clone().map(|name| format!(" por {name}")).unwrap_or_default();
                let what = entry.detail.clone().map(|d| format!(" ({d})")).unwrap_or_default();
                let label = format!("{}{what}{who}", entry.action.label());
                view! { <li>{label} " · há " {move || now.get().since(entry.at).to_string()}</li> }
            })
            .collect_view();
        view! {
            <details class="history">
                <summary>"Histórico"</summary>
                <ul>{lines}</ul>
            </details>
        }
    })
}

/// "Anexar": an attachment by its public link (the provider fetches it), with a caption where the channel
/// has one. Checked as it is typed, by the same rules the server applies.
#[component]
fn Attachment(id: i64, refused: Signal<bool>, reload: Callback<()>) -> impl IntoView {
    use atende_domain::media::{MediaKind, MediaMessage};
    let open = RwSignal::new(false);
    let kind = RwSignal::new(MediaKind::Image);
    let link = RwSignal::new(String::new());
    let caption = RwSignal::new(String::new());
    let tried = RwSignal::new(false);
    let send = ServerAction::<SendMedia>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = send.value().get() {
            link.set(String::new());
            caption.set(String::new());
            tried.set(false);
            open.set(false);
            reload.run(());
        }
    });
    let problem = move || {
        let local = tried
            .get()
            .then(|| {
                MediaMessage::parse(kind.get(), &link.get(), &caption.get()).err().map(|e| e.to_string())
            })
            .flatten();
        local.or_else(move || match send.value().get() {
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        if MediaMessage::parse(kind.get_untracked(), &link.get_untracked(), &caption.get_untracked()).is_ok()
        {
            send.dispatch(SendMedia {
                conversation: id,
                kind: kind.get_untracked().code().to_owned(),
                link: link.get_untracked(),
                caption: caption.get_untracked(),
            });
        }
    };
    view! {
        <Show
            when=move || open.get()
            fallback=move || view! {
                <button type="button" class="secondary attach" disabled=move || refused.get()
                    on:click=move |_| open.set(true)>"Anexar"</button>
            }
        >
            <form class="attachment" aria-label="Anexar arquivo" on:submit=submit novalidate>
                <crate::components::files::FilePicker on_chosen=Callback::new(move |()| open.set(false)) />
                <p class="or-link">"Ou envie um arquivo que já está na internet, pelo link:"</p>
                <label>
                    "Tipo de anexo"
                    <select on:change=move |ev| {
                        if let Some(k) = MediaKind::from_code(&event_target_value(&ev)) {
                            kind.set(k);
                        }
                    }>
                        {MediaKind::ALL
                            .into_iter()
                            .map(|k| view! { <option value=k.code() selected=move || kind.get() == k>{k.label()}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label class="link">"Link do arquivo" <input type="text" placeholder="https://…" bind:value=link /></label>
                <label>"Legenda (opcional)" <input type="text" bind:value=caption /></label>
                <p class="field-error" role="alert">{problem}</p>
                <div class="form-actions">
                    <button type="button" class="secondary" on:click=move |_| open.set(false)>"Cancelar"</button>
                    <button type="submit" class="primary" disabled=move || send.pending().get()>"Enviar anexo"</button>
                </div>
            </form>
        </Show>
    }
}

/// "Transferir" from its own file: a split point, loaded as the panel first opens.
#[leptos::lazy]
fn transfer_panel(
    view: ConversationDetail,
    on_close: Callback<()>,
    on_done: Callback<(bool, String)>,
) -> AnyView {
    view! { <TransferPanel view on_close on_done /> }.into_any()
}

/// "Transferir": to a team and, optionally, one of its agents, with a note for whoever takes it; one step.
#[component]
fn TransferPanel(
    view: ConversationDetail,
    on_close: Callback<()>,
    on_done: Callback<(bool, String)>,
) -> impl IntoView {
    let id = view.summary.id.0;
    let teams = StoredValue::new(view.teams.clone());
    let first = view.team.or_else(|| view.teams.first().map(|t| t.id)).unwrap_or_default();
    let team = RwSignal::new(first);
    let agent = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let agents = LocalResource::new(move || team_agents(team.get()));
    let transfer = ServerAction::<TransferConversation>::new();
    Effect::new(move |_| {
        if let Some(Ok(visible)) = transfer.value().get() {
            let chosen = team.get_untracked();
            let name = teams.with_value(|t| t.iter().find(|t| t.id == chosen).map(|t| t.name.clone()));
            on_done.run((visible, name.unwrap_or_default()));
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        transfer.dispatch(TransferConversation {
            conversation: id,
            team: team.get_untracked(),
            agent: agent.get_untracked().parse().ok(),
            note: note.get_untracked(),
        });
    };
    view! {
        <form class="transfer admin-section" aria-label="Transferir atendimento" on:submit=submit>
            <h3>"Transferir atendimento"</h3>
            <label>
                "Equipe"
                <select aria-label="Equipe" prop:value=move || team.get().to_string() on:change=move |ev| {
                    if let Ok(chosen) = event_target_value(&ev).parse() {
                        team.set(chosen);
                        agent.set(String::new());
                    }
                }>
                    {teams
                        .get_value()
                        .into_iter()
                        .map(|t| view! { <option value=t.id.to_string() selected=t.id == first>{t.name}</option> })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Responsável"
                <select aria-label="Responsável" prop:value=move || agent.get() on:change=move |ev| agent.set(event_target_value(&ev))>
                    <option value="">"Ninguém (espera em “Não atribuídos” da equipe)"</option>
                    {move || {
                        agents
                            .get()
                            .and_then(Result::ok)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|a| view! { <option value=a.id.0.to_string()>{a.name}</option> })
                            .collect_view()
                    }}
                </select>
            </label>
            <label>
                "Nota para quem recebe (opcional)"
                <textarea rows="2" bind:value=note placeholder="Ex.: cliente aguarda a 2ª via do boleto"></textarea>
            </label>
            <p class="field-error" role="alert">
                {move || match transfer.value().get() {
                    Some(Err(e)) => Some(e.to_string()),
                    _ => None,
                }}
            </p>
            <div class="form-actions">
                <button type="button" class="secondary" on:click=move |_| on_close.run(())>"Cancelar"</button>
                <button type="submit" class="primary" disabled=move || transfer.pending().get()>"Transferir"</button>
            </div>
        </form>
    }
}
