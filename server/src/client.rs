//! The WASM client's files (`/pkg/…`), as `bash .ci/atende client` builds them: one directory per build, named
//! by a hash of its content (`pkg/<16 hex>/`, the name in `pkg/client.txt`), holding `atende.js`,
//! `atende_bg.wasm`, `atende.css` and the files loaded on demand (`__wasm_split.js`, `split_*.wasm`,
//! `chunk_*.wasm`), each compressed ahead of time (`.br`, `.gz` beside it). Served as kept: brotli to a browser
//! that takes it, else gzip, else the file; anything under a hashed directory for a year (`immutable`: a new
//! build has a new name), anything else revalidated each time. Without `client.txt` (a build from before, or the
//! tests' empty site) the files are the plain `pkg/atende.*`.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use std::path::Path;

/// The client's file names inside its directory (`atende.js`, `atende_bg.wasm`, `atende.css`).
pub(crate) const NAME: &str = "atende";

/// The directory of the site's client, as Leptos' `site_pkg_dir`: `pkg/<hash>` when `pkg/client.txt` names a
/// build, else `pkg`.
pub(crate) fn directory(site_root: &Path) -> String {
    std::fs::read_to_string(site_root.join("pkg").join("client.txt"))
        .ok()
        .map(|text| text.trim().to_owned())
        .filter(|name| is_hash(name))
        .map_or_else(|| "pkg".to_owned(), |hash| format!("pkg/{hash}"))
}

fn is_hash(text: &str) -> bool {
    text.len() == 16 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether a path under `/pkg` is inside a build's directory, named by its content's hash (`/<hash>/atende.js`).
fn is_hashed(path: &str) -> bool {
    let mut parts = path.trim_start_matches('/').split('/');
    parts.next().is_some_and(is_hash)
        && parts.next().is_some_and(|file| !file.is_empty())
        && parts.next().is_none()
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
        assert!(is_hashed("/0123456789abcdef/atende.js"));
        assert!(is_hashed("/0123456789abcdef/atende_bg.wasm"));
        assert!(is_hashed("/0123456789abcdef/split___contatos_view_1.wasm.br"));
        assert!(is_hashed("/0123456789abcdef/__wasm_split.js"));
        assert!(!is_hashed("/atende.css"));
        assert!(!is_hashed("/atende_bg.wasm"));
        assert!(!is_hashed("/0123456789abcdef/"), "a directory, not a file");
        assert!(!is_hashed("/0123456789abcdef/a/b.js"), "one level");
        assert!(!is_hashed("/0123456789ABCDEF/atende.js"), "lowercase, as the build writes it");
        assert!(!is_hashed("/0123456789abcde/atende.js"), "16 digits");
    }

    #[test]
    fn the_directory_is_the_builds_or_the_plain_one() {
        let site = tempfile::tempdir().expect("dir");
        assert_eq!(directory(site.path()), "pkg");
        std::fs::create_dir_all(site.path().join("pkg")).expect("pkg");
        std::fs::write(site.path().join("pkg").join("client.txt"), "0123456789abcdef\n").expect("write");
        assert_eq!(directory(site.path()), "pkg/0123456789abcdef");
        std::fs::write(site.path().join("pkg").join("client.txt"), "../etc/passwd").expect("write");
        assert_eq!(directory(site.path()), "pkg", "anything else is not a build");
    }
}
