//! Phone numbers as agents type them, and as providers know them.
//!
//! Agents type Brazilian numbers in many shapes ("(11) 98765-4321", "11987654321", "+55 11 9 8765-4321").
//! We keep one canonical E.164 form. Brazilian mobiles have two forms in the wild: with the ninth digit
//! (13 digits, the canonical one) and without it (12 digits, how WhatsApp still reports older accounts in
//! `wa_id`). Both are the same contact, so [`Phone::variants`] gives both. Landlines never get a 9.
//!
//! Numbers dialled with a carrier code ("0 15 11 98765-4321": trunk 0, carrier 15, DDD 11) are accepted:
//! the carrier only chooses who carries a long-distance call, it is not part of the number.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Brazil's country code.
const BR: &str = "55";

/// Area codes (DDD) in use in Brazil (Anatel).
const DDDS: [u8; 67] = [
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43, 44, 45,
    46, 47, 48, 49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77, 79, 81, 82, 83,
    84, 85, 86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 98, 99,
];

/// Why a typed number was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum PhoneError {
    #[error("Informe o número do contato.")]
    Empty,
    #[error("O número contém “{0}”: use apenas dígitos, espaços, parênteses, hífen e +.")]
    InvalidCharacter(char),
    #[error("O + só pode vir no início do número.")]
    PlusNotAtStart,
    #[error("Informe o número com DDD, por exemplo (11) 98765-4321.")]
    MissingDdd,
    #[error("O DDD {0} não existe no Brasil.")]
    UnknownDdd(String),
    /// The count is of the digits the agent typed (country code, zeros and carrier code included).
    #[error(
        "O número digitado tem {0} dígitos: informe o DDD (2 dígitos) e o número de 8 ou 9 dígitos, por \
         exemplo (11) 98765-4321."
    )]
    WrongLength(usize),
    #[error("Celular com 9 dígitos deve começar com 9.")]
    MobileWithoutNine,
    #[error("Número internacional deve ter de 8 a 15 dígitos, com o código do país.")]
    InvalidInternational,
}

/// A phone number in canonical E.164 form (digits only, country code first, no `+`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Parses what an agent typed. Without a country code the number is taken as Brazilian.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let international = trimmed.starts_with('+');
        let body = if international { &trimmed[1..] } else { trimmed };
        let mut digits = String::with_capacity(body.len());
        for c in body.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '(' | ')' | '-' | '.' | '\u{a0}' => {}
                '+' => return Err(PhoneError::PlusNotAtStart),
                other => return Err(PhoneError::InvalidCharacter(other)),
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }
        let typed = digits.len();
        if international {
            return match digits.strip_prefix(BR) {
                Some(national) => Self::brazilian(national, typed),
                None if (8..=15).contains(&digits.len()) && !digits.starts_with('0') => Ok(Self(digits)),
                None => Err(PhoneError::InvalidInternational),
            };
        }
        // A leading 0 is the national trunk prefix ("011 98765-4321"); "00" starts an international call.
        let national = digits.trim_start_matches('0');
        let trunk_only = digits.strip_prefix('0').is_some_and(|rest| !rest.starts_with('0'));
        match national.len() {
            12 | 13 if national.starts_with(BR) => Self::brazilian(&national[2..], typed),
            // 0 + carrier code (2 digits) + DDD + number: "015 11 98765-4321". The carrier is dropped.
            12 | 13 if trunk_only => Self::brazilian(&national[2..], typed),
            _ => Self::brazilian(national, typed),
        }
    }

    /// `national` is DDD + local number, digits only; `typed` is how many digits the agent typed in all,
    /// which is what a length error reports.
    fn brazilian(national: &str, typed: usize) -> Result<Self, PhoneError> {
        match national.len() {
            8 | 9 => return Err(PhoneError::MissingDdd),
            10 | 11 => {}
            _ => return Err(PhoneError::WrongLength(typed)),
        }
        let (ddd, local) = national.split_at(2);
        let known = ddd.parse::<u8>().map(|d| DDDS.contains(&d)).unwrap_or(false);
        if !known {
            return Err(PhoneError::UnknownDdd(ddd.to_owned()));
        }
        let local = match local.len() {
            9 if local.starts_with('9') => local.to_owned(),
            9 => return Err(PhoneError::MobileWithoutNine),
            // 8 digits starting 6–9: a mobile written without its ninth digit. In Anatel's numbering plan
            // 8-digit numbers starting 2–5 are landlines, and landlines never got a ninth digit, so they stay
            // as typed. This is deliberate, not a gap: adding a 9 there would dial a different line.
            _ if matches!(local.as_bytes()[0], b'6'..=b'9') => format!("9{local}"),
            _ => local.to_owned(),
        };
        Ok(Self(format!("{BR}{ddd}{local}")))
    }

    /// Digits only, country code first: `5511987654321`.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// `+5511987654321`.
    pub fn e164(&self) -> String {
        format!("+{}", self.0)
    }

    pub fn is_brazilian(&self) -> bool {
        self.0.starts_with(BR) && matches!(self.0.len(), 12 | 13)
    }

    pub fn is_brazilian_mobile(&self) -> bool {
        self.is_brazilian() && self.0.len() == 13
    }

    /// Every form under which a provider may know this number: for a Brazilian mobile, with and without the
    /// ninth digit (canonical first); otherwise the number itself.
    ///
    /// Only mobiles that existed before the ninth digit (their old 8 digits began with 6–9, the mobile range
    /// of Anatel's plan) can be known without it: `9 1234-5678` was issued with its 9, and `1234-5678` would
    /// be a landline (2–5) or no line at all.
    pub fn variants(&self) -> Vec<String> {
        if self.is_brazilian_mobile() && matches!(self.0.as_bytes()[5], b'6'..=b'9') {
            let without_nine = format!("{}{}", &self.0[..4], &self.0[5..]);
            vec![self.0.clone(), without_nine]
        } else {
            vec![self.0.clone()]
        }
    }
}

impl fmt::Display for Phone {
    /// How agents read it: `+55 (11) 98765-4321`, `+55 (11) 3456-7890`, or `+<digits>` abroad.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_brazilian() {
            let ddd = &self.0[2..4];
            let local = &self.0[4..];
            let split = local.len() - 4;
            write!(f, "+55 ({ddd}) {}-{}", &local[..split], &local[split..])
        } else {
            write!(f, "+{}", self.0)
        }
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

/// On the wire a phone travels as E.164 with its `+`, so a number abroad never reads as Brazilian.
impl From<Phone> for String {
    fn from(phone: Phone) -> Self {
        phone.e164()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A real Brazilian number (mobile with or without its ninth digit, or landline) in one of the shapes
    /// agents type, with the digits it must parse to.
    fn brazilian_number() -> impl Strategy<Value = (String, String)> {
        let local = prop_oneof![
            // A mobile with its ninth digit.
            (0u32..100_000_000).prop_map(|n| (format!("9{n:08}"), format!("9{n:08}"))),
            // An old mobile typed without it.
            (6u32..=9, 0u32..10_000_000).prop_map(|(f, n)| (format!("{f}{n:07}"), format!("9{f}{n:07}"))),
            // A landline.
            (2u32..=5, 0u32..10_000_000).prop_map(|(f, n)| (format!("{f}{n:07}"), format!("{f}{n:07}"))),
        ];
        (prop::sample::select(DDDS.to_vec()), local, 0usize..7, 10u8..100).prop_map(
            |(ddd, (typed_local, canonical_local), shape, carrier)| {
                let (head, tail) = typed_local.split_at(typed_local.len() - 4);
                let typed = match shape {
                    0 => format!("({ddd}) {head}-{tail}"),
                    1 => format!("{ddd}{typed_local}"),
                    2 => format!("+55 {ddd} {head}-{tail}"),
                    3 => format!("55{ddd}{typed_local}"),
                    4 => format!("0{ddd} {head}-{tail}"),
                    5 => format!("0 {carrier} {ddd} {head}-{tail}"),
                    _ => format!("+55 ({ddd}) {head} {tail}"),
                };
                (typed, format!("55{ddd}{canonical_local}"))
            },
        )
    }

    /// A number abroad, typed with its `+` and country code.
    fn foreign_number() -> impl Strategy<Value = (String, String)> {
        (prop::sample::select(vec!["1", "44", "351", "54", "598", "49"]), 10_000_000u64..10_000_000_000)
            .prop_map(|(country, subscriber)| {
                (format!("+{country} {subscriber}"), format!("{country}{subscriber}"))
            })
    }

    fn parsed(input: &str) -> String {
        Phone::parse(input).map(|p| p.digits().to_owned()).unwrap_or_else(|e| format!("erro: {e}"))
    }

    #[test]
    fn the_shapes_agents_type_are_one_number() {
        for typed in [
            "(11) 98765-4321",
            "11987654321",
            "+55 11 9 8765-4321",
            "5511987654321",
            "011 98765-4321",
            "+55 (11) 98765-4321",
            "11 8765-4321",
        ] {
            assert_eq!(parsed(typed), "5511987654321", "{typed}");
        }
    }

    #[test]
    fn a_landline_never_gets_a_ninth_digit() {
        assert_eq!(parsed("(11) 3456-7890"), "551134567890");
        let landline = Phone::parse("1134567890").expect("landline");
        assert_eq!(landline.variants(), vec!["551134567890".to_owned()]);
        assert!(!landline.is_brazilian_mobile());
    }

    #[test]
    fn a_mobile_is_matched_with_or_without_the_ninth_digit() {
        let mobile = Phone::parse("(21) 99876-5432").expect("mobile");
        assert_eq!(mobile.variants(), vec!["5521998765432".to_owned(), "552198765432".to_owned()]);
        let from_wa_id = Phone::parse("+552198765432").expect("wa_id without the nine");
        assert_eq!(from_wa_id, mobile);
    }

    #[test]
    fn a_mobile_issued_with_its_nine_has_no_eight_digit_twin() {
        let recent = Phone::parse("(11) 91234-5678").expect("mobile");
        assert_eq!(recent.variants(), vec!["5511912345678".to_owned()]);
        assert_ne!(Phone::parse("+551112345678"), Ok(recent));
    }

    #[test]
    fn a_number_without_ddd_is_refused_with_the_reason() {
        assert_eq!(Phone::parse("98765-4321"), Err(PhoneError::MissingDdd));
        assert_eq!(
            PhoneError::MissingDdd.to_string(),
            "Informe o número com DDD, por exemplo (11) 98765-4321."
        );
    }

    #[test]
    fn letters_wrong_lengths_and_unknown_ddds_are_refused() {
        assert_eq!(Phone::parse("11 9876a-4321"), Err(PhoneError::InvalidCharacter('a')));
        assert_eq!(Phone::parse("119876543210"), Err(PhoneError::WrongLength(12)));
        assert_eq!(Phone::parse("(20) 98765-4321"), Err(PhoneError::UnknownDdd("20".into())));
        assert_eq!(Phone::parse("(11) 88765-43210"), Err(PhoneError::WrongLength(12)));
        assert_eq!(Phone::parse("(11) 812345678"), Err(PhoneError::MobileWithoutNine));
        assert_eq!(Phone::parse("   "), Err(PhoneError::Empty));
    }

    #[test]
    fn a_plus_in_the_middle_of_the_number_is_explained() {
        assert_eq!(Phone::parse("11 +98765-4321"), Err(PhoneError::PlusNotAtStart));
        assert_eq!(Phone::parse("+55 +11 98765-4321"), Err(PhoneError::PlusNotAtStart));
        assert_eq!(PhoneError::PlusNotAtStart.to_string(), "O + só pode vir no início do número.");
    }

    #[test]
    fn a_wrong_length_counts_the_digits_the_agent_typed() {
        let typed = "+55 (11) 98765-43210";
        assert_eq!(Phone::parse(typed), Err(PhoneError::WrongLength(14)));
        assert_eq!(
            Phone::parse(typed).map_err(|e| e.to_string()),
            Err("O número digitado tem 14 dígitos: informe o DDD (2 dígitos) e o número de 8 ou 9 dígitos, por \
                 exemplo (11) 98765-4321."
                .to_owned())
        );
        assert_eq!(Phone::parse("0011 98765-43210"), Err(PhoneError::WrongLength(14)));
    }

    #[test]
    fn a_number_dialled_with_a_carrier_code_is_accepted_without_it() {
        for typed in ["015 11 98765-4321", "0 15 11 98765-4321", "0 21 (11) 9 8765-4321", "0151198765-4321"] {
            assert_eq!(parsed(typed), "5511987654321", "{typed}");
        }
        assert_eq!(parsed("0 41 (21) 3456-7890"), "552134567890");
        assert_eq!(parsed("0 15 11 8765-4321"), "5511987654321");
        assert_eq!(Phone::parse("0 15 20 98765-4321"), Err(PhoneError::UnknownDdd("20".into())));
    }

    #[test]
    fn numbers_abroad_keep_their_country_code() {
        assert_eq!(parsed("+1 (415) 555-0100"), "14155550100");
        assert_eq!(Phone::parse("+12"), Err(PhoneError::InvalidInternational));
    }

    #[test]
    fn it_reads_the_way_agents_write_it() {
        let phone = Phone::parse("11987654321").expect("mobile");
        assert_eq!(phone.to_string(), "+55 (11) 98765-4321");
        assert_eq!(phone.e164(), "+5511987654321");
    }

    proptest! {
        #[test]
        fn no_input_panics(input in ".{0,40}") {
            let _ = Phone::parse(&input);
        }

        #[test]
        fn parsing_what_we_display_gives_the_same_number(
            (typed, expected) in prop_oneof![brazilian_number(), foreign_number()]
        ) {
            let phone = Phone::parse(&typed);
            prop_assert_eq!(phone.as_ref().map(Phone::digits), Ok(expected.as_str()), "{}", typed);
            let phone = phone.expect("checked above");
            prop_assert_eq!(Phone::parse(&phone.to_string()), Ok(phone.clone()));
            prop_assert_eq!(Phone::parse(&phone.e164()), Ok(phone.clone()));
            prop_assert_eq!(Phone::parse(phone.digits()).ok().filter(|_| phone.is_brazilian()),
                phone.is_brazilian().then(|| phone.clone()));
        }

        #[test]
        fn a_plus_anywhere_but_the_start_is_refused(ddd in prop::sample::select(DDDS.to_vec()), at in 1usize..10) {
            let mut typed = format!("{ddd}987654321");
            typed.insert(at.min(typed.len()), '+');
            prop_assert_eq!(Phone::parse(&typed), Err(PhoneError::PlusNotAtStart));
        }

        #[test]
        fn every_variant_parses_back_to_the_same_number(ddd in prop::sample::select(DDDS.to_vec()), rest in 10_000_000u32..99_999_999) {
            let phone = Phone::parse(&format!("{ddd}9{rest}")).expect("mobile");
            for variant in phone.variants() {
                prop_assert_eq!(Phone::parse(&format!("+{variant}")), Ok(phone.clone()));
            }
        }
    }
}
