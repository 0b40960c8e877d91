//! What every request passes before the session gate and the router, and every answer on its way out.
//!
//! - The path is read once, here, the way both the gate and the router will read it: a path with a `.` or
//!   `..` segment, or an encoded `/` or `\`, is refused (400). Browsers never send one; accepting it let the
//!   gate see `/sandbox/../admin` (public) where the router served `/admin`.
//! - Text a person sends to be kept (query strings, form and JSON bodies of the console's server functions,
//!   the public API and the sign-in form) is checked by [`atende_domain::text`]: a NUL is refused with 422, bytes
//!   that are not UTF-8 (raw or percent-encoded) with 400, before any handler runs, so a refused call stores
//!   nothing and both databases answer alike. What providers send (webhooks, the sandbox's fakes) has its own
//!   rules (signatures, then NULs dropped when applied).
//! - Answers carry `nosniff`, a referrer policy and a frame ban; HTML pages a Content-Security-Policy (the
//!   console's own, with the nonce of its scripts, is set where the page is rendered: [`console_csp`]).

use atende_app::error::AppError;
use atende_domain::text::{check_form, check_text, TextError};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

/// The largest body checked here (the console's and the API's bodies are far smaller); larger ones get 413.
const MAX_CHECKED_BODY: usize = 2 * 1024 * 1024;

/// The policy of HTML that is not the console (the sandbox's simulator, the sign-in refusal page): no
/// script at all, styles from this site or inline.
const PLAIN_CSP: &str = "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The console's policy: its scripts carry `nonce`, WebAssembly may compile, everything else comes from
/// this site (images and media also by `https:` link: agents send attachments by link).
pub(crate) fn console_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; media-src 'self' blob: https:; \
         connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Sets the console's Content-Security-Policy on the page being rendered (called where the server renders the
/// document, inside the request's reactive context, so the nonce is the one its scripts carry).
pub(crate) fn set_console_csp() {
    let Some(nonce) = leptos::nonce::use_nonce() else { return };
    let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() else { return };
    if let Ok(value) = HeaderValue::from_str(&console_csp(&nonce)) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Whether `path` is read the same by everyone: no dot segment, no encoded separator, no NUL.
fn plain_path(path: &str) -> bool {
    path.split('/').all(|segment| {
        let decoded = atende_domain::text::percent_decode(segment.as_bytes());
        !matches!(decoded.as_slice(), b"." | b"..") && !decoded.iter().any(|b| matches!(b, b'/' | b'\\' | 0))
    })
}

/// Whether a request to `path` carries a person's text (not a provider's).
fn from_people(path: &str) -> bool {
    !["/webhooks/", "/sandbox/"].iter().any(|prefix| path.starts_with(prefix))
}

/// The refusal, in the shape the caller reads: the public API's JSON, the console's error (its components
/// show the sentence), or plain text.
fn refuse(path: &str, error: TextError) -> Response {
    let status = match error {
        TextError::Nul => StatusCode::UNPROCESSABLE_ENTITY,
        TextError::NotUtf8 => StatusCode::BAD_REQUEST,
    };
    if path.starts_with("/api/v1/") {
        let code = match error {
            TextError::Nul => "TextHasNul",
            TextError::NotUtf8 => "TextNotUtf8",
        };
        let body = serde_json::json!({ "error": code, "message": error.to_string() });
        return (status, axum::Json(body)).into_response();
    }
    if path.starts_with("/api/") {
        let body = serde_json::to_string(&AppError::Text(error)).unwrap_or_default();
        return (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    }
    (status, error.to_string()).into_response()
}

/// Checks a body's text; `Err` with the answer to give instead.
async fn checked_body(path: &str, body: Body, json: bool, deadline: Instant) -> Result<Body, Response> {
    let bytes = match tokio::time::timeout_at(deadline, axum::body::to_bytes(body, MAX_CHECKED_BODY)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            return Err((StatusCode::PAYLOAD_TOO_LARGE, "Corpo da requisição grande demais.").into_response())
        }
        Err(_) => return Err(too_slow()),
    };
    let checked = if json {
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(value) => check_json(&value),
            Err(_) if std::str::from_utf8(&bytes).is_err() => Err(TextError::NotUtf8),
            // Malformed JSON is the handler's to explain.
            Err(_) => Ok(()),
        }
    } else {
        check_form(&bytes)
    };
    checked.map_err(|error| refuse(path, error))?;
    Ok(Body::from(bytes))
}

fn too_slow() -> Response {
    (StatusCode::REQUEST_TIMEOUT, [(header::CONNECTION, "close")], "O corpo da requisição demorou demais.")
        .into_response()
}

/// `body`, cut off with an error if it has not ended by `deadline`.
fn with_deadline(body: Body, deadline: Instant) -> Body {
    use futures_util::StreamExt;
    let frames = futures_util::stream::unfold(Some(body.into_data_stream()), move |state| async move {
        let mut stream = state?;
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(frame)) => Some((frame, Some(stream))),
            Ok(None) => None,
            Err(_) => {
                let late = std::io::Error::new(std::io::ErrorKind::TimedOut, "request body too slow");
                Some((Err(axum::Error::new(late)), None))
            }
        }
    });
    Body::from_stream(frames)
}

fn check_json(value: &serde_json::Value) -> Result<(), TextError> {
    match value {
        serde_json::Value::String(text) => check_text(text),
        serde_json::Value::Array(items) => items.iter().try_for_each(check_json),
        serde_json::Value::Object(fields) => {
            fields.iter().try_for_each(|(name, field)| check_text(name).and_then(|()| check_json(field)))
        }
        _ => Ok(()),
    }
}

/// The middleware (outermost: before the gate). A request's body must have arrived within `body_time`.
pub(crate) async fn guard(
    State(body_time): State<std::time::Duration>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let deadline = Instant::now() + body_time;
    // A file from the agent's computer may be 100 MB: its bytes (never a form's or JSON's, which are read here
    // under the usual deadline) get longer to arrive.
    let file_deadline = if crate::media::upload::carries_a_file(&path) {
        Instant::now() + body_time.max(crate::media::upload::UPLOAD_BODY_TIME)
    } else {
        deadline
    };
    if !plain_path(&path) {
        tracing::warn!(%path, "request refused: path with dot segments or encoded separators");
        return (StatusCode::BAD_REQUEST, "Caminho inválido.").into_response();
    }
    let request = if from_people(&path) {
        if let Err(error) = check_form(request.uri().query().unwrap_or_default().as_bytes()) {
            return refuse(&path, error);
        }
        let content_type =
            request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let form = content_type.starts_with("application/x-www-form-urlencoded");
        let json = content_type.starts_with("application/json");
        if form || json {
            let (parts, body) = request.into_parts();
            match checked_body(&path, body, json, deadline).await {
                Ok(body) => Request::from_parts(parts, body),
                Err(refusal) => return refusal,
            }
        } else {
            request.map(|body| with_deadline(body, file_deadline))
        }
    } else {
        request.map(|body| with_deadline(body, deadline))
    };
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let html = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| {
        // Any list or parameter a browser may read its type from, not only the start.
        let t = t.to_ascii_lowercase();
        t.split([';', ',']).any(|part| part.trim() == "text/html")
    });
    if html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PLAIN_CSP));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_plain_without_dot_segments_or_encoded_separators() {
        for plain in
            ["/", "/admin", "/crm/contatos", "/pkg/atende.js", "/webhooks/whatsapp", "/a.b/c..d", "/x+y"]
        {
            assert!(plain_path(plain), "{plain}");
        }
        for tricky in [
            "/sandbox/../admin",
            "/pkg/%2e%2e/crm/contatos",
            "/pkg/%2E%2E/admin",
            "/webhooks/../",
            "/webhooks/.",
            "/pkg/.%2e/admin",
            "/pkg/a%2fb",
            "/pkg/a%5Cb",
            "/pkg/a%00b",
        ] {
            assert!(!plain_path(tricky), "{tricky}");
        }
    }

    #[test]
    fn json_text_is_checked_in_every_string_and_name() {
        let ok = serde_json::json!({ "name": "Ana", "values": ["a", 1, null, { "x": "y" }] });
        assert_eq!(check_json(&ok), Ok(()));
        let nul = serde_json::json!({ "values": [{ "x": "a\u{0}b" }] });
        assert_eq!(check_json(&nul), Err(TextError::Nul));
        let name = serde_json::json!({ "a\u{0}": 1 });
        assert_eq!(check_json(&name), Err(TextError::Nul));
    }
}
