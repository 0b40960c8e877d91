//! Text a person sends Atende to keep (an agent's message, a contact's name, a template's value, a search, a
//! field of the public API): checked once, at the boundary, the same for every field and both databases.

use serde::{Deserialize, Serialize};

/// Why a request's text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum TextError {
    /// U+0000: no database keeps it the same way (PostgreSQL refuses it), and nobody means to type it.
    #[error("O texto tem um caractere nulo (U+0000), que não pode ser guardado: apague-o e tente de novo.")]
    Nul,
    /// Bytes (raw or percent-encoded) that are not UTF-8: the text would be stored as "�".
    #[error("O texto não está em UTF-8: envie-o de novo com a codificação certa.")]
    NotUtf8,
}

/// Whether `text` may be kept as it is.
pub fn check_text(text: &str) -> Result<(), TextError> {
    if text.contains('\0') {
        Err(TextError::Nul)
    } else {
        Ok(())
    }
}

/// Whether the bytes of a form field or query value, once percent-decoded, are text that may be kept.
pub fn check_bytes(bytes: &[u8]) -> Result<(), TextError> {
    std::str::from_utf8(bytes).map_err(|_| TextError::NotUtf8).and_then(check_text)
}

/// Percent-decodes `bytes` (a path segment, say), byte for byte; a `%` not followed by two hexadecimal digits
/// is kept as it is, as browsers and `serde_urlencoded` do.
pub fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&first, tail)) = rest.split_first() {
        match (first, tail, tail.first().copied().and_then(hex), tail.get(1).copied().and_then(hex)) {
            (b'%', [_, _, after @ ..], Some(high), Some(low)) => {
                decoded.push(high * 16 + low);
                rest = after;
            }
            (byte, ..) => {
                decoded.push(byte);
                rest = tail;
            }
        }
    }
    decoded
}

/// Percent-decodes one `application/x-www-form-urlencoded` component, where `+` is a space (and `%2B` a plus).
pub fn form_decode(component: &[u8]) -> Vec<u8> {
    let spaced: Vec<u8> = component.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
    percent_decode(&spaced)
}

/// Checks every name and value of a form body or query string.
pub fn check_form(encoded: &[u8]) -> Result<(), TextError> {
    encoded
        .split(|b| *b == b'&')
        .flat_map(|pair| pair.splitn(2, |b| *b == b'='))
        .try_for_each(|component| check_bytes(&form_decode(component)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_nul_anywhere_is_refused_and_everything_else_typed_is_kept() {
        assert_eq!(check_text("Olá, João! 😀\n\tfim"), Ok(()));
        assert_eq!(check_text("antes\0depois"), Err(TextError::Nul));
        assert_eq!(check_form(b"text=Ol%C3%A1+mundo&conversation=1"), Ok(()));
        assert_eq!(check_form(b"text=a%00b"), Err(TextError::Nul));
        assert_eq!(check_form(b"te%00xt=ab"), Err(TextError::Nul), "names too");
    }

    #[test]
    fn percent_encoded_bytes_that_are_not_utf8_are_refused() {
        assert_eq!(check_form(b"name=Jo%E3o"), Err(TextError::NotUtf8));
        assert_eq!(check_form(b"name=%FF%FE"), Err(TextError::NotUtf8));
        assert_eq!(check_form(b"name=Jo%C3%A3o"), Ok(()));
        assert_eq!(check_form(b"name=100%"), Ok(()), "a lone % is a percent sign");
        assert_eq!(check_form(b"name=%zz"), Ok(()));
        assert_eq!(check_form(b""), Ok(()));
        assert_eq!(form_decode(b"a+b%2Bc"), b"a b+c", "a plus is a space, an encoded one a plus");
        assert_eq!(percent_decode(b"a+b%2Bc%2"), b"a+b+c%2", "in a path a plus is a plus");
    }

    proptest! {
        #[test]
        fn what_a_browser_encodes_decodes_to_the_same_text(text in "\\PC*") {
            let encoded: String = text
                .bytes()
                .map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") })
                .collect();
            prop_assert_eq!(form_decode(encoded.as_bytes()), text.as_bytes());
            prop_assert_eq!(check_form(format!("campo={encoded}").as_bytes()), check_text(&text));
        }
    }
}
