//! Contacts: the people a business talks to.

use crate::phone::{Phone, PhoneError};
use serde::{Deserialize, Serialize};

/// Longest contact name we keep (WhatsApp profile names are shorter; CRM imports are not).
pub const NAME_MAX_CHARS: usize = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ContactId(pub i64);

/// What is wrong with a typed name (each kind of name says it in its own words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameIssue {
    Missing,
    TooLong,
    ControlCharacters,
}

/// A person's name as typed: inner spaces collapsed, ends trimmed, at most `max` characters, no control
/// characters.
pub(crate) fn tidy_name(input: &str, max: usize) -> Result<String, NameIssue> {
    let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(NameIssue::Missing);
    }
    if name.chars().count() > max {
        return Err(NameIssue::TooLong);
    }
    if name.chars().any(char::is_control) {
        return Err(NameIssue::ControlCharacters);
    }
    Ok(name)
}

/// A contact's name as the agents see it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContactName(String);

impl ContactName {
    pub fn parse(input: &str) -> Result<Self, ContactError> {
        tidy_name(input, NAME_MAX_CHARS).map(Self).map_err(|issue| match issue {
            NameIssue::Missing => ContactError::NameMissing,
            NameIssue::TooLong => ContactError::NameTooLong { max: NAME_MAX_CHARS },
            NameIssue::ControlCharacters => ContactError::NameHasControlCharacters,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ContactName {
    type Error = ContactError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ContactName> for String {
    fn from(name: ContactName) -> Self {
        name.0
    }
}

/// Why a contact form was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ContactError {
    #[error("Informe o nome do contato.")]
    NameMissing,
    #[error("O nome pode ter no máximo {max} caracteres.")]
    NameTooLong { max: usize },
    #[error("O nome não pode conter caracteres de controle.")]
    NameHasControlCharacters,
    #[error("{0}")]
    Phone(#[from] PhoneError),
}

/// What the "Novo contato" form sends, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactForm {
    pub name: String,
    pub phone: String,
}

/// A validated new contact, ready to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewContact {
    pub name: ContactName,
    pub phone: Phone,
}

impl ContactForm {
    /// The same check runs in the browser, as the agent types, and on the server, before storing.
    pub fn validate(&self) -> Result<NewContact, ContactError> {
        Ok(NewContact { name: ContactName::parse(&self.name)?, phone: Phone::parse(&self.phone)? })
    }
}

/// A stored contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: ContactId,
    pub name: ContactName,
    pub phone: Option<Phone>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_needs_a_name_and_a_number_with_ddd() {
        let form = ContactForm { name: "  Maria   da Silva ".into(), phone: "(11) 98765-4321".into() };
        let contact = form.validate().expect("valid");
        assert_eq!(contact.name.as_str(), "Maria da Silva");
        assert_eq!(contact.phone.digits(), "5511987654321");

        let no_name = ContactForm { name: " ".into(), phone: "(11) 98765-4321".into() };
        assert_eq!(no_name.validate(), Err(ContactError::NameMissing));
        let no_ddd = ContactForm { name: "Maria".into(), phone: "98765-4321".into() };
        assert_eq!(
            no_ddd.validate().map_err(|e| e.to_string()),
            Err("Informe o número com DDD, por exemplo (11) 98765-4321.".to_owned())
        );
    }

    #[test]
    fn a_name_with_control_characters_or_too_long_is_refused() {
        assert_eq!(ContactName::parse("Ana\u{7}"), Err(ContactError::NameHasControlCharacters));
        let long = "a".repeat(NAME_MAX_CHARS + 1);
        assert_eq!(ContactName::parse(&long), Err(ContactError::NameTooLong { max: NAME_MAX_CHARS }));
    }
}

/// A name or search text folded for matching: lower case, Portuguese accents removed, spaces collapsed.
/// "João" and "joao" match; the server stores the folded name and folds the query the same way.
pub fn fold_for_search(text: &str) -> String {
    let folded: String = text
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            other => other,
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod fold_tests {
    use super::fold_for_search;

    #[test]
    fn a_search_for_joao_finds_joao_with_accent() {
        assert_eq!(fold_for_search("  João   CONCEIÇÃO "), "joao conceicao");
        assert_eq!(fold_for_search("joao conceicao"), "joao conceicao");
    }
}
