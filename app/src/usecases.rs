//! The use cases, in one place: what "Iniciar atendimento", the composer, "Reiniciar", "Concluir" and
//! "Responsável" do, for the console's server functions and the public API alike. Each takes the services
//! and who acts, lets the domain decide, and writes what it decided; the server functions only fetch the
//! services, call one of these, and map the error.

use crate::error::AppError;
use crate::ssr::Services;
use atende_domain::access::Viewer;
use atende_domain::conversation::ConversationId;
use atende_domain::ports::{Answer, AuditAction, AuditLine, FreeForm, StoreError};
use atende_domain::queue::SendOutcome;
use atende_domain::time::Timestamp;

/// The composer's text: the domain decides whether it leaves now, waits for the contact, or is refused.
pub async fn send_text(
    services: &Services,
    viewer: &Viewer,
    id: ConversationId,
    text: &str,
    reply_to: Option<i64>,
) -> Result<SendOutcome, AppError> {
    use atende_domain::queue::{compose_decision, MessageText};
    let now = services.clock.now();
    let state = services.outbox.conversation_state(id).await?;
    let text = MessageText::parse_for(state.channel.kind(), text)?;
    let quoted = quoted(services, id, reply_to).await?;
    let delivery = compose_decision(&state.channel, &state.lifecycle, now).delivery()?;
    answer(services, viewer, &state, FreeForm::Text(&text), delivery, now, quoted.as_ref()).await
}

/// "Responder": the message answered, one of this conversation's already known to the provider.
async fn quoted(
    services: &Services,
    id: ConversationId,
    reply_to: Option<i64>,
) -> Result<Option<atende_domain::reply::Quoted>, AppError> {
    match reply_to {
        Some(message) => Ok(Some(atende_domain::reply::quote(&services.outbox.message(id, message).await?)?)),
        None => Ok(None),
    }
}

/// "Reagir": an emoji on one of the conversation's messages (blank: the agent's reaction taken off), as the
/// channel allows it, under the same window rules as a text.
pub async fn react(
    services: &Services,
    viewer: &Viewer,
    id: ConversationId,
    message: i64,
    emoji: &str,
) -> Result<SendOutcome, AppError> {
    use atende_domain::queue::compose_decision;
    use atende_domain::reply::Reaction;
    let now = services.clock.now();
    let state = services.outbox.conversation_state(id).await?;
    let target = services.outbox.message(id, message).await?;
    let reaction = Reaction::decide(state.channel.kind(), &target, emoji)?;
    let delivery =
        Reaction::delivery(state.channel.kind(), compose_decision(&state.channel, &state.lifecycle, now))?;
    // A reaction never reopens a concluded conversation (a 👍 on "obrigado" is no new matter).
    let answer = Answer {
        conversation: id,
        message: FreeForm::Reaction(&reaction),
        delivery,
        reopened: None,
        agent: viewer.me(),
        reply_to: None,
    };
    services.outbox.answer(&answer, now).await?;
    Ok(delivery.into())
}

/// "Anexar" → "Enviar anexo": an image, video, audio or document by its public link, under the same window
/// rules as a text (sent now, queued until the contact writes, or refused with the reason).
pub async fn send_media(
    services: &Services,
    viewer: &Viewer,
    id: ConversationId,
    kind: String,
    link: &str,
    caption: &str,
) -> Result<SendOutcome, AppError> {
    use atende_domain::media::{MediaError, MediaKind, MediaMessage};
    use atende_domain::queue::compose_decision;
    let now = services.clock.now();
    let kind = MediaKind::from_code(&kind).ok_or(MediaError::UnknownKind(kind))?;
    let media = MediaMessage::parse(kind, link, caption)?;
    let state = services.outbox.conversation_state(id).await?;
    media.check_channel(state.channel.kind())?;
    let delivery = compose_decision(&state.channel, &state.lifecycle, now).delivery()?;
    answer(services, viewer, &state, FreeForm::Media(&media), delivery, now, None).await
}

/// A file from the agent's computer ("Anexar", dropped on the conversation or pasted), as it arrived.
#[derive(Debug)]
pub struct Upload<'a> {
    pub name: &'a str,
    /// The type the browser gave (may be blank: the name's extension then says it).
    pub declared_type: &'a str,
    pub caption: &'a str,
    pub bytes: Vec<u8>,
}

impl Upload<'_> {
    fn size(&self) -> u64 {
        u64::try_from(self.bytes.len()).unwrap_or(u64::MAX)
    }

    /// Its first bytes, enough to tell its type by ([`OutgoingFile::with_content`]).
    ///
    /// [`OutgoingFile::with_content`]: atende_domain::outbound_media::OutgoingFile::with_content
    fn head(&self) -> &[u8] {
        &self.bytes[..self.bytes.len().min(1024)]
    }
}

/// A file from the agent's computer: the domain checks it for the conversation's channel (type, size,
/// caption) and its first bytes against its type; it is kept in the blob store and then, like a text, sent
/// now, held until the contact writes (the file waits with its message), or refused with the reason.
pub async fn send_file(
    services: &Services,
    viewer: &Viewer,
    id: ConversationId,
    upload: Upload<'_>,
) -> Result<SendOutcome, AppError> {
    use atende_domain::outbound_media::{file_type, OutgoingFile};
    use atende_domain::queue::compose_decision;
    atende_domain::text::check_text(upload.name)?;
    atende_domain::text::check_text(upload.caption)?;
    let now = services.clock.now();
    let state = services.outbox.conversation_state(id).await?;
    // A voice note recorded in the browser (WebM) goes as the OGG/Opus voice note WhatsApp plays.
    let recorded;
    let upload = if atende_domain::recording::is_recording(&file_type(upload.declared_type, upload.name)) {
        let (name, ogg) = atende_domain::outbound_media::voice_note_file(upload.name, &upload.bytes)?;
        recorded = name;
        Upload { name: &recorded, declared_type: "audio/ogg", caption: upload.caption, bytes: ogg }
    } else {
        upload
    };
    let file = OutgoingFile::check(
        state.channel.kind(),
        upload.name,
        upload.declared_type,
        upload.size(),
        upload.caption,
        services.files.max_bytes(),
    )?;
    let file = file.with_content(upload.head())?;
    let delivery = compose_decision(&state.channel, &state.lifecycle, now).delivery()?;
    let sha256 = services.files.keep(upload.bytes).await?;
    let message = FreeForm::File { file: &file, sha256: &sha256 };
    answer(services, viewer, &state, message, delivery, now, None).await
}

/// A file from the agent's computer for a template's media header of `format` (Iniciar atendimento,
/// Reiniciar, or an integration): checked by the domain (the types and sizes Meta takes there) and by its
/// first bytes, then kept in the blob store. The answer is the header field's value that names it; the
/// template is sent later with that value, and the provider uploads the file then.
pub async fn keep_header_file(
    services: &Services,
    format: atende_domain::template::MediaFormat,
    upload: Upload<'_>,
) -> Result<atende_domain::template::HeaderFile, AppError> {
    use atende_domain::outbound_media::OutgoingFile;
    atende_domain::text::check_text(upload.name)?;
    let limit = services.files.max_bytes();
    let file = OutgoingFile::for_header(format, upload.name, upload.declared_type, upload.size(), limit)?;
    let file = file.with_content(upload.head())?;
    let sha256 = services.files.keep(upload.bytes).await?;
    Ok(file.header_file(&sha256))
}

/// A file from the agent's computer for a quick answer ("Respostas rápidas" → "Anexo"): checked by the domain
/// (some channel takes it, its first bytes are what its type says), then kept in the blob store. The answer is
/// what the form saves with the answer.
pub async fn keep_answer_file(
    services: &Services,
    viewer: &Viewer,
    upload: Upload<'_>,
) -> Result<atende_domain::quick_answer::AnswerFile, AppError> {
    use atende_domain::outbound_media::OutgoingFile;
    atende_domain::text::check_text(upload.name)?;
    let size = upload.size();
    let limit = services.files.max_bytes();
    let name = OutgoingFile::for_answer(upload.name, upload.declared_type, size, upload.head(), limit)?;
    let sha256 = services.files.keep(upload.bytes).await?;
    // "Salvar" takes this file from this agent only.
    services.quick_answers.note_answer_upload(&sha256, viewer.me(), services.clock.now()).await?;
    Ok(atende_domain::quick_answer::AnswerFile { sha256, name, size })
}

/// A quick answer's file as "Salvar" names it: the one the answer has already (`had`) or one this agent
/// uploaded, still kept, of the size said, under a name the domain made safe, and still what some channel
/// takes (a form names a file by its hash: nobody attaches another's kept file by naming it).
pub async fn check_answer_file(
    services: &Services,
    viewer: &Viewer,
    file: &atende_domain::quick_answer::AnswerFile,
    had: Option<&atende_domain::quick_answer::AnswerFile>,
) -> Result<(), AppError> {
    use atende_domain::outbound_media::OutgoingFile;
    let gone = || {
        AppError::File(format!(
            "O anexo “{}” não está mais no servidor: escolha o arquivo de novo.",
            file.name
        ))
    };
    if had != Some(file) && !services.quick_answers.answer_uploaded_by(&file.sha256, viewer.me()).await? {
        return Err(gone());
    }
    let (head, size) = services.files.head(&file.sha256).await?.ok_or_else(gone)?;
    if size != file.size {
        return Err(gone());
    }
    let name = OutgoingFile::for_answer(&file.name, "", size, &head, services.files.max_bytes())?;
    if name != file.name {
        return Err(AppError::File(format!(
            "O nome “{}” do anexo não é válido: escolha o arquivo de novo.",
            file.name
        )));
    }
    Ok(())
}

/// "Enviar" of a quick answer with a file: the file, with the text as its caption where the channel takes
/// one, or the file and then the text (the domain's [`atende_domain::quick_answer::with_file`]). Everything is
/// checked before anything is written; each is then a message like any other (sent now, held until the
/// contact writes, or refused with the reason), in that order.
pub async fn send_answer_file(
    services: &Services,
    viewer: &Viewer,
    id: ConversationId,
    file: &atende_domain::quick_answer::AnswerFile,
    text: &str,
    reply_to: Option<i64>,
) -> Result<SendOutcome, AppError> {
    use atende_domain::queue::{compose_decision, MessageText};
    atende_domain::text::check_text(text)?;
    let now = services.clock.now();
    let state = services.outbox.conversation_state(id).await?;
    let channel = state.channel.kind();
    let plan = atende_domain::quick_answer::with_file(
        channel,
        file,
        text,
        reply_to.is_some(),
        services.files.max_bytes(),
    )?;
    let Some((head, _)) = services.files.head(&file.sha256).await? else {
        return Err(AppError::File(format!(
            "O anexo “{}” da resposta rápida não está mais no servidor: peça a quem cuida das respostas \
             rápidas que o escolha de novo.",
            file.name
        )));
    };
    let outgoing = plan.file.with_content(&head)?;
    let then_text =
        plan.then_text.as_deref().map(|text| MessageText::parse_for(channel, text)).transpose()?;
    let quoted = quoted(services, id, reply_to).await?;
    let delivery = compose_decision(&state.channel, &state.lifecycle, now).delivery()?;
    let message = FreeForm::File { file: &outgoing, sha256: &file.sha256 };
    let sent = answer(services, viewer, &state, message, delivery, now, None).await?;
    let Some(text) = then_text else { return Ok(sent) };
    // The file may have reopened a concluded conversation: the text follows in the conversation as it is now.
    // It was checked with the file; what can still fail is the store, and then only the text is to be resent.
    let text_after = async {
        let state = services.outbox.conversation_state(id).await?;
        let delivery = compose_decision(&state.channel, &state.lifecycle, now).delivery()?;
        answer(services, viewer, &state, FreeForm::Text(&text), delivery, now, quoted.as_ref()).await
    };
    text_after.await.map_err(|error: AppError| AppError::TextAfterFile(error.to_string()))
}

/// A filled template whose media header is a file from the agent's computer: the file must still be kept,
/// and be what the header takes (a value names a file by its hash and name, which an API caller could get
/// wrong).
async fn check_header_file(
    services: &Services,
    filled: &atende_domain::template::FilledTemplate,
) -> Result<(), AppError> {
    use atende_domain::outbound_media::OutgoingFile;
    let Some((format, file)) = filled.header_file() else { return Ok(()) };
    let Some((head, size)) = services.files.head(&file.sha256).await? else {
        return Err(AppError::File(format!(
            "O arquivo “{}” do cabeçalho não está mais no servidor: escolha-o de novo.",
            file.name
        )));
    };
    let checked = OutgoingFile::for_header(format, &file.name, "", size, services.files.max_bytes())?;
    // The name is sent to Meta as the contact's file name: only one the domain made safe is taken.
    if checked.name() != file.name {
        return Err(AppError::File(format!(
            "O nome “{}” do arquivo do cabeçalho não é válido: envie o arquivo de novo.",
            file.name
        )));
    }
    checked.with_content(&head)?;
    Ok(())
}

/// A text or attachment, written with what it changes in one transaction: a concluded conversation the
/// channel let the agent write in is open again (said in its history); answering a conversation nobody had
/// makes it the agent's. The outcome says whether it leaves now or waits for the contact.
async fn answer(
    services: &Services,
    viewer: &Viewer,
    state: &atende_domain::ports::ConversationState,
    message: FreeForm<'_>,
    delivery: atende_domain::queue::Delivery,
    now: Timestamp,
    reply_to: Option<&atende_domain::reply::Quoted>,
) -> Result<SendOutcome, AppError> {
    use atende_domain::conversation::ConversationStatus;
    let concluded = state.lifecycle.status() == ConversationStatus::Concluded;
    let answer = Answer {
        conversation: state.id,
        message,
        delivery,
        reopened: concluded.then(|| state.lifecycle.reopened_by_agent()),
        agent: viewer.me(),
        reply_to,
    };
    services.outbox.answer(&answer, now).await?;
    Ok(delivery.into())
}

/// "Reiniciar" → model → parameters → "Enviar mensagem": an approved template of the allowed category, its
/// values checked by the domain, sent; the conversation then waits for the contact, and is the agent's.
pub async fn restart(
    services: &Services,
    viewer: &Viewer,
    id: ConversationId,
    template: String,
    language: String,
    values: &atende_domain::template::TemplateValues,
) -> Result<(), AppError> {
    use atende_domain::lifecycle::{restart_eligibility, LifecycleError};
    let now = services.clock.now();
    let state = services.outbox.conversation_state(id).await?;
    let offer = restart_eligibility(&state.channel, Some(&state.lifecycle), now)?;
    let chosen =
        services.outbox.channel_template(id, &template, &language).await?.ok_or_else(|| {
            AppError::TemplateNotFound { name: template.clone(), language: language.clone() }
        })?;
    if !offer.allows(chosen.category()) {
        if let Some(attempt) = state.lifecycle.attempt() {
            return Err(LifecycleError::DifferentCategory {
                expected: attempt.category(),
                chosen: chosen.category(),
            }
            .into());
        }
    }
    if !offer.offers(&chosen) {
        return Err(AppError::TemplateNotForService { name: template });
    }
    let filled = chosen.fill(values)?;
    check_header_file(services, &filled).await?;
    let lifecycle = state.lifecycle.template_sent(&state.channel, chosen.category(), now)?;
    let restarted =
        AuditLine { agent: Some(viewer.agent), action: AuditAction::Restarted, detail: Some(&template) };
    // Whoever restarts waits for the answer: the conversation is theirs, in the same transaction.
    services
        .outbox
        .enqueue_template(
            id,
            atende_domain::ports::TemplateSend {
                filled: &filled,
                before: &state.lifecycle,
                after: &lifecycle,
            },
            Some(restarted),
            Some(viewer.me()),
            now,
        )
        .await?;
    Ok(())
}

/// "Concluir": Atende's bookkeeping only; Meta's window is not touched.
pub async fn conclude(services: &Services, viewer: &Viewer, id: ConversationId) -> Result<(), AppError> {
    let state = services.outbox.conversation_state(id).await?;
    let concluded = state.lifecycle.conclude()?;
    let line = AuditLine { agent: Some(viewer.agent), action: AuditAction::Concluded, detail: None };
    services.outbox.set_status(id, &concluded, Some(line), services.clock.now()).await?;
    Ok(())
}

/// "Assumir" / "Responsável": gives the conversation to an agent who may answer it (of its team), or to
/// nobody.
pub async fn assign_to(
    services: &Services,
    viewer: &Viewer,
    id: ConversationId,
    agent: Option<i64>,
) -> Result<(), AppError> {
    use atende_domain::conversation::{AgentId, Assignee};
    let now = services.clock.now();
    let assignee = match agent {
        None => Assignee::Unassigned,
        Some(agent) => {
            let team = services.store.conversation_team(id).await?;
            let agents = services.outbox.assignable_agents(team).await?;
            if !agents.iter().any(|a| a.id == AgentId(agent)) {
                return Err(AppError::NotAssignable);
            }
            Assignee::Agent(AgentId(agent))
        }
    };
    assign(services, id, assignee, viewer.agent, now).await
}

/// "Transferir": to a team (any: the point is to hand it over) and to one of the agents who may answer it
/// there, or to nobody (it waits in the team's "Não atribuídos"), with an optional note for whoever takes
/// it; one transaction. Whether the agent still sees the conversation afterwards.
pub async fn transfer(
    services: &Services,
    viewer: &Viewer,
    id: ConversationId,
    team: i64,
    agent: Option<i64>,
    note: &str,
) -> Result<bool, AppError> {
    use atende_domain::conversation::{check_transfer, AgentId, Assignee};
    use atende_domain::note::NoteText;
    if !services.outbox.teams().await?.iter().any(|t| t.id == team) {
        return Err(StoreError::NotFound.into());
    }
    let agents = services.outbox.assignable_agents(Some(team)).await?;
    let assignee = match agent {
        None => Assignee::Unassigned,
        Some(agent) if agents.iter().any(|a| a.id == AgentId(agent)) => Assignee::Agent(AgentId(agent)),
        Some(_) => return Err(AppError::NotAssignable),
    };
    let team_now = services.store.conversation_team(id).await?;
    check_transfer(team_now, services.outbox.summary(id).await?.assignee, team, assignee)?;
    let note = match note.trim() {
        "" => None,
        text => Some(NoteText::parse(text)?),
    };
    let named: Vec<(AgentId, String)> = agents.into_iter().map(|a| (a.id, a.name)).collect();
    let mentions = note.as_ref().map(|n| n.mentions(&named)).unwrap_or_default();
    let note = note.as_ref().map(|n| (n, mentions.as_slice()));
    services.outbox.transfer(id, team, assignee, viewer.agent, note, services.clock.now()).await.map_err(
        |e| match e {
            // The agent was deactivated meanwhile.
            StoreError::NotFound if agent.is_some() => AppError::NotAssignable,
            other => other.into(),
        },
    )?;
    Ok(viewer.may_see(Some(team)))
}

/// Who starts a conversation: an agent in the console, or an integration with an API token (acting for the
/// admin who created it).
#[derive(Debug, Clone)]
pub struct Actor {
    pub viewer: Viewer,
    /// The conversation becomes this agent's ("Meus"); an integration leaves it to the team.
    pub takes_it: bool,
    /// The token's name, said in the audit trail.
    pub api_token: Option<String>,
}

/// How a conversation was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Started {
    /// Open at once (no template needed: unofficial gateway, or the window is open).
    Opened,
    /// A template went out; the conversation waits for the contact.
    TemplateSent,
}

/// What "Iniciar atendimento" will do, decided with nothing written.
pub struct StartChecked {
    channel: i64,
    team: i64,
    /// The contact's conversation on the channel that is not concluded, reused, with the team it had when
    /// the rules were checked (the write applies only if it still has it).
    existing: Option<(ConversationId, Option<i64>)>,
    /// The template to send, filled, with the conversation's lifecycle the rules saw and the one after it
    /// (none: the conversation opens at once).
    template: Option<(
        atende_domain::template::FilledTemplate,
        atende_domain::lifecycle::Lifecycle,
        atende_domain::lifecycle::Lifecycle,
    )>,
}

/// Every rule of "Iniciar atendimento", with no write: the channel and team exist and the actor may act for
/// the team (and may see the conversation it would reuse, whatever its team), the domain's start plan, the
/// mandatory template on the official API (approved, of an allowed category — the same one while an attempt
/// waits —, its values checked). `contact` is `None` for a contact not stored yet.
pub async fn check_start(
    services: &Services,
    by: &Actor,
    contact: Option<atende_domain::contact::ContactId>,
    channel: i64,
    team: i64,
    template: Option<(String, String)>,
    values: &atende_domain::template::TemplateValues,
) -> Result<StartChecked, AppError> {
    use atende_domain::lifecycle::{start_plan, Lifecycle, StartPlan};
    let now = services.clock.now();
    let info = services
        .outbox
        .channels()
        .await?
        .into_iter()
        .find(|c| c.id == channel)
        .ok_or(AppError::Store(StoreError::NotFound))?;
    if !services.outbox.teams().await?.iter().any(|t| t.id == team) {
        return Err(AppError::Store(StoreError::NotFound));
    }
    // A token limited to teams says so, not "another team's conversation".
    let refused = || if by.api_token.is_some() { AppError::OutsideTokenScope } else { AppError::Forbidden };
    if !by.viewer.may_act_for(team) {
        return Err(refused());
    }
    if template.is_some() && !info.channel.kind().sends_templates() {
        return Err(AppError::TemplateNotUsed);
    }
    let existing = match contact {
        Some(contact) => services.outbox.open_conversation_of(contact, channel).await?,
        None => None,
    };
    let existing = match existing {
        Some(id) => Some((id, services.store.conversation_team(id).await?)),
        None => None,
    };
    let lifecycle = match (existing, contact) {
        (Some((id, seen_team)), _) => {
            if !by.viewer.may_see(seen_team) {
                return Err(refused());
            }
            services.outbox.conversation_state(id).await?.lifecycle
        }
        (None, Some(contact)) => {
            Lifecycle::started_by_business(services.outbox.last_inbound(contact, channel).await?)
        }
        (None, None) => Lifecycle::started_by_business(None),
    };
    // A contact the API call is about to create has the number it was given.
    let reach = match contact {
        Some(contact) => services.outbox.reach(contact).await?,
        None => atende_domain::reach::Reach { phone: true, identified_on: Vec::new() },
    };
    let template = match start_plan(&info.channel, Some(&lifecycle), &reach, now)? {
        StartPlan::OpenDirectly => None,
        StartPlan::Template(offer) => {
            let (name, language) = template.ok_or(AppError::TemplateMissing)?;
            let chosen = services.template_of(channel, &name, &language).await?;
            if !offer.allows(chosen.category()) {
                return Err(AppError::TemplateNotFound { name, language });
            }
            // The console offers only templates "de atendimento"; an integration (public API) names its
            // template itself and is not bound by the console's list.
            if by.api_token.is_none() && !offer.offers(&chosen) {
                return Err(AppError::TemplateNotForService { name });
            }
            let filled = chosen.fill(values)?;
            check_header_file(services, &filled).await?;
            let after = lifecycle.template_sent(&info.channel, chosen.category(), now)?;
            Some((filled, lifecycle, after))
        }
    };
    Ok(StartChecked { channel, team, existing, template })
}

/// "Iniciar atendimento", for the console and the public API alike: [`check_start`] first (nothing is
/// stored when it refuses), then the conversation opened (or reused), taken by the agent, the template
/// queued, the audit line.
pub async fn start(
    services: &Services,
    by: &Actor,
    contact: atende_domain::contact::ContactId,
    channel: i64,
    team: i64,
    template: Option<(String, String)>,
    values: &atende_domain::template::TemplateValues,
) -> Result<(ConversationId, Started), AppError> {
    let checked = check_start(services, by, Some(contact), channel, team, template, values).await?;
    start_checked(services, by, contact, checked).await
}

/// The writes of "Iniciar atendimento", after [`check_start`] accepted them for `contact` (for an API call
/// the check ran before the contact was stored: a new contact has no conversation to reuse), in one
/// transaction: the conversation opened (or reused, moved to the team), taken by the agent, the template
/// queued, the audit lines.
pub async fn start_checked(
    services: &Services,
    by: &Actor,
    contact: atende_domain::contact::ContactId,
    checked: StartChecked,
) -> Result<(ConversationId, Started), AppError> {
    let start = atende_domain::ports::Start {
        contact,
        channel_id: checked.channel,
        team_id: checked.team,
        seen: checked.existing,
        taker: by.takes_it.then(|| by.viewer.me()),
        template: checked
            .template
            .as_ref()
            .map(|(filled, before, after)| atende_domain::ports::TemplateSend { filled, before, after }),
        by: by.viewer.agent,
        api_token: by.api_token.as_deref(),
    };
    let opened = services.outbox.start(&start, services.clock.now()).await?;
    let started = if checked.template.is_some() { Started::TemplateSent } else { Started::Opened };
    Ok((opened.id, started))
}

/// Gives the conversation to `assignee` (or to nobody) and, when that changed who answers, says so in the
/// audit trail, as done by `agent`: one transaction.
pub async fn assign(
    services: &Services,
    id: ConversationId,
    assignee: atende_domain::conversation::Assignee,
    agent: i64,
    now: Timestamp,
) -> Result<(), AppError> {
    services.outbox.assign(id, assignee, Some(agent), now).await.map_err(|e| match e {
        StoreError::NotFound => AppError::NotAssignable,
        other => other.into(),
    })?;
    Ok(())
}
