//! The WASM client's files (`/pkg/…`), as `bash .ci/atende client` builds them: named by a hash of their
//! content (`atende.<16 hex>.js`, `…_bg.wasm`, `….css`; the name is in `pkg/client.txt`) and compressed ahead of
//! time (`.br`, `.gz` beside each). Served as kept: brotli to a browser that takes it, else gzip, else the file;
//! a hashed file for a year (`immutable`: a new build has a new name), anything else revalidated each time.
//! Without `client.txt` (a build from before, or the tests' empty site) the names are the plain `atende.*`.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use std::path::Path;

/// The client's name when the site has none of its own.
pub(crate) const PLAIN_NAME: &str = "atende";

/// The name the site's client was built under (`pkg/client.txt`), or [`PLAIN_NAME`].
pub(crate) fn name(site_root: &Path) -> String {
    std::fs::read_to_string(site_root.join("pkg").join("client.txt"))
        .ok()
        .map(|text| text.trim().to_owned())
        .filter(|name| is_client_name(name))
        .unwrap_or_else(|| PLAIN_NAME.to_owned())
}

/// `atende`, or `atende.` and 16 lowercase hex digits.
fn is_client_name(name: &str) -> bool {
    name == PLAIN_NAME || name.strip_prefix("atende.").is_some_and(is_hash)
}

fn is_hash(text: &str) -> bool {
    text.len() == 16 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether a path under `/pkg` names a file by its content's hash (`atende.<hash>.js`, `atende.<hash>_bg.wasm`).
fn is_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    file.split(['.', '_']).any(is_hash)
}

/// `/pkg`: the client's files from `site_root/pkg`, precompressed, with their caching.
pub(crate) fn files<S: Clone + Send + Sync + 'static>(site_root: &Path) -> Router<S> {
    let dir =
        tower_http::services::ServeDir::new(site_root.join("pkg")).precompressed_br().precompressed_gzip();
    Router::new().fallback_service(dir).layer(axum::middleware::from_fn(cache))
}

async fn cache(request: Request, next: Next) -> Response {
    let hashed = is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status() == axum::http::StatusCode::NOT_MODIFIED {
        let policy = if hashed { "public, max-age=31536000, immutable" } else { "no-cache" };
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
        // The same address answers brotli, gzip or neither: a shared cache must keep them apart.
        response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_content_hash_makes_a_file_immutable() {
        assert!(is_hashed("/atende.0123456789abcdef.js"));
        assert!(is_hashed("/atende.0123456789abcdef_bg.wasm"));
        assert!(is_hashed("/atende.0123456789abcdef.css.br"));
        assert!(!is_hashed("/atende.css"));
        assert!(!is_hashed("/atende_bg.wasm"));
        assert!(!is_hashed("/atende.0123456789ABCDEF.js"), "lowercase, as the build writes it");
        assert!(!is_hashed("/atende.0123456789abcde.js"), "16 digits");
    }

    #[test]
    fn the_name_is_the_builds_or_the_plain_one() {
        let site = tempfile::tempdir().expect("dir");
        assert_eq!(name(site.path()), "atende");
        std::fs::create_dir_all(site.path().join("pkg")).expect("pkg");
        std::fs::write(site.path().join("pkg").join("client.txt"), "atende.0123456789abcdef\n")
            .expect("write");
        assert_eq!(name(site.path()), "atende.0123456789abcdef");
        std::fs::write(site.path().join("pkg").join("client.txt"), "../etc/passwd").expect("write");
        assert_eq!(name(site.path()), "atende", "anything else is not a name");
    }
}
