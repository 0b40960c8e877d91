//! What a contact's message holds besides its text and its file, in Atende's terms whatever the provider: a
//! place, shared contact cards, a reaction to an earlier message, the button they tapped, the message they
//! answered, or a kind the provider does not deliver. Each provider reads its own wire into these; the console
//! shows them.

use serde::{Deserialize, Serialize};

/// The part of a message a plain text cannot say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Rich {
    /// A shared place.
    Location { latitude: f64, longitude: f64, name: Option<String>, address: Option<String> },
    /// Shared contact cards.
    Contacts(Vec<SharedContact>),
    /// A reaction to the message the provider knows as `to` (`emoji` `None`: the reaction was removed).
    Reaction { to: String, emoji: Option<String> },
    /// The text of a button the contact tapped (a template's quick reply, a reply button, a list choice).
    ButtonReply { text: String },
    /// A kind of message the provider does not deliver through its API.
    Unsupported,
}

/// One shared contact card: the person's name and numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedContact {
    pub name: String,
    /// As the card gives them (`+55 11 98765-4321`).
    pub phones: Vec<String>,
}

/// What a message carries besides its text and file, stored with it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Extras {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rich: Option<Rich>,
    /// The provider's id of the message this one answers (a reply, or a tap on a template's button).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// Sent by Atende itself, not an agent ("Horário de atendimento"'s automatic answer).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub automatic: bool,
}

impl Extras {
    pub fn is_empty(&self) -> bool {
        self.rich.is_none() && self.reply_to.is_none() && !self.automatic
    }
}

/// What the agent reads for a message the provider does not deliver.
pub const UNSUPPORTED: &str = "O contato enviou um tipo de mensagem que o WhatsApp não entrega pela API";

impl Rich {
    /// The list's line for a message that is one of these: "Reagiu com 👍", "📍 Loja da Paulista",
    /// "👤 Ana Silva", "Mensagem não suportada"; `None` where the message's text says it (a button's text).
    pub fn preview(&self) -> Option<String> {
        match self {
            Self::Reaction { emoji: Some(emoji), .. } => Some(format!("Reagiu com {emoji}")),
            Self::Reaction { emoji: None, .. } => Some("Removeu uma reação".to_owned()),
            Self::Location { name, address, .. } => {
                Some(format!("📍 {}", name.as_deref().or(address.as_deref()).unwrap_or("Localização")))
            }
            Self::Contacts(cards) => Some(match cards.as_slice() {
                [one] => format!("👤 {}", one.name),
                many => format!("👤 {} contatos", many.len()),
            }),
            Self::Unsupported => Some("Mensagem não suportada".to_owned()),
            Self::ButtonReply { .. } => None,
        }
    }

    /// A map of the place (opens in a new tab).
    pub fn map_link(latitude: f64, longitude: f64) -> String {
        format!("https://www.google.com/maps/search/?api=1&query={latitude},{longitude}")
    }
}

/// The name and numbers of a vCard (`FN:` and every `TEL` line), for gateways that send the card itself.
pub fn read_vcard(vcard: &str) -> Option<SharedContact> {
    let mut name = None;
    let mut phones = Vec::new();
    for line in vcard.lines().map(str::trim) {
        let Some((field, value)) = line.split_once(':') else { continue };
        let field = field.to_ascii_uppercase();
        if field == "FN" && !value.trim().is_empty() {
            name = Some(value.trim().to_owned());
        } else if (field.starts_with("TEL") || field.ends_with(".TEL") || field.contains(".TEL;"))
            && !value.trim().is_empty()
        {
            phones.push(value.trim().to_owned());
        }
    }
    name.map(|name| SharedContact { name, phones })
}

/// The digits of a shared number, with Brazil's country code added to a number typed without it, for
/// "Conversar": `None` when it is not a number.
pub fn dialable(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        10 | 11 if !phone.trim_start().starts_with('+') => Some(format!("55{digits}")),
        8..=15 => Some(digits),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vcard_gives_its_name_and_numbers() {
        let card = "BEGIN:VCARD\nVERSION:3.0\nN:Silva;Ana;;;\nFN:Ana Silva\nitem1.TEL;waid=5511987654321:+55 11 98765-4321\nTEL;type=CELL:(21) 3333-4444\nEND:VCARD";
        assert_eq!(
            read_vcard(card),
            Some(SharedContact {
                name: "Ana Silva".into(),
                phones: vec!["+55 11 98765-4321".into(), "(21) 3333-4444".into()]
            })
        );
        assert_eq!(read_vcard("BEGIN:VCARD\nEND:VCARD"), None);
    }

    #[test]
    fn a_shared_number_becomes_one_to_write_to() {
        assert_eq!(dialable("+55 11 98765-4321").as_deref(), Some("5511987654321"));
        assert_eq!(dialable("(21) 3333-4444").as_deref(), Some("552133334444"));
        assert_eq!(dialable("ramal 12"), None);
    }

    #[test]
    fn the_list_says_what_the_contact_did() {
        let reaction = Rich::Reaction { to: "wamid.1".into(), emoji: Some("👍".into()) };
        assert_eq!(reaction.preview().as_deref(), Some("Reagiu com 👍"));
        let card = SharedContact { name: "Ana Silva".into(), phones: vec![] };
        assert_eq!(Rich::Contacts(vec![card.clone()]).preview().as_deref(), Some("👤 Ana Silva"));
        assert_eq!(Rich::Contacts(vec![card.clone(), card]).preview().as_deref(), Some("👤 2 contatos"));
        let place = Rich::Location {
            latitude: 0.0,
            longitude: 0.0,
            name: None,
            address: Some("Av. Paulista".into()),
        };
        assert_eq!(place.preview().as_deref(), Some("📍 Av. Paulista"));
        assert_eq!(Rich::ButtonReply { text: "Sim".into() }.preview(), None);
    }

    #[test]
    fn extras_keep_only_what_they_hold() {
        let extras = Extras { rich: Some(Rich::ButtonReply { text: "Sim".into() }), ..Extras::default() };
        let json = serde_json::to_string(&extras).expect("json");
        assert_eq!(json, r#"{"rich":{"ButtonReply":{"text":"Sim"}}}"#);
        assert_eq!(serde_json::from_str::<Extras>(&json).expect("read"), extras);
        assert!(Extras::default().is_empty());
    }
}
