//! "Respostas rápidas": the server functions behind the screen that keeps them and the `/` list of the
//! message box. Who may use and who may change an answer is the domain's rule
//! ([`atende_domain::quick_answer::Scope`]); a refusal changes nothing.

use crate::error::AppError;
use atende_domain::access::Viewer;
use atende_domain::ports::TeamInfo;
use atende_domain::quick_answer::{QuickAnswerForm, SavedQuickAnswer};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The answers the signed-in agent may use, and what the screen needs to offer where to keep new ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuickAnswersData {
    pub answers: Vec<SavedQuickAnswer>,
    /// Every team, for the answers' labels and the "Equipe" choice.
    pub teams: Vec<TeamInfo>,
    /// Who is asking (their name fills `{{agente}}`; their role and teams say what they may change).
    pub viewer: Viewer,
}

#[server(endpoint = "quick_answers")]
pub async fn quick_answers() -> Result<QuickAnswersData, AppError> {
    let services = crate::ssr::Services::signed_in()?;
    let viewer = crate::ssr::viewer()?;
    Ok(QuickAnswersData {
        answers: services.quick_answers.quick_answers(viewer.team_filter()).await?,
        teams: services.outbox.teams().await?,
        viewer,
    })
}

/// "Salvar": a new answer (`id` `None`) or a change to one the agent may change, to a place they may keep
/// answers in.
#[server(endpoint = "save_quick_answer", input = leptos::server_fn::codec::Json)]
pub async fn save_quick_answer(id: Option<i64>, form: QuickAnswerForm) -> Result<SavedQuickAnswer, AppError> {
    use atende_domain::ports::StoreError;
    use atende_domain::quick_answer::QuickAnswerError;
    let services = crate::ssr::Services::signed_in()?;
    let viewer = crate::ssr::viewer()?;
    let (scope, answer) = form.validate(&viewer)?;
    let mut had = None;
    if let Some(id) = id {
        let existing = visible(&services, &viewer, id).await?;
        if !existing.scope.managed_by(&viewer) {
            return Err(QuickAnswerError::NotAllowed { global: existing.scope.team().is_none() }.into());
        }
        had = existing.answer.file().cloned();
    }
    if let Some(file) = answer.file() {
        crate::usecases::check_answer_file(&services, &viewer, file, had.as_ref()).await?;
    }
    let now = services.clock.now();
    match services.quick_answers.save_quick_answer(id, scope, &answer, viewer.me(), now).await {
        Err(StoreError::NameTaken) => {
            Err(QuickAnswerError::TitleTaken { title: answer.title().to_owned() }.into())
        }
        saved => Ok(saved?),
    }
}

/// "Enviar" of a message box holding a quick answer with a file: its file (from the saved answer, never from
/// the browser) and `text`, the answer's text as the agent left it (see
/// [`crate::usecases::send_answer_file`]). Only an answer offered in this conversation's team.
#[server(endpoint = "send_quick_answer")]
pub async fn send_quick_answer(
    conversation: i64,
    answer: i64,
    text: String,
    #[server(default)] reply_to: Option<i64>,
) -> Result<atende_domain::queue::SendOutcome, AppError> {
    use atende_domain::conversation::ConversationId;
    let (services, id) = (crate::ssr::Services::signed_in()?, ConversationId(conversation));
    let viewer = services.authorize(id).await?;
    let saved = visible(&services, &viewer, answer).await?;
    let team = services.store.conversation_team(id).await?;
    if !saved.scope.offered_in(&viewer, team) {
        return Err(atende_domain::ports::StoreError::NotFound.into());
    }
    match saved.answer.file() {
        Some(file) => crate::usecases::send_answer_file(&services, &viewer, id, file, &text, reply_to).await,
        None => crate::usecases::send_text(&services, &viewer, id, &text, reply_to).await,
    }
}

/// "Apagar".
#[server(endpoint = "delete_quick_answer")]
pub async fn delete_quick_answer(id: i64) -> Result<(), AppError> {
    use atende_domain::quick_answer::QuickAnswerError;
    let services = crate::ssr::Services::signed_in()?;
    let viewer = crate::ssr::viewer()?;
    let existing = visible(&services, &viewer, id).await?;
    if !existing.scope.managed_by(&viewer) {
        return Err(QuickAnswerError::NotAllowed { global: existing.scope.team().is_none() }.into());
    }
    Ok(services.quick_answers.delete_quick_answer(id).await?)
}

/// The answer, if the agent may use it: another team's is "not found", as one that does not exist (the
/// answer tells nothing of it).
#[cfg(feature = "ssr")]
async fn visible(
    services: &crate::ssr::Services,
    viewer: &Viewer,
    id: i64,
) -> Result<SavedQuickAnswer, AppError> {
    let existing = services.quick_answers.quick_answer(id).await?;
    if !existing.scope.usable_by(viewer) {
        return Err(atende_domain::ports::StoreError::NotFound.into());
    }
    Ok(existing)
}
