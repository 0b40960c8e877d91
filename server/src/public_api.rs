//! The public JSON API for integrations (`/api/v1`), documented in `openapi.json` (served at
//! `GET /api/v1/openapi.json`).
//!
//! Every call but the document carries `Authorization: Bearer <token>`; an admin creates tokens on the admin
//! page, for every team or for some: a token acts for that admin, limited to its teams (as an agent of exactly
//! those teams would), and revoking it, or deactivating the admin, stops it at once. The calls go through the
//! same domain rules and the same [`atende_app::usecases::start`] as the console, so an integration can do nothing
//! an agent could not. Errors are `{"error": "<Kind>", "message": "<pt-BR>"}` with the same status codes as
//! the server functions (401, 403, 404, 409, 422, 503…).

use atende_app::error::AppError;
use atende_app::ssr::Services;
use atende_app::usecases::{Actor, Started};
use atende_domain::access::Viewer;
use atende_domain::contact::{Contact, ContactForm, ContactName, NewContact};
use atende_domain::phone::Phone;
use atende_domain::ports::StoreError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// The OpenAPI document, kept beside this file and checked against the routes by the tests.
pub const OPENAPI: &str = include_str!("openapi.json");

/// The token a request came with (its name goes into the audit trail).
#[derive(Debug, Clone)]
pub struct ApiToken {
    pub name: String,
}

/// The HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verb {
    Get,
    Put,
    Post,
}

impl Verb {
    /// As the OpenAPI document names it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::Put => "put",
            Self::Post => "post",
        }
    }

    const fn filter(self) -> MethodFilter {
        match self {
            Self::Get => MethodFilter::GET,
            Self::Put => MethodFilter::PUT,
            Self::Post => MethodFilter::POST,
        }
    }
}

/// One route of the API.
struct Route {
    verb: Verb,
    path: &'static str,
    handler: MethodRouter<Services>,
}

fn route<H, T>(verb: Verb, path: &'static str, handler: H) -> Route
where
    H: Handler<T, Services>,
    T: 'static,
{
    Route { verb, path, handler: on(verb.filter(), handler) }
}

/// Every route the API serves: the router is built from this list, and a test holds it equal to the
/// OpenAPI document's operations (nothing served undocumented, nothing documented unserved).
fn routes() -> Vec<Route> {
    vec![
        route(Verb::Get, "/api/v1/openapi.json", openapi),
        route(Verb::Get, "/api/v1/channels", channels),
        route(Verb::Get, "/api/v1/teams", teams),
        route(Verb::Get, "/api/v1/channels/{channel}/templates", templates),
        route(Verb::Put, "/api/v1/contacts", upsert_contact),
        route(Verb::Post, "/api/v1/conversations", open_conversation),
        route(Verb::Post, "/api/v1/conversations/{conversation}/files", send_file),
        route(Verb::Post, "/api/v1/template-files", keep_template_file),
    ]
}

/// What [`router`] serves: each method and path (in the document's syntax, which is axum's).
pub fn served() -> Vec<(Verb, &'static str)> {
    routes().into_iter().map(|r| (r.verb, r.path)).collect()
}

pub fn router(services: Services) -> Router {
    routes()
        .into_iter()
        .fold(Router::new(), |router, r| router.route(r.path, r.handler))
        .route("/api/v1/{*rest}", axum::routing::any(not_found))
        .with_state(services)
}

async fn openapi() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "NotFound", "Este endereço não existe na API (veja /api/v1/openapi.json).")
}

fn problem(status: StatusCode, error: &str, message: &str) -> Response {
    (status, Json(json!({ "error": error, "message": message }))).into_response()
}

/// An [`AppError`] as the API says it: its kind (the variant's name) and the agent's sentence.
struct ApiError(AppError);

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        Self(error)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let kind = match serde_json::to_value(&self.0) {
            Ok(serde_json::Value::String(unit)) => unit,
            Ok(serde_json::Value::Object(map)) => map.keys().next().cloned().unwrap_or_default(),
            _ => String::new(),
        };
        problem(self.0.status(), &kind, &self.0.to_string())
    }
}

/// A body that is not the JSON a call expects: 400 (or 415 without `Content-Type: application/json`), said
/// in Portuguese.
fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, BadBody> {
    payload.map(|Json(value)| value).map_err(|rejection| BadBody {
        status: match rejection {
            JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::BAD_REQUEST,
        },
        message: format!("O corpo não é o JSON esperado: {}", rejection.body_text()),
    })
}

struct BadBody {
    status: StatusCode,
    message: String,
}

impl IntoResponse for BadBody {
    fn into_response(self) -> Response {
        problem(self.status, "BadRequest", &self.message)
    }
}

#[derive(Serialize)]
struct ChannelOut {
    id: i64,
    name: String,
    kind: &'static str,
    /// Whether starting a conversation needs a template (the official API).
    needs_template: bool,
}

async fn channels(State(services): State<Services>) -> Result<Json<Vec<ChannelOut>>, ApiError> {
    Ok(Json(
        services
            .outbox
            .channels()
            .await?
            .into_iter()
            .map(|c| ChannelOut {
                id: c.id,
                name: c.name,
                kind: c.channel.kind().code(),
                needs_template: c.channel.kind().sends_templates(),
            })
            .collect(),
    ))
}

#[derive(Serialize)]
struct TeamOut {
    id: i64,
    name: String,
}

async fn teams(
    State(services): State<Services>,
    Extension(viewer): Extension<Viewer>,
) -> Result<Json<Vec<TeamOut>>, ApiError> {
    Ok(Json(
        services
            .outbox
            .teams()
            .await?
            .into_iter()
            .filter(|t| viewer.may_act_for(t.id))
            .map(|t| TeamOut { id: t.id, name: t.name })
            .collect(),
    ))
}

#[derive(Serialize)]
struct TemplateOut {
    name: String,
    language: String,
    category: &'static str,
    status: &'static str,
    /// Only approved templates can be sent.
    sendable: bool,
    /// The labels to give values for, in `parameters` (all required but the quick replies' answers).
    fields: Vec<String>,
    body: String,
}

async fn templates(
    State(services): State<Services>,
    Path(channel): Path<i64>,
) -> Result<Json<Vec<TemplateOut>>, ApiError> {
    if !services.outbox.channels().await?.iter().any(|c| c.id == channel) {
        return Err(StoreError::NotFound.into());
    }
    Ok(Json(
        services
            .outbox
            .templates_of_channel(channel)
            .await?
            .into_iter()
            .map(|t| TemplateOut {
                name: t.name().as_str().to_owned(),
                language: t.language().as_str().to_owned(),
                category: t.category().code(),
                status: t.status().code(),
                sendable: t.status().is_sendable(),
                fields: t.slots().iter().map(ToString::to_string).collect(),
                body: t.body().to_owned(),
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactIn {
    phone: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Serialize)]
struct ContactOut {
    id: i64,
    name: String,
    phone: Option<String>,
}

impl From<Contact> for ContactOut {
    fn from(contact: Contact) -> Self {
        Self {
            id: contact.id.0,
            name: contact.name.as_str().to_owned(),
            phone: contact.phone.map(|p| p.e164()),
        }
    }
}

/// The contact known by `phone` (or its ninth-digit twin), renamed when a name is given; else a new one.
/// `true` when it was created.
async fn upsert(services: &Services, phone: &str, name: Option<&str>) -> Result<(Contact, bool), ApiError> {
    let phone = Phone::parse(phone).map_err(AppError::from)?;
    let name = name.map(ContactName::parse).transpose().map_err(AppError::from)?;
    match services.store.find_contact_by_phone(&phone).await? {
        Some(existing) => match name {
            Some(name) if name != existing.name => {
                let kept = NewContact { name, phone: existing.phone.clone().unwrap_or(phone) };
                Ok((services.store.update_contact(existing.id, kept).await?, false))
            }
            _ => Ok((existing, false)),
        },
        None => {
            // A new contact needs a name: the same check as "Novo contato".
            let form = ContactForm {
                name: name.map(|n| n.as_str().to_owned()).unwrap_or_default(),
                phone: phone.to_string(),
            };
            let contact = form.validate().map_err(AppError::from)?;
            Ok((services.store.create_contact(contact, services.clock.now()).await?, true))
        }
    }
}

/// `PUT /api/v1/contacts`: 201 with the new contact, or 200 with the known one.
async fn upsert_contact(
    State(services): State<Services>,
    payload: Result<Json<ContactIn>, JsonRejection>,
) -> Response {
    let input = match body(payload) {
        Ok(input) => input,
        Err(refused) => return refused.into_response(),
    };
    match upsert(&services, &input.phone, input.name.as_deref()).await {
        Ok((contact, created)) => {
            let status = if created { StatusCode::CREATED } else { StatusCode::OK };
            (status, Json(ContactOut::from(contact))).into_response()
        }
        Err(error) => error.into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateIn {
    name: String,
    language: String,
    /// Values by field label ("Corpo {{1}}"), as `GET …/templates` lists them.
    #[serde(default)]
    parameters: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConversationIn {
    phone: String,
    #[serde(default)]
    name: Option<String>,
    channel: i64,
    team: i64,
    #[serde(default)]
    template: Option<TemplateIn>,
}

#[derive(Serialize)]
struct ConversationOut {
    conversation: i64,
    contact: ContactOut,
    contact_created: bool,
    /// `opened` (no template needed) or `template_sent` (waiting for the contact to answer).
    started: &'static str,
}

/// `POST /api/v1/conversations`: upsert the contact by phone, then open (or reopen) the conversation for the
/// team, sending the template when the channel needs one. 201.
async fn open_conversation(
    State(services): State<Services>,
    Extension(viewer): Extension<Viewer>,
    Extension(token): Extension<ApiToken>,
    payload: Result<Json<ConversationIn>, JsonRejection>,
) -> Response {
    let input = match body(payload) {
        Ok(input) => input,
        Err(refused) => return refused.into_response(),
    };
    match open(&services, &viewer, &token, input).await {
        Ok(out) => (StatusCode::CREATED, Json(out)).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn open(
    services: &Services,
    viewer: &Viewer,
    token: &ApiToken,
    input: ConversationIn,
) -> Result<ConversationOut, ApiError> {
    // The template's values by their labels (a label the template does not have is refused). A channel
    // without templates refuses one outright: dropping it silently would open a conversation the caller
    // believes carried a message.
    let channel = services.outbox.channels().await?.into_iter().find(|c| c.id == input.channel);
    let (template, values) = match &input.template {
        None => (None, atende_domain::template::TemplateValues::new()),
        Some(_) if channel.is_some_and(|c| !c.channel.kind().sends_templates()) => {
            return Err(AppError::TemplateNotUsed.into());
        }
        Some(t) => {
            let known = services.template_of(input.channel, &t.name, &t.language).await?;
            let values = known
                .values_by_label(t.parameters.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .map_err(AppError::from)?;
            (Some((t.name.clone(), t.language.clone())), values)
        }
    };
    let by = Actor { viewer: viewer.clone(), takes_it: false, api_token: Some(token.name.clone()) };
    // Every rule first, with the contact as it is now: a refused call changes nothing, not even the contact.
    let phone = Phone::parse(&input.phone).map_err(AppError::from)?;
    let known = services.store.find_contact_by_phone(&phone).await?.map(|c| c.id);
    let checked =
        atende_app::usecases::check_start(services, &by, known, input.channel, input.team, template, &values)
            .await?;
    let (contact, created) = upsert(services, &input.phone, input.name.as_deref()).await?;
    let (id, started) = atende_app::usecases::start_checked(services, &by, contact.id, checked).await?;
    Ok(ConversationOut {
        conversation: id.0,
        contact: contact.into(),
        contact_created: created,
        started: match started {
            Started::Opened => "opened",
            Started::TemplateSent => "template_sent",
        },
    })
}

/// `?name=…&caption=…` of a file sent through the API.
#[derive(Deserialize)]
struct FileQuery {
    name: String,
    #[serde(default)]
    caption: String,
}

/// A file for the conversation, as "Anexar" sends it from the console: the body is the file, its type the
/// `Content-Type`; the same checks, window rules and queue (sent now, or held until the contact writes).
async fn send_file(
    State(services): State<Services>,
    Extension(viewer): Extension<Viewer>,
    Path(conversation): Path<i64>,
    query: Result<axum::extract::Query<FileQuery>, axum::extract::rejection::QueryRejection>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> Response {
    let Ok(axum::extract::Query(query)) = query else {
        return problem(StatusCode::BAD_REQUEST, "BadRequest", "Informe o nome do arquivo: ?name=boleto.pdf");
    };
    let id = atende_domain::conversation::ConversationId(conversation);
    let viewer = match services.authorize_viewer(viewer, id).await {
        Ok(viewer) => viewer,
        Err(error) => return ApiError(error).into_response(),
    };
    let (bytes, _slot) = match read_file(&services, &headers, body).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    let upload = atende_app::usecases::Upload {
        name: &query.name,
        declared_type: declared_type(&headers),
        caption: &query.caption,
        bytes,
    };
    match atende_app::usecases::send_file(&services, &viewer, id, upload).await {
        Ok(outcome) => {
            let status = match outcome {
                atende_domain::queue::SendOutcome::Sending => "sending",
                atende_domain::queue::SendOutcome::Queued => "queued",
            };
            (StatusCode::ACCEPTED, Json(json!({ "status": status }))).into_response()
        }
        Err(error) => ApiError(error).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_route_the_router_serves_is_in_the_openapi_document_and_nothing_else_is() {
        let document: serde_json::Value = serde_json::from_str(OPENAPI).expect("the document is JSON");
        let documented: BTreeSet<(String, String)> = document["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .into_iter()
                    .flat_map(|operations| operations.keys())
                    .filter(|key| ["get", "put", "post", "patch", "delete"].contains(&key.as_str()))
                    .map(move |method| (method.clone(), path.clone()))
            })
            .collect();
        let served: BTreeSet<(String, String)> =
            served().into_iter().map(|(verb, path)| (verb.name().to_owned(), path.to_owned())).collect();
        assert_eq!(served, documented);
    }

    #[test]
    fn every_refusal_a_call_can_answer_is_documented() {
        let document: serde_json::Value = serde_json::from_str(OPENAPI).expect("the document is JSON");
        for (verb, path) in served() {
            if path == "/api/v1/openapi.json" {
                continue;
            }
            let responses = &document["paths"][path][verb.name()]["responses"];
            // Every call needs a live token and the database (the gate answers 503 when it fails).
            for status in ["401", "503"] {
                assert!(responses.get(status).is_some(), "{} {path}: {status}", verb.name());
            }
        }
        let start = &document["paths"]["/api/v1/conversations"]["post"]["responses"];
        for status in ["400", "403", "404", "409", "415", "422"] {
            assert!(start.get(status).is_some(), "POST /api/v1/conversations: {status}");
        }
        assert!(document["paths"]["/api/v1/contacts"]["put"]["responses"].get("409").is_some());
    }
}

/// A request's body read as a file (see [`crate::media::upload::read_file`]), or the problem to answer.
async fn read_file(
    services: &Services,
    headers: &axum::http::HeaderMap,
    body: axum::body::Body,
) -> Result<(Vec<u8>, crate::media::upload::UploadSlot), Response> {
    crate::media::upload::read_file(headers, body, services.files.max_bytes()).await.map_err(|unread| {
        let kind = if unread.status == StatusCode::PAYLOAD_TOO_LARGE { "FileTooLarge" } else { "BadRequest" };
        problem(unread.status, kind, &unread.message)
    })
}

/// The file's type, as the request's `Content-Type` says it.
fn declared_type(headers: &axum::http::HeaderMap) -> &str {
    headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// `?format=…&name=…` of a template's media header sent as a file.
#[derive(Deserialize)]
struct TemplateFileQuery {
    format: Option<String>,
    name: String,
}

/// A file for a template's media header (`format` image, video, gif or document): checked as the console
/// checks it, kept, and answered with the header field's `value` to send the template with.
async fn keep_template_file(
    State(services): State<Services>,
    query: Result<axum::extract::Query<TemplateFileQuery>, axum::extract::rejection::QueryRejection>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> Response {
    let Ok(axum::extract::Query(query)) = query else {
        return problem(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Informe o formato e o nome: ?format=image&name=promo.jpg",
        );
    };
    let format = match crate::media::upload::header_format(query.format.as_deref()) {
        Ok(format) => format,
        Err(why) => return problem(StatusCode::BAD_REQUEST, "BadRequest", why),
    };
    let (bytes, _slot) = match read_file(&services, &headers, body).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    let upload = atende_app::usecases::Upload {
        name: &query.name,
        declared_type: declared_type(&headers),
        caption: "",
        bytes,
    };
    match atende_app::usecases::keep_header_file(&services, format, upload).await {
        Ok(file) => {
            (StatusCode::CREATED, Json(json!({ "value": file.value(), "name": file.name }))).into_response()
        }
        Err(error) => ApiError(error).into_response(),
    }
}
