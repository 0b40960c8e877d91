//! What server functions need from the server: the store and the clock, provided as context, and the HTTP
//! status that tells an API caller what went wrong.

use crate::error::AppError;
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
