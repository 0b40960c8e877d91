//! Signing in and out, and the gate in front of everything an agent uses.
//!
//! - `POST /entrar` (e-mail, senha): Argon2id check, then a random session token in an `HttpOnly`,
//!   `SameSite=Lax` cookie (`Secure` behind HTTPS); the database keeps only the token's SHA-256. Sessions end
//!   after [`SESSION_HOURS`] or at `POST /sair`; expired ones are deleted at each sign-in. After
//!   [`SIGN_IN_FAILURES_ALLOWED`] failures for one e-mail within [`SIGN_IN_WINDOW`], it answers 429 ("Muitas
//!   tentativas…") without looking at the password until the window passes; a success starts the count anew.
//!   Each attempt is counted before its password is checked, atomically, so parallel guesses cannot race
//!   past the limit; at most one password a core is checked at a time (the rest wait briefly, then 503).
//! - [`gate`]: every route but the sign-in page, health, static files, provider webhooks and the sandbox needs a
//!   session (pages redirect to `/entrar`, server functions answer 401); every state-changing request must
//!   come from this site (`Origin`, else `Referer`, naming this host), so another site cannot post on an
//!   agent's behalf. Only what providers call (webhooks, and the sandbox's fakes of their APIs, which Atende
//!   itself calls) is exempt: the sandbox's own forms (simulator, faults) are not. The signed-in agent travels
//!   to the server functions as a [`Viewer`] extension.

use crate::store::SqlStore;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use atende_domain::access::{
    sign_in_locked_until, too_many_attempts, Email, Viewer, SIGN_IN_FAILURES_ALLOWED, SIGN_IN_WINDOW,
};
use atende_domain::ports::Clock;
use atende_domain::time::Timestamp;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use sha2::Digest;
use std::sync::Arc;

pub use atende_app::ssr::SessionHash;

/// The session cookie.
pub const COOKIE: &str = "atende_sessao";
/// How long a sign-in lasts.
pub const SESSION_HOURS: i64 = 12;

#[derive(Clone)]
pub struct AuthState {
    pub store: SqlStore,
    pub clock: Arc<dyn Clock>,
    /// Mark the cookie `Secure` (the site is served over HTTPS).
    pub secure_cookies: bool,
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

pub(crate) fn new_token() -> String {
    let mut bytes = [0_u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

fn cookie(state: &AuthState, value: &str, max_age_seconds: i64) -> HeaderValue {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let text = format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("atende_sessao=; Max-Age=0"))
}

#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    email: String,
    #[serde(default)]
    senha: String,
}

/// A hash of a password nobody has (random, made once), so an unknown e-mail costs as much time as a wrong
/// password.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| crate::access::hash_password(&new_token()).unwrap_or_default());

/// Until when sign-ins (and "Alterar senha" checks) for `email` are refused, if they are: a read, to refuse a
/// locked e-mail before it waits for its turn at password work. [`claim_attempt`] decides.
pub(crate) async fn locked_until(
    store: &SqlStore,
    email: &str,
    now: Timestamp,
) -> Result<Option<Timestamp>, atende_domain::ports::StoreError> {
    let since = now.plus_millis(-SIGN_IN_WINDOW.as_millis());
    let failures = store.sign_in_failures(email, since, SIGN_IN_FAILURES_ALLOWED).await?;
    Ok(sign_in_locked_until(&failures, now))
}

/// Counts an attempt at `email`'s password before it is checked (as a failure until it succeeds), or says
/// until when the e-mail is locked: atomic, so parallel guesses cannot all pass the limit.
pub(crate) async fn claim_attempt(
    store: &SqlStore,
    email: &str,
    now: Timestamp,
) -> Result<Option<Timestamp>, atende_domain::ports::StoreError> {
    let forget_before = now.plus_millis(-SIGN_IN_WINDOW.as_millis());
    store
        .claim_sign_in_attempt(email, now, forget_before, |failures| sign_in_locked_until(failures, now))
        .await
}

/// The answer to a sign-in refused for too many failures: the sign-in card with the reason (the form posts
/// natively, so the browser shows this page), and when to try again.
fn too_many(until: Timestamp, now: Timestamp) -> Response {
    let message = too_many_attempts(until, now).to_string();
    let seconds = ((until.as_millis() - now.as_millis()).max(1000) + 999) / 1000;
    let page = format!(
        "<!DOCTYPE html><html lang=\"pt-BR\"><head><meta charset=\"utf-8\"><title>Entrar · Atende</title>\
         <link rel=\"stylesheet\" href=\"/pkg/atende.css\"></head><body><main class=\"sign-in\">\
         <div class=\"sign-in-card\"><h1>Entrar no Atende</h1><p class=\"error\" role=\"alert\">{message}</p>\
         <a href=\"/entrar\">Voltar</a></div></main></body></html>"
    );
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::response::Html(page)).into_response();
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// `POST /entrar`. The attempt is counted before the password is checked (see [`claim_attempt`]), and the
/// check waits for its turn ([`crate::access::password_turn`]): a flood of sign-ins is answered 503 with
/// `Retry-After` rather than hashed all at once.
pub async fn sign_in(State(state): State<AuthState>, Form(form): Form<SignIn>) -> Response {
    let refused = Redirect::to("/entrar?erro=credenciais").into_response();
    let unavailable = || (StatusCode::SERVICE_UNAVAILABLE, "Tente novamente em instantes.").into_response();
    let Ok(email) = Email::parse(&form.email) else { return refused };
    let now = state.clock.now();
    // Known or not, an e-mail is throttled alike: the answer never says whether it exists.
    match locked_until(&state.store, email.as_str(), now).await {
        Ok(Some(until)) => return too_many(until, now),
        Ok(None) => {}
        Err(_) => return unavailable(),
    }
    let Ok(turn) = crate::access::password_turn().await else {
        tracing::warn!("sign-in refused: too many passwords being checked at once");
        let mut response = (StatusCode::SERVICE_UNAVAILABLE, crate::access::Busy.to_string()).into_response();
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        return response;
    };
    match claim_attempt(&state.store, email.as_str(), now).await {
        Ok(Some(until)) => {
            tracing::warn!("sign-in refused: too many failures for one e-mail");
            return too_many(until, now);
        }
        Ok(None) => {}
        Err(_) => return unavailable(),
    }
    let agent = match state.store.agent_by_email(&email).await {
        Ok(agent) => agent,
        Err(_) => return unavailable(),
    };
    // An unknown e-mail costs the same work as a wrong password, within the same turn.
    let stored = agent.as_ref().map_or_else(|| DUMMY_HASH.clone(), |a| a.password_hash.clone());
    let matches = crate::access::verify_in_turn(&turn, form.senha, stored).await;
    drop(turn);
    let Some(agent) = agent.filter(|a| a.active && matches) else {
        tracing::info!("sign-in refused");
        return refused;
    };
    let token = new_token();
    let expires = now.plus_millis(SESSION_HOURS * 60 * 60 * 1000);
    if state.store.create_session(agent.id, &token_hash(&token), now, expires).await.is_err() {
        return unavailable();
    }
    if state.store.clear_sign_in_failures(email.as_str()).await.is_err() {
        tracing::warn!("could not forget the failed sign-ins of an agent who signed in");
    }
    tracing::info!(agent = agent.id, "signed in");
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie(&state, &token, SESSION_HOURS * 60 * 60));
    response
}

/// `POST /sair`.
pub async fn sign_out(State(state): State<AuthState>, headers: HeaderMap) -> Response {
    if let Some(token) = session_token(&headers) {
        let _ = state.store.delete_session(&token_hash(&token), state.clock.now()).await;
    }
    let mut response = Redirect::to("/entrar").into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie(&state, "", 0));
    response
}

/// Paths anyone may reach: the sign-in page, health, the built site, provider webhooks, the sandbox.
fn is_public(path: &str) -> bool {
    path == "/entrar"
        || path == "/health"
        || path == "/favicon.svg"
        || ["/pkg/", "/webhooks/", "/sandbox/"].iter().any(|prefix| path.starts_with(prefix))
}

/// What providers call, which carries no browser's `Origin`: webhooks, and the sandbox's fakes of the
/// providers' APIs (Atende's own clients call them). Everything else that writes, the sandbox's forms
/// included, must come from this site.
fn called_by_providers(path: &str) -> bool {
    [
        "/webhooks/",
        "/sandbox/graph/",
        "/sandbox/evolution/message/",
        "/sandbox/evolution/chat/",
        "/sandbox/meta/",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix))
}

/// Whether a state-changing request comes from this very site.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else { return false };
    let from_here = |url: &str| {
        ["http://", "https://"].iter().any(|scheme| {
            url.strip_prefix(scheme).is_some_and(|rest| rest == host || rest.starts_with(&format!("{host}/")))
        })
    };
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        Some(origin) => from_here(origin),
        None => headers.get(header::REFERER).and_then(|r| r.to_str().ok()).is_some_and(from_here),
    }
}

/// The gate: cross-site writes refused, sessions required, the signed-in agent handed on.
pub async fn gate(State(state): State<AuthState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/api/v1/") {
        return api_gate(&state, request, next).await;
    }
    let writes = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if writes && !called_by_providers(&path) && !same_origin(request.headers()) {
        tracing::warn!(%path, "cross-site request refused");
        return (StatusCode::FORBIDDEN, "Pedido de outro site recusado.").into_response();
    }
    if is_public(&path) || path == "/sair" {
        return next.run(request).await;
    }
    let session = session_token(request.headers()).map(|token| token_hash(&token));
    let viewer = match &session {
        Some(hash) => match state.store.session_viewer(hash, state.clock.now()).await {
            Ok(viewer) => viewer,
            // The database failed, the session may be fine: not "signed out" (the console would leave).
            Err(_) => {
                return (StatusCode::SERVICE_UNAVAILABLE, "Tente novamente em instantes.").into_response()
            }
        },
        None => None,
    };
    let (Some(viewer), Some(session)) = (viewer, session) else {
        if path.starts_with("/api/") || path == "/eventos" || path.starts_with("/midia/") {
            return (StatusCode::UNAUTHORIZED, "Entre com seu e-mail e senha.").into_response();
        }
        return Redirect::to("/entrar").into_response();
    };
    request.extensions_mut().insert::<Viewer>(viewer);
    request.extensions_mut().insert(SessionHash(session));
    next.run(request).await
}

/// The public API's gate: a bearer token, never a cookie (so another site cannot ride an agent's session
/// there, and no same-origin check is needed). The document itself is public.
async fn api_gate(state: &AuthState, mut request: Request, next: Next) -> Response {
    if request.uri().path() == "/api/v1/openapi.json" {
        return next.run(request).await;
    }
    let refused = |message: &str| {
        let body = serde_json::json!({ "error": "NotSignedIn", "message": message });
        let mut response = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        response
    };
    let Some(token) = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
    else {
        return refused("Envie o token da API no cabeçalho Authorization: Bearer <token>.");
    };
    match state.store.api_token_viewer(&token_hash(token)).await {
        Ok(Some((record, viewer))) => {
            request.extensions_mut().insert::<Viewer>(viewer);
            request.extensions_mut().insert(crate::public_api::ApiToken { name: record.name });
            next.run(request).await
        }
        Ok(None) => refused("Token inválido ou revogado."),
        Err(error) => {
            let body = serde_json::json!({ "error": "Store", "message": error.to_string() });
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).expect("header"));
        }
        map
    }

    #[test]
    fn only_requests_from_this_host_may_write() {
        let host = (header::HOST, "atende.loja.com.br");
        assert!(same_origin(&headers(&[host.clone(), (header::ORIGIN, "https://atende.loja.com.br")])));
        assert!(same_origin(&headers(&[host.clone(), (header::REFERER, "https://atende.loja.com.br/crm")])));
        assert!(!same_origin(&headers(&[
            host.clone(),
            (header::ORIGIN, "https://atende.loja.com.br.evil.io")
        ])));
        assert!(!same_origin(&headers(&[host.clone(), (header::ORIGIN, "https://evil.io")])));
        assert!(!same_origin(&headers(&[
            host.clone(),
            (header::REFERER, "https://evil.io/atende.loja.com.br")
        ])));
        assert!(!same_origin(&headers(&[host])), "neither Origin nor Referer");
    }

    #[test]
    fn only_the_providers_fake_apis_and_webhooks_are_exempt_from_the_same_site_rule() {
        for exempt in [
            "/webhooks/whatsapp",
            "/sandbox/graph/v23.0/123/messages",
            "/sandbox/evolution/message/sendText/atende",
            "/sandbox/evolution/chat/markMessageAsRead/atende",
            "/sandbox/meta/v23.0/me/messages",
        ] {
            assert!(called_by_providers(exempt), "{exempt}");
        }
        for guarded in [
            "/sandbox/simulador",
            "/sandbox/faults",
            "/sandbox/evolution/connection",
            "/api/send_message",
            "/entrar",
        ] {
            assert!(!called_by_providers(guarded), "{guarded}");
        }
    }

    #[test]
    fn the_session_cookie_is_found_among_others_and_tokens_are_random() {
        let map = headers(&[(header::COOKIE, "tema=escuro; atende_sessao=abc123; outro=1")]);
        assert_eq!(session_token(&map).as_deref(), Some("abc123"));
        assert_ne!(new_token(), new_token());
        assert_eq!(new_token().len(), 64);
        assert_eq!(token_hash("abc").len(), 64);
    }

    #[test]
    fn the_dummy_hash_is_a_valid_argon2id_hash_that_matches_nothing_typed() {
        assert!(DUMMY_HASH.starts_with("$argon2id$"));
        assert!(!crate::access::verify_password("", &DUMMY_HASH));
        assert!(!crate::access::verify_password("admin", &DUMMY_HASH));
    }
}
