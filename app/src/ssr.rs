//! What server functions need from the server: the store and the clock, provided as context, and the HTTP
//! status that tells an API caller what went wrong.

use crate::error::AppError;
use atende_domain::access::Viewer;
use atende_domain::conversation::ConversationId;
use atende_domain::ports::{Clock, Outbox, Store, StoreError};
use http::StatusCode;
use leptos::prelude::expect_context;
use leptos_axum::ResponseOptions;
use std::sync::Arc;

/// The services the server hands to every server function.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub outbox: Arc<dyn Outbox>,
    pub clock: Arc<dyn Clock>,
    /// Meta's prices, for the estimate shown before a template goes out.
    pub rate_card: Option<Arc<atende_domain::pricing::RateCard>>,
}

impl Services {
    /// The services of the current request. Panics only if the server forgot to provide them, which the
    /// router tests catch.
    pub fn current() -> Self {
        expect_context::<Self>()
    }

    /// The services, for a signed-in agent only (the server's gate already turned others away; this is the
    /// second lock).
    pub fn signed_in() -> Result<Self, AppError> {
        viewer()?;
        Ok(Self::current())
    }

    /// The signed-in agent, if they may see (and so act on) the conversation.
    pub async fn authorize(&self, id: ConversationId) -> Result<Viewer, AppError> {
        let viewer = viewer()?;
        let team = self.store.conversation_team(id).await?;
        if viewer.may_see(team) {
            Ok(viewer)
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// The agent the server's gate let in, from the request.
pub fn viewer() -> Result<Viewer, AppError> {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Viewer>().cloned())
        .ok_or(AppError::NotSignedIn)
}

/// The status a refused request answers with: the agent's mistake is a 4xx, ours a 5xx.
pub fn status_of(error: &AppError) -> StatusCode {
    match error {
        AppError::Contact(_)
        | AppError::Phone(_)
        | AppError::MessageText(_)
        | AppError::Compose(_)
        | AppError::Restart(_)
        | AppError::Lifecycle(_)
        | AppError::Template(_)
        | AppError::TemplateMissing => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::NotSignedIn => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::TemplateNotFound { .. } => StatusCode::NOT_FOUND,
        AppError::Store(StoreError::DuplicatePhone { .. } | StoreError::Changed) => StatusCode::CONFLICT,
        AppError::Store(StoreError::NotFound) => StatusCode::NOT_FOUND,
        AppError::Store(StoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Transport(_) => StatusCode::BAD_REQUEST,
    }
}

/// Passes a server function's result through, setting the response status when it is an error.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result {
        if let Some(options) = leptos::prelude::use_context::<ResponseOptions>() {
            options.set_status(status_of(error));
        }
    }
    result
}
