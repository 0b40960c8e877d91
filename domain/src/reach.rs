//! Whether a contact can be written to on a channel: the same rule offers the channels in "Enviar mensagem",
//! refuses "Iniciar atendimento" on the server and in the public API, and names the reason.

use crate::conversation::ChannelKind;
use serde::{Deserialize, Serialize};

/// Where a contact can be written to: on WhatsApp by their number, and on every kind of channel whose
/// provider told Atende who the contact is there (on Instagram and Messenger that is the only way: the
/// contact writes first, and the page answers the id it wrote from).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reach {
    pub phone: bool,
    /// The kinds of channel on which a provider gave Atende the contact's id.
    pub identified_on: Vec<ChannelKind>,
}

impl Reach {
    /// Whether a message on a channel of `kind` has somewhere to go; if not, why, in the agent's words.
    pub fn on(&self, kind: ChannelKind) -> Result<(), Unreachable> {
        if self.identified_on.contains(&kind) {
            return Ok(());
        }
        match kind {
            ChannelKind::WhatsappOfficial | ChannelKind::WhatsappUnofficial if self.phone => Ok(()),
            ChannelKind::WhatsappOfficial | ChannelKind::WhatsappUnofficial => {
                Err(Unreachable::NoNumber { channel: kind })
            }
            ChannelKind::Instagram | ChannelKind::Messenger => Err(Unreachable::NeverWrote { channel: kind }),
        }
    }
}

/// Why a contact cannot be written to on a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum Unreachable {
    /// WhatsApp: no number, and WhatsApp never gave an id (a contact known only on Instagram, say).
    #[error(
        "O contato não tem número de telefone: adicione o número com DDD para conversar pelo {}.",
        .channel.label()
    )]
    NoNumber { channel: ChannelKind },
    /// Instagram/Messenger: the contact never wrote to the business there.
    #[error(
        "O contato nunca escreveu pelo {}: a Meta só deixa a empresa conversar ali com quem escreveu primeiro.",
        .channel.label()
    )]
    NeverWrote { channel: ChannelKind },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_is_reached_by_number_on_whatsapp_and_only_by_their_own_id_on_meta_platforms() {
        use ChannelKind::{Instagram, Messenger, WhatsappOfficial, WhatsappUnofficial};
        let instagram_only = Reach { phone: false, identified_on: vec![Instagram] };
        assert_eq!(instagram_only.on(Instagram), Ok(()));
        assert_eq!(
            instagram_only.on(WhatsappOfficial),
            Err(Unreachable::NoNumber { channel: WhatsappOfficial })
        );
        assert_eq!(
            instagram_only.on(WhatsappUnofficial),
            Err(Unreachable::NoNumber { channel: WhatsappUnofficial })
        );
        assert_eq!(instagram_only.on(Messenger), Err(Unreachable::NeverWrote { channel: Messenger }));

        let by_number = Reach { phone: true, identified_on: vec![] };
        assert_eq!(by_number.on(WhatsappOfficial), Ok(()));
        assert_eq!(by_number.on(WhatsappUnofficial), Ok(()));
        assert_eq!(by_number.on(Instagram), Err(Unreachable::NeverWrote { channel: Instagram }));

        // A number WhatsApp reported (its wa_id) is enough even if the contact's own number was removed.
        let by_wa_id = Reach { phone: false, identified_on: vec![WhatsappOfficial] };
        assert_eq!(by_wa_id.on(WhatsappOfficial), Ok(()));
        assert_eq!(
            Unreachable::NoNumber { channel: WhatsappOfficial }.to_string(),
            "O contato não tem número de telefone: adicione o número com DDD para conversar pelo WhatsApp (API \
             Oficial)."
        );
    }
}
