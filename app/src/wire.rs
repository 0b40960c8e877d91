//! How a resource's first answer travels inside the server-rendered page.
//!
//! Leptos' default resource codec reads its JSON back from a `&str`, and server functions read theirs from bytes:
//! two readers, so the client carried every answer type's JSON parser twice (about half of serde_json's code in
//! the WASM file before `wasm-opt`: 664 KB, 349 KB after). [`Wire`] writes the same JSON and reads it back from bytes, as server functions do, so each type
//! has one parser.

use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// JSON, read from bytes.
pub(crate) struct Wire;

impl<T: Serialize> Encoder<T> for Wire {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, Self::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Wire {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(text: &str) -> Result<T, Self::Error> {
        serde_json::from_slice(text.as_bytes())
    }
}

/// A resource whose first answer, rendered on the server, the browser reads with the server functions' parser.
pub(crate) type Loaded<T> = Resource<T, Wire>;

/// [`Resource::new`] with [`Wire`].
#[track_caller]
pub(crate) fn load<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Loaded<T>
where
    S: Send + Sync + Clone + PartialEq + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

#[cfg(test)]
mod tests {
    use super::Wire;
    use leptos::server::codee::{Decoder, Encoder};

    #[test]
    fn what_the_server_writes_the_browser_reads_back() {
        let value: Result<Vec<(i64, String)>, String> = Ok(vec![(7, "Olá, \"Ana\" 😀".to_owned())]);
        let text = <Wire as Encoder<_>>::encode(&value).expect("encodes");
        assert_eq!(text, r#"{"Ok":[[7,"Olá, \"Ana\" 😀"]]}"#);
        let back: Result<Vec<(i64, String)>, String> = <Wire as Decoder<_>>::decode(&text).expect("decodes");
        assert_eq!(back, value);
        assert!(<Wire as Decoder<Vec<i64>>>::decode("[1,").is_err());
    }
}
