//! The files people send on Messenger and Instagram: each attachment comes with a link to Meta's CDN that
//! expires, fetched as soon as the message is stored.

use super::MessengerClient;
use crate::channels::port::{FetchFailure, FetchedMedia, MediaSource};
use crate::providers::download::{capped, trusted_url};
use async_trait::async_trait;

/// What the inbound parsing stores for the media worker: the attachment's link.
pub(crate) fn source_of(url: &str) -> String {
    serde_json::json!({ "url": url }).to_string()
}

/// The file's name in its link (`…/recibo.pdf?…`), for a document: Meta sends no other.
pub(crate) fn file_name_in(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let name = path.rsplit('/').next()?;
    (name.contains('.') && !name.is_empty()).then(|| name.to_owned())
}

#[async_trait]
impl MediaSource for MessengerClient {
    async fn fetch(&self, source: &str, max_bytes: u64) -> Result<FetchedMedia, FetchFailure> {
        let value: serde_json::Value = serde_json::from_str(source)
            .map_err(|_| FetchFailure::Refused(format!("fonte de mídia ilegível: {source}")))?;
        let Some(url) =
            value.get("url").and_then(|u| u.as_str()).and_then(|u| trusted_url(u, self.base_url()))
        else {
            return Err(FetchFailure::Refused("o anexo não aponta para um endereço da Meta".into()));
        };
        // Meta's CDN links are signed: no token goes with them.
        capped(self.http().get(url), max_bytes).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_documents_name_is_read_from_its_link() {
        let url = "https://cdn.fbsbx.com/v/t59/recibo.pdf?_nc_cat=1&oh=abc";
        assert_eq!(file_name_in(url).as_deref(), Some("recibo.pdf"));
        assert_eq!(file_name_in("https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"), None);
    }
}
