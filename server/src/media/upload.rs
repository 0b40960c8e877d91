//! `POST /midia/enviar/{conversation_id}`: a file from the agent's computer, one per request, as the browser
//! sends it with upload progress. The body is the file's bytes, sent as `application/octet-stream` (whatever
//! the file, so nothing on the way reads it as a form or JSON); `X-Atende-Tipo` its type as the browser knows
//! it (may be blank), `X-Atende-Nome` its name and `X-Atende-Legenda` the caption, percent-encoded (a header
//! is ASCII).
//! The gate already checked the session and that the request comes from the console itself.
//!
//! What happens next is the use case's ([`atende_app::usecases::send_file`]): the domain's checks, the blob
//! store, and the window rules. The answer is the [`SendOutcome`] as JSON, or `{"erro": "…"}` in Portuguese
//! with the status of the refusal (413 for a file over the limit, 422 for a type the channel does not take).

use super::blob::{BlobError, BlobStore};
use atende_app::error::AppError;
use atende_app::ssr::{Files, Services};
use atende_app::usecases::{keep_answer_file, keep_header_file, send_file, Upload};
use atende_domain::access::Viewer;
use atende_domain::conversation::ConversationId;
use atende_domain::media::percent_decoded;
use atende_domain::template::MediaFormat;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use std::sync::Arc;

/// Where the route starts (the request guard gives its bodies longer to arrive).
pub const UPLOAD_PATH: &str = "/midia/enviar/";

/// The route of a template's media header from the agent's computer (`?formato=image|video|gif|document`).
pub const HEADER_UPLOAD_PATH: &str = "/midia/cabecalho";

/// The route of a quick answer's file ("Respostas rápidas" → "Anexo").
pub const ANSWER_UPLOAD_PATH: &str = "/midia/resposta-rapida";

/// How long one file's bytes may take to arrive (100 MB at about 1.5 Mbit/s).
pub const UPLOAD_BODY_TIME: std::time::Duration = std::time::Duration::from_secs(600);

/// Whether a request's body is a file (the console's route, or the public API's): it may take
/// [`UPLOAD_BODY_TIME`] to arrive.
pub fn carries_a_file(path: &str) -> bool {
    path.starts_with(UPLOAD_PATH)
        || path == HEADER_UPLOAD_PATH
        || path == ANSWER_UPLOAD_PATH
        || path == "/api/v1/template-files"
        || (path.starts_with("/api/v1/conversations/") && path.ends_with("/files"))
}

/// Files read at once (each is held in memory, up to `ATENDE_MEDIA_MAX_MB`); one more is answered 503.
const UPLOADS_AT_ONCE: usize = 8;

static UPLOADS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(UPLOADS_AT_ONCE);

/// A place among the files being read, held until the file is kept and its message written.
pub type UploadSlot = tokio::sync::SemaphorePermit<'static>;

/// [`Files`] over the blob store.
pub struct BlobFiles {
    pub blobs: Arc<dyn BlobStore>,
    pub max_bytes: u64,
}

#[async_trait::async_trait]
impl Files for BlobFiles {
    async fn keep(&self, bytes: Vec<u8>) -> Result<String, AppError> {
        let (key, _) = self.blobs.put(bytes.into()).await.map_err(|error| {
            tracing::warn!(%error, "could not keep an agent's file");
            // Through `From`, which keeps the store's words out of the answer.
            AppError::from(atende_domain::ports::StoreError::Unavailable(error.to_string()))
        })?;
        Ok(key)
    }

    async fn head(&self, key: &str) -> Result<Option<(Vec<u8>, u64)>, AppError> {
        match self.blobs.get(key, Some(0..1024)).await {
            Ok(blob) => Ok(Some((Vec::from(blob.bytes), blob.total))),
            Err(BlobError::NotFound | BlobError::BadKey) => Ok(None),
            Err(error) => {
                tracing::warn!(%error, "could not read a kept file");
                Err(AppError::from(atende_domain::ports::StoreError::Unavailable(error.to_string())))
            }
        }
    }

    fn max_bytes(&self) -> u64 {
        self.max_bytes
    }
}

fn refused(error: &AppError) -> Response {
    said(error.status(), &error.to_string())
}

/// A refusal as the console reads it: `{"erro": "…"}` in Portuguese, with its status.
fn said(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "erro": message }))).into_response()
}

fn header_text(headers: &HeaderMap, name: &str) -> String {
    headers.get(name).and_then(|v| v.to_str().ok()).map(percent_decoded).unwrap_or_default()
}

/// Why a file's bytes were not read: 413 over `limit`, 400 when they stopped arriving, 503 when too many
/// arrive at once.
#[derive(Debug)]
pub struct Unread {
    pub status: StatusCode,
    pub message: String,
}

/// The bytes of a request's body, at most `limit` (refused at once when `Content-Length` says more, else as
/// soon as more arrive): the console's route and the public API's read files this one way.
pub async fn read_file(headers: &HeaderMap, body: Body, limit: u64) -> Result<(Vec<u8>, UploadSlot), Unread> {
    let Ok(slot) = UPLOADS.try_acquire() else {
        return Err(Unread {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: "Muitos arquivos chegando ao mesmo tempo: tente de novo em instantes.".into(),
        });
    };
    let too_large = || Unread {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        message: format!(
            "O arquivo passa do limite de {} por arquivo.",
            atende_domain::inbound_media::size_label(limit)
        ),
    };
    let announced =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|length| length > limit) {
        return Err(too_large());
    }
    match axum::body::to_bytes(body, usize::try_from(limit).unwrap_or(usize::MAX)).await {
        Ok(bytes) => Ok((Vec::from(bytes), slot)),
        Err(error) => {
            let over = std::error::Error::source(&error)
                .is_some_and(|cause| cause.is::<http_body_util::LengthLimitError>());
            if over {
                return Err(too_large());
            }
            tracing::warn!(%error, "a file did not arrive whole");
            Err(Unread {
                status: StatusCode::BAD_REQUEST,
                message: "O arquivo não chegou inteiro: tente de novo.".into(),
            })
        }
    }
}

/// The file a console request carries (see [`read_file`]), or the refusal to answer, in Portuguese.
async fn console_file(
    services: &Services,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Vec<u8>, UploadSlot), Response> {
    read_file(headers, body, services.files.max_bytes())
        .await
        .map_err(|refusal| said(refusal.status, &refusal.message))
}

pub async fn upload(
    State(services): State<Services>,
    Extension(viewer): Extension<Viewer>,
    Path(conversation): Path<i64>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let id = ConversationId(conversation);
    let viewer = match services.authorize_viewer(viewer, id).await {
        Ok(viewer) => viewer,
        Err(error) => return refused(&error),
    };
    let (bytes, _slot) = match console_file(&services, &headers, body).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    let name = header_text(&headers, "x-atende-nome");
    let caption = header_text(&headers, "x-atende-legenda");
    let declared = header_text(&headers, "x-atende-tipo");
    let upload = Upload { name: &name, declared_type: &declared, caption: &caption, bytes };
    match send_file(&services, &viewer, id, upload).await {
        Ok(outcome) => Json(outcome).into_response(),
        Err(error) => refused(&error),
    }
}

/// A file to keep for later (a template's header, a quick answer's file): its bytes, name and type.
struct KeptFile {
    name: String,
    declared: String,
    bytes: Vec<u8>,
}

impl KeptFile {
    /// The upload, its bytes moved out (not copied: up to the deployment's limit per file).
    fn upload(&mut self) -> Upload<'_> {
        let bytes = std::mem::take(&mut self.bytes);
        Upload { name: &self.name, declared_type: &self.declared, caption: "", bytes }
    }
}

/// The file a console request carries to be kept (see [`console_file`]), with its name and type.
async fn kept_file(
    services: &Services,
    headers: &HeaderMap,
    body: Body,
) -> Result<(KeptFile, UploadSlot), Response> {
    let (bytes, slot) = console_file(services, headers, body).await?;
    let name = header_text(headers, "x-atende-nome");
    let declared = header_text(headers, "x-atende-tipo");
    Ok((KeptFile { name, declared, bytes }, slot))
}

/// The header format a query names (`formato=image`, or the public API's `format=image`); else what to say
/// (a request to answer 400).
pub fn header_format(code: Option<&str>) -> Result<MediaFormat, &'static str> {
    code.and_then(MediaFormat::from_code)
        .ok_or("Diga o tipo do cabeçalho: imagem (image), vídeo (video), gif ou documento (document).")
}

#[derive(serde::Deserialize)]
pub struct HeaderQuery {
    formato: Option<String>,
}

/// `POST /midia/cabecalho?formato=…`: a template's media header from the agent's computer, kept until the
/// template is sent. The answer is `{"valor": "arquivo:<sha256>/<nome>", "nome": …}`: the header field's
/// value.
pub async fn upload_header(
    State(services): State<Services>,
    Extension(_viewer): Extension<Viewer>,
    Query(query): Query<HeaderQuery>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let format = match header_format(query.formato.as_deref()) {
        Ok(format) => format,
        Err(why) => return said(StatusCode::BAD_REQUEST, why),
    };
    let (mut kept, _slot) = match kept_file(&services, &headers, body).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    match keep_header_file(&services, format, kept.upload()).await {
        Ok(file) => Json(serde_json::json!({ "valor": file.value(), "nome": file.name })).into_response(),
        Err(error) => refused(&error),
    }
}

/// `POST /midia/resposta-rapida`: a quick answer's file from the agent's computer, kept until the answer is
/// saved with it. The answer is the [`atende_domain::quick_answer::AnswerFile`] as JSON (`sha256`, `name`,
/// `size`), which "Salvar" sends back with the answer.
pub async fn upload_answer_file(
    State(services): State<Services>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (mut kept, _slot) = match kept_file(&services, &headers, body).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    match keep_answer_file(&services, &viewer, kept.upload()).await {
        Ok(file) => Json(file).into_response(),
        Err(error) => refused(&error),
    }
}
