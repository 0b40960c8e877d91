//! How providers know a contact. A phone number is not enough: WhatsApp may report a `wa_id` that differs
//! from the number we sent to (Brazilian mobiles without the ninth digit), a user with a username may come
//! with a business-scoped user id (BSUID) and no number at all, and Instagram/Messenger only give their own
//! scoped ids.

use crate::channel::ChannelKind;
use crate::phone::Phone;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a provider id was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ProviderIdError {
    #[error("O identificador do WhatsApp (wa_id) deve ter de 8 a 15 dígitos: “{0}”.")]
    InvalidWaId(String),
    #[error("O identificador de usuário do WhatsApp (BSUID) deve ser como BR.1502576394655843: “{0}”.")]
    InvalidBsuid(String),
    #[error("O identificador do {} deve ter apenas dígitos: “{id}”.", .channel.label())]
    InvalidScopedId { channel: ChannelKind, id: String },
}

/// One provider's identifier for a contact.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ProviderId {
    /// WhatsApp `wa_id`: the digits WhatsApp knows the number by (maybe without the ninth digit).
    WaId(String),
    /// WhatsApp business-scoped user id (`user_id`), e.g. `BR.1502576394655843`.
    Bsuid(String),
    /// Instagram-scoped user id (IGSID).
    Instagram(String),
    /// Messenger page-scoped id (PSID).
    Messenger(String),
}

impl ProviderId {
    pub fn wa_id(input: &str) -> Result<Self, ProviderIdError> {
        let id = input.trim();
        if (8..=15).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit()) && !id.starts_with('0') {
            Ok(Self::WaId(id.to_owned()))
        } else {
            Err(ProviderIdError::InvalidWaId(input.to_owned()))
        }
    }

    pub fn bsuid(input: &str) -> Result<Self, ProviderIdError> {
        let id = input.trim();
        let valid = id.split_once('.').is_some_and(|(country, rest)| {
            country.len() == 2
                && country.bytes().all(|b| b.is_ascii_uppercase())
                && (1..=64).contains(&rest.len())
                && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        if valid {
            Ok(Self::Bsuid(id.to_owned()))
        } else {
            Err(ProviderIdError::InvalidBsuid(input.to_owned()))
        }
    }

    /// An Instagram or Messenger scoped id.
    pub fn scoped(channel: ChannelKind, input: &str) -> Result<Self, ProviderIdError> {
        let id = input.trim();
        let digits = (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit());
        match channel {
            ChannelKind::Instagram if digits => Ok(Self::Instagram(id.to_owned())),
            ChannelKind::Messenger if digits => Ok(Self::Messenger(id.to_owned())),
            _ => Err(ProviderIdError::InvalidScopedId { channel, id: input.to_owned() }),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::WaId(id) | Self::Bsuid(id) | Self::Instagram(id) | Self::Messenger(id) => id,
        }
    }

    /// The phone number a `wa_id` stands for (with the ninth digit restored for Brazilian mobiles).
    pub fn phone(&self) -> Option<Phone> {
        match self {
            Self::WaId(digits) => Phone::parse(&format!("+{digits}")).ok(),
            _ => None,
        }
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_wa_id_without_the_ninth_digit_is_the_same_contact_as_the_number_with_it() {
        let wa_id = ProviderId::wa_id("552198765432").expect("12-digit wa_id");
        let typed = Phone::parse("(21) 99876-5432").expect("mobile");
        assert_eq!(wa_id.phone(), Some(typed.clone()));
        assert!(typed.variants().contains(&wa_id.as_str().to_owned()));
    }

    #[test]
    fn a_contact_may_be_known_only_by_a_business_scoped_user_id() {
        let id = ProviderId::bsuid("BR.1502576394655843").expect("Meta's example");
        assert_eq!(id.phone(), None);
        for malformed in ["BRA.1502576394655843", "br.1502576394655843", "BR.", "BR.15-02"] {
            assert!(ProviderId::bsuid(malformed).is_err(), "{malformed}");
        }
        assert_eq!(
            ProviderId::bsuid("1502576394655843").map_err(|e| e.to_string()),
            Err("O identificador de usuário do WhatsApp (BSUID) deve ser como BR.1502576394655843: \
                 “1502576394655843”."
                .to_owned())
        );
    }

    #[test]
    fn instagram_and_messenger_ids_are_digits_of_their_own_channel() {
        assert_eq!(
            ProviderId::scoped(ChannelKind::Instagram, "17841400000000000"),
            Ok(ProviderId::Instagram("17841400000000000".into()))
        );
        assert_eq!(
            ProviderId::scoped(ChannelKind::WhatsappOfficial, "123"),
            Err(ProviderIdError::InvalidScopedId {
                channel: ChannelKind::WhatsappOfficial,
                id: "123".into()
            })
        );
        assert!(ProviderId::scoped(ChannelKind::Messenger, "12a").is_err());
        assert!(ProviderId::wa_id("+5511987654321").is_err());
    }

    proptest! {
        #[test]
        fn no_input_panics_and_accepted_ids_keep_their_text(input in "\\PC{0,40}") {
            let accepted = [
                ProviderId::wa_id(&input),
                ProviderId::bsuid(&input),
                ProviderId::scoped(ChannelKind::Instagram, &input),
                ProviderId::scoped(ChannelKind::Messenger, &input),
            ];
            for id in accepted.iter().flatten() {
                prop_assert_eq!(id.as_str(), input.trim());
            }
        }

        #[test]
        fn every_variant_of_a_mobile_is_a_wa_id_of_that_mobile(ddd in 11u8..=19, rest in 60_000_000u32..99_999_999) {
            let phone = Phone::parse(&format!("{ddd}9{rest}")).expect("mobile");
            for variant in phone.variants() {
                let id = ProviderId::wa_id(&variant).expect("variants are digits");
                prop_assert_eq!(id.phone(), Some(phone.clone()));
            }
        }
    }
}
