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
    /// Scoped ids exist only on Instagram and Messenger.
    #[error(
        "O {} não usa identificadores do Instagram ou do Messenger: no WhatsApp, o contato é identificado pelo \
         wa_id ou pelo BSUID.",
        .channel.label()
    )]
    NoScopedIdOnChannel { channel: ChannelKind },
}

/// Which provider identifier a [`ProviderId`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ProviderIdKind {
    /// WhatsApp `wa_id`: the digits WhatsApp knows the number by (maybe without the ninth digit).
    WaId,
    /// WhatsApp business-scoped user id (`user_id`), e.g. `BR.1502576394655843`.
    Bsuid,
    /// Instagram-scoped user id (IGSID).
    Instagram,
    /// Messenger page-scoped id (PSID).
    Messenger,
}

/// One provider's identifier for a contact. Only built by its checked constructors (and by deserialising,
/// which runs the same checks), so an unchecked id never reaches a lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "StoredProviderId", into = "StoredProviderId")]
pub struct ProviderId {
    kind: ProviderIdKind,
    id: String,
}

/// The stored shape of a [`ProviderId`] (`{"WaId":"5511987654321"}`), checked on the way in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum StoredProviderId {
    WaId(String),
    Bsuid(String),
    Instagram(String),
    Messenger(String),
}

impl TryFrom<StoredProviderId> for ProviderId {
    type Error = ProviderIdError;
    fn try_from(stored: StoredProviderId) -> Result<Self, Self::Error> {
        match stored {
            StoredProviderId::WaId(id) => Self::wa_id(&id),
            StoredProviderId::Bsuid(id) => Self::bsuid(&id),
            StoredProviderId::Instagram(id) => Self::scoped(ChannelKind::Instagram, &id),
            StoredProviderId::Messenger(id) => Self::scoped(ChannelKind::Messenger, &id),
        }
    }
}

impl From<ProviderId> for StoredProviderId {
    fn from(provider_id: ProviderId) -> Self {
        let ProviderId { kind, id } = provider_id;
        match kind {
            ProviderIdKind::WaId => Self::WaId(id),
            ProviderIdKind::Bsuid => Self::Bsuid(id),
            ProviderIdKind::Instagram => Self::Instagram(id),
            ProviderIdKind::Messenger => Self::Messenger(id),
        }
    }
}

impl ProviderId {
    pub fn wa_id(input: &str) -> Result<Self, ProviderIdError> {
        let id = input.trim();
        if (8..=15).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit()) && !id.starts_with('0') {
            Ok(Self { kind: ProviderIdKind::WaId, id: id.to_owned() })
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
            Ok(Self { kind: ProviderIdKind::Bsuid, id: id.to_owned() })
        } else {
            Err(ProviderIdError::InvalidBsuid(input.to_owned()))
        }
    }

    /// An Instagram or Messenger scoped id.
    pub fn scoped(channel: ChannelKind, input: &str) -> Result<Self, ProviderIdError> {
        let kind = match channel {
            ChannelKind::Instagram => ProviderIdKind::Instagram,
            ChannelKind::Messenger => ProviderIdKind::Messenger,
            ChannelKind::WhatsappOfficial | ChannelKind::WhatsappUnofficial => {
                return Err(ProviderIdError::NoScopedIdOnChannel { channel })
            }
        };
        let id = input.trim();
        if (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self { kind, id: id.to_owned() })
        } else {
            Err(ProviderIdError::InvalidScopedId { channel, id: input.to_owned() })
        }
    }

    pub const fn kind(&self) -> ProviderIdKind {
        self.kind
    }

    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The phone number a `wa_id` stands for (with the ninth digit restored for Brazilian mobiles).
    pub fn phone(&self) -> Option<Phone> {
        match self.kind {
            ProviderIdKind::WaId => Phone::parse(&format!("+{}", self.id)).ok(),
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
        let instagram = ProviderId::scoped(ChannelKind::Instagram, " 17841400000000000 ").expect("digits");
        assert_eq!(instagram.kind(), ProviderIdKind::Instagram);
        assert_eq!(instagram.as_str(), "17841400000000000");
        assert_eq!(
            ProviderId::scoped(ChannelKind::Messenger, "12a").map_err(|e| e.to_string()),
            Err("O identificador do Messenger deve ter apenas dígitos: “12a”.".to_owned())
        );
        assert!(ProviderId::wa_id("+5511987654321").is_err());
    }

    #[test]
    fn a_scoped_id_on_a_whatsapp_channel_is_refused_for_the_channel_not_for_its_digits() {
        let refused = ProviderId::scoped(ChannelKind::WhatsappOfficial, "123");
        assert_eq!(
            refused,
            Err(ProviderIdError::NoScopedIdOnChannel { channel: ChannelKind::WhatsappOfficial })
        );
        assert_eq!(
            refused.map_err(|e| e.to_string()),
            Err("O WhatsApp (API Oficial) não usa identificadores do Instagram ou do Messenger: no WhatsApp, o \
                 contato é identificado pelo wa_id ou pelo BSUID."
                .to_owned())
        );
    }

    #[test]
    fn a_stored_provider_id_is_checked_when_read() {
        let good: ProviderId = serde_json::from_str(r#"{"WaId":"552198765432"}"#).expect("valid wa_id");
        assert_eq!(good, ProviderId::wa_id("552198765432").expect("valid"));
        assert_eq!(serde_json::to_string(&good).expect("serialises"), r#"{"WaId":"552198765432"}"#);
        for bad in [r#"{"WaId":"abc"}"#, r#"{"Bsuid":"1502576394655843"}"#, r#"{"Instagram":""}"#] {
            assert!(serde_json::from_str::<ProviderId>(bad).is_err(), "{bad}");
        }
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
                let json = serde_json::to_string(id).expect("serialises");
                prop_assert_eq!(serde_json::from_str::<ProviderId>(&json).ok(), Some(id.clone()));
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
