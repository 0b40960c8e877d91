//! "Horário de atendimento": a team's opening hours, and the automatic answer a contact who writes outside
//! them may get.
//!
//! A team without hours is always open. Outside its hours a contact's message waits in "Não atribuídos" as
//! ever (nobody is given it at night); the automatic answer is off unless an admin turns it on. When on, it
//! goes once per closed period (the first message after closing gets it; the next ones that night do not),
//! only where a text may leave at once (inside the window: never a template, never held), and it is a message
//! like any other: its status followed, shown in the conversation as automatic, and — since Meta charges
//! service messages too (2026-10-01) — priced where it is configured.

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;

/// The days as the screen lists them, Monday first.
pub const WEEKDAYS: [&str; 7] = ["Segunda", "Terça", "Quarta", "Quinta", "Sexta", "Sábado", "Domingo"];

/// Brasília time (no daylight saving since 2019): the offset a new team's hours are read in.
pub const BRASILIA_OFFSET_MINUTES: i32 = -180;

/// The longest automatic answer (Instagram's 1,000 bytes are checked when it leaves, as for any text).
pub const MAX_ANSWER_CHARS: usize = 1_000;

/// One day's opening, in minutes after local midnight: open from `opens` until `closes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub opens: u16,
    pub closes: u16,
}

/// A team's week, its offset from UTC and its automatic answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    /// Monday first; `None`: closed all day.
    pub days: [Option<Span>; 7],
    pub utc_offset_minutes: i32,
    /// Sent to a contact who writes while closed (`None`: off, the default).
    pub auto_answer: Option<String>,
}

impl Default for OpeningHours {
    /// What the screen offers a team that has none yet: Monday to Friday 08:00–18:00, Brasília, no answer.
    fn default() -> Self {
        let weekday = Some(Span { opens: 8 * 60, closes: 18 * 60 });
        Self {
            days: [weekday, weekday, weekday, weekday, weekday, None, None],
            utc_offset_minutes: BRASILIA_OFFSET_MINUTES,
            auto_answer: None,
        }
    }
}

/// What an admin typed in the screen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursForm {
    /// Monday first: open that day, and from/until as `HH:MM`.
    pub days: Vec<DayForm>,
    pub utc_offset_minutes: i32,
    pub auto_answer_on: bool,
    pub auto_answer: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayForm {
    pub open: bool,
    pub opens: String,
    pub closes: String,
}

/// Why hours were not saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum HoursError {
    #[error("Informe os sete dias da semana.")]
    NotSevenDays,
    #[error("{day}: “{value}” não é um horário (use HH:MM, como 08:30).")]
    NotATime { day: String, value: String },
    #[error("{day}: o fechamento precisa ser depois da abertura.")]
    ClosesBeforeOpens { day: String },
    #[error("O fuso horário precisa estar entre UTC−12 e UTC+14.")]
    BadOffset,
    #[error("Escreva a resposta automática, ou desligue-a.")]
    EmptyAnswer,
    #[error("A resposta automática tem {chars} caracteres; o máximo é {max}.", max = MAX_ANSWER_CHARS)]
    AnswerTooLong { chars: usize },
    #[error("Só administradores mudam o horário de atendimento.")]
    NotAllowed,
}

/// Whether a contact's message of `kind`, sent at `sent_at` and read at `now`, may get the automatic answer: a
/// reaction does not (a 👍 at night is no question), nor a message more than an hour old (a gateway's history
/// sync, a backlog after an outage): the answer is for someone waiting now.
pub fn prompts_auto_answer(kind: crate::window::InboundKind, sent_at: Timestamp, now: Timestamp) -> bool {
    kind != crate::window::InboundKind::Reaction
        && now.as_millis().saturating_sub(sent_at.as_millis()) <= 60 * MINUTE
}

/// Only admins change hours.
pub fn check_manager(viewer: &crate::access::Viewer) -> Result<(), HoursError> {
    if viewer.is_admin() {
        Ok(())
    } else {
        Err(HoursError::NotAllowed)
    }
}

/// `HH:MM` (or `H:MM`), `24:00` for the end of the day, as minutes after midnight.
fn minutes(day: &str, value: &str) -> Result<u16, HoursError> {
    let bad = || HoursError::NotATime { day: day.to_owned(), value: value.to_owned() };
    let (h, m) = value.trim().split_once(':').ok_or_else(bad)?;
    let all_digits = |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(h) || m.len() != 2 || !all_digits(m) {
        return Err(bad());
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    match (h, m) {
        (24, 0) => Ok(24 * 60),
        (0..=23, 0..=59) => Ok(h * 60 + m),
        _ => Err(bad()),
    }
}

/// `08:30` for 510 minutes.
pub fn clock_label(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl OpeningHours {
    /// The admin's form, checked: each open day closes after it opens; the answer, when on, is written.
    pub fn parse(form: &HoursForm) -> Result<Self, HoursError> {
        let days: [&DayForm; 7] =
            form.days.iter().collect::<Vec<_>>().try_into().map_err(|_| HoursError::NotSevenDays)?;
        let mut parsed = [None; 7];
        for (i, day) in days.into_iter().enumerate() {
            if !day.open {
                continue;
            }
            let name = WEEKDAYS[i];
            let (opens, mut closes) = (minutes(name, &day.opens)?, minutes(name, &day.closes)?);
            // A day that closes at 00:00 closes at midnight, its end (a time field stops at 23:59).
            if closes == 0 {
                closes = 24 * 60;
            }
            if closes <= opens {
                return Err(HoursError::ClosesBeforeOpens { day: name.to_owned() });
            }
            parsed[i] = Some(Span { opens, closes });
        }
        if !(-12 * 60..=14 * 60).contains(&form.utc_offset_minutes) {
            return Err(HoursError::BadOffset);
        }
        let auto_answer = if form.auto_answer_on {
            let text = form.auto_answer.trim();
            let chars = text.chars().count();
            if chars == 0 {
                return Err(HoursError::EmptyAnswer);
            }
            if chars > MAX_ANSWER_CHARS {
                return Err(HoursError::AnswerTooLong { chars });
            }
            Some(text.to_owned())
        } else {
            None
        };
        Ok(Self { days: parsed, utc_offset_minutes: form.utc_offset_minutes, auto_answer })
    }

    /// The form that shows these hours (a closed day keeps the usual 08:00–18:00 to be opened with).
    pub fn form(&self) -> HoursForm {
        HoursForm {
            days: self
                .days
                .iter()
                .map(|span| DayForm {
                    open: span.is_some(),
                    opens: clock_label(span.map_or(8 * 60, |s| s.opens)),
                    closes: clock_label(span.map_or(18 * 60, |s| s.closes)),
                })
                .collect(),
            utc_offset_minutes: self.utc_offset_minutes,
            auto_answer_on: self.auto_answer.is_some(),
            auto_answer: self.auto_answer.clone().unwrap_or_default(),
        }
    }

    /// The local day (days since 1970-01-01, Thursday) and the minute of that day at `at`.
    fn local(&self, at: Timestamp) -> (i64, i64) {
        let local = at.as_millis() + i64::from(self.utc_offset_minutes) * MINUTE;
        (local.div_euclid(DAY), local.rem_euclid(DAY) / MINUTE)
    }

    /// Monday 0 … Sunday 6 of a local day number.
    fn weekday(day: i64) -> usize {
        // 1970-01-01 was a Thursday (3).
        usize::try_from((day + 3).rem_euclid(7)).unwrap_or(0)
    }

    /// The instant local `minute` of local `day` was.
    fn instant(&self, day: i64, minute: u16) -> Timestamp {
        Timestamp::from_millis(
            day * DAY + i64::from(minute) * MINUTE - i64::from(self.utc_offset_minutes) * MINUTE,
        )
    }

    pub fn is_open(&self, at: Timestamp) -> bool {
        let (day, minute) = self.local(at);
        self.days[Self::weekday(day)]
            .is_some_and(|s| (i64::from(s.opens)..i64::from(s.closes)).contains(&minute))
    }

    /// When it last closed, at or before `at` (`None`: never open in the week, or open now).
    pub fn closed_since(&self, at: Timestamp) -> Option<Timestamp> {
        if self.is_open(at) {
            return None;
        }
        let (today, _) = self.local(at);
        (0..=7)
            .map(|back| today - back)
            .filter_map(|day| self.days[Self::weekday(day)].map(|s| self.instant(day, s.closes)))
            .find(|closed| *closed <= at)
    }

    /// When it opens next after `at` (`None`: closed every day).
    pub fn next_opening(&self, at: Timestamp) -> Option<Timestamp> {
        let (today, _) = self.local(at);
        (0..=7)
            .map(|ahead| today + ahead)
            .filter_map(|day| self.days[Self::weekday(day)].map(|s| self.instant(day, s.opens)))
            .find(|opens| *opens > at)
    }

    /// The automatic answer a contact who writes at `at` gets, if any: while closed, when it is on and was not
    /// sent in the conversation since it closed (`answered` the last one sent there).
    pub fn auto_answer_due(&self, at: Timestamp, answered: Option<Timestamp>) -> Option<&str> {
        let text = self.auto_answer.as_deref()?;
        if self.is_open(at) {
            return None;
        }
        // Closed every day of the week: once a day.
        let since = self.closed_since(at).unwrap_or_else(|| at.plus_millis(-DAY));
        answered.is_none_or(|sent| sent < since).then_some(text)
    }

    /// Whether it is open at `at`, as the screen says it: "Aberta agora, até 18:00", "Fechada agora · abre
    /// segunda às 08:00", or "Fechada agora" (closed every day).
    pub fn status(&self, at: Timestamp) -> String {
        let (day, _) = self.local(at);
        if let Some(span) = self.days[Self::weekday(day)].filter(|_| self.is_open(at)) {
            return format!("Aberta agora, até {}", clock_label(span.closes));
        }
        match self.next_opening(at) {
            Some(opens) => {
                let (opening_day, opening_minute) = self.local(opens);
                let weekday = WEEKDAYS[Self::weekday(opening_day)].to_lowercase();
                let when = if opening_day == day { "hoje".to_owned() } else { weekday };
                let minute = u16::try_from(opening_minute).unwrap_or(0);
                format!("Fechada agora · abre {when} às {}", clock_label(minute))
            }
            None => "Fechada agora".to_owned(),
        }
    }

    /// A line for the team list: "Seg–Sex 08:00–18:00 · Sáb 09:00–13:00", or "Fechado todos os dias".
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut i = 0;
        while i < 7 {
            let Some(span) = self.days[i] else {
                i += 1;
                continue;
            };
            let mut j = i;
            while j + 1 < 7 && self.days[j + 1] == Some(span) {
                j += 1;
            }
            let short = |d: usize| &WEEKDAYS[d][..WEEKDAYS[d].char_indices().nth(3).map_or(3, |(b, _)| b)];
            let days = if i == j { short(i).to_owned() } else { format!("{}–{}", short(i), short(j)) };
            parts.push(format!("{days} {}–{}", clock_label(span.opens), clock_label(span.closes)));
            i = j + 1;
        }
        if parts.is_empty() {
            "Fechado todos os dias".to_owned()
        } else {
            parts.join(" · ")
        }
    }
}

/// What the screen says an automatic answer costs: Meta charges service messages on the official API (since
/// 2026-10-01), at the rate card's price for a Brazilian number; the other channels cost nothing.
pub fn auto_answer_price(card: Option<&crate::pricing::RateCard>, at: Timestamp) -> String {
    use crate::pricing::{PricingCategory, RateScope};
    let brazil = crate::phone::Phone::parse("+55 11 99999-0000").ok();
    let price = card.zip(brazil.as_ref()).and_then(|(card, phone)| {
        card.rate(card.market_of(phone)?, PricingCategory::Service, RateScope::CustomerService, at)
    });
    match price {
        Some(price) => format!(
            "Cada resposta automática é uma mensagem de atendimento: no WhatsApp (API Oficial) a Meta cobra {price} \
             por envio a um número do Brasil. Nos outros canais não há custo."
        ),
        None => "Cada resposta automática é uma mensagem de atendimento: no WhatsApp (API Oficial) a Meta as cobra \
                 desde 01/10/2026, mas a tabela de preços não tem o valor para o Brasil. Nos outros canais não há \
                 custo."
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-07 was a Monday; `h:m` Brasília time that day plus `days`.
    fn brasilia(days: i64, h: i64, m: i64) -> Timestamp {
        let monday = Timestamp::from_utc_date(2026, 12, 7).expect("valid");
        monday.plus_millis(days * DAY + (h * 60 + m + 180) * MINUTE)
    }

    fn form(days: [(bool, &str, &str); 7]) -> HoursForm {
        HoursForm {
            days: days
                .iter()
                .map(|&(open, opens, closes)| DayForm { open, opens: opens.into(), closes: closes.into() })
                .collect(),
            utc_offset_minutes: BRASILIA_OFFSET_MINUTES,
            auto_answer_on: true,
            auto_answer: "  Voltamos às 8h.  ".into(),
        }
    }

    fn shop() -> OpeningHours {
        let week = [(true, "08:00", "18:00"); 5];
        let days = [week[0], week[1], week[2], week[3], week[4], (true, "9:00", "13:00"), (false, "", "")];
        OpeningHours::parse(&form(days)).expect("valid")
    }

    #[test]
    fn open_from_opening_until_closing_in_the_teams_own_time() {
        let hours = shop();
        assert!(!hours.is_open(brasilia(0, 7, 59)));
        assert!(hours.is_open(brasilia(0, 8, 0)));
        assert!(hours.is_open(brasilia(0, 17, 59)));
        assert!(!hours.is_open(brasilia(0, 18, 0)));
        assert!(hours.is_open(brasilia(5, 12, 30)), "Saturday morning");
        assert!(!hours.is_open(brasilia(6, 10, 0)), "Sunday");
        // 22:00 in Brasília is 01:00 UTC on the next day: still Monday night for the team.
        assert!(!hours.is_open(brasilia(0, 22, 0)));
        assert_eq!(hours.next_opening(brasilia(0, 22, 0)), Some(brasilia(1, 8, 0)));
        assert_eq!(hours.next_opening(brasilia(5, 14, 0)), Some(brasilia(7, 8, 0)), "Saturday → Monday");
        assert_eq!(hours.summary(), "Seg–Sex 08:00–18:00 · Sáb 09:00–13:00");
    }

    #[test]
    fn the_automatic_answer_goes_once_per_closed_period_and_never_while_open() {
        let hours = shop();
        let night = brasilia(0, 20, 0);
        assert_eq!(hours.closed_since(night), Some(brasilia(0, 18, 0)));
        assert_eq!(hours.auto_answer_due(night, None), Some("Voltamos às 8h."));
        // Sent at 20:00: the 23:00 message of the same night gets none; Tuesday night's does.
        assert_eq!(hours.auto_answer_due(brasilia(0, 23, 0), Some(night)), None);
        assert_eq!(hours.auto_answer_due(brasilia(1, 6, 0), Some(night)), None, "before Tuesday opens");
        assert_eq!(hours.auto_answer_due(brasilia(1, 19, 0), Some(night)), Some("Voltamos às 8h."));
        assert_eq!(hours.auto_answer_due(brasilia(1, 10, 0), None), None, "open");
        // Sunday: closed since Saturday 13:00.
        assert_eq!(hours.closed_since(brasilia(6, 10, 0)), Some(brasilia(5, 13, 0)));
        let off = OpeningHours { auto_answer: None, ..hours };
        assert_eq!(off.auto_answer_due(night, None), None, "off by default");
        assert_eq!(OpeningHours::default().auto_answer, None);
    }

    #[test]
    fn a_week_closed_every_day_answers_once_a_day() {
        let closed =
            OpeningHours { days: [None; 7], auto_answer: Some("Fechado".into()), ..Default::default() };
        assert_eq!(closed.closed_since(brasilia(0, 10, 0)), None);
        assert_eq!(closed.next_opening(brasilia(0, 10, 0)), None);
        assert_eq!(closed.auto_answer_due(brasilia(0, 10, 0), Some(brasilia(0, 9, 0))), None);
        assert_eq!(closed.auto_answer_due(brasilia(1, 10, 0), Some(brasilia(0, 9, 0))), Some("Fechado"));
        assert_eq!(closed.summary(), "Fechado todos os dias");
    }

    #[test]
    fn a_bad_form_says_which_day_and_why() {
        let mut days = [(true, "08:00", "18:00"); 7];
        days[1] = (true, "8h", "18:00");
        assert_eq!(
            OpeningHours::parse(&form(days)),
            Err(HoursError::NotATime { day: "Terça".into(), value: "8h".into() })
        );
        days[1] = (true, "18:00", "08:00");
        assert_eq!(
            OpeningHours::parse(&form(days)),
            Err(HoursError::ClosesBeforeOpens { day: "Terça".into() })
        );
        days[1] = (true, "25:00", "26:00");
        assert!(matches!(OpeningHours::parse(&form(days)), Err(HoursError::NotATime { .. })));
        days[1] = (true, "00:00", "24:00");
        assert_eq!(
            OpeningHours::parse(&form(days)).expect("valid").days[1],
            Some(Span { opens: 0, closes: 1440 })
        );
        days[1] = (true, "00:00", "00:00");
        assert_eq!(
            OpeningHours::parse(&form(days)).expect("valid").days[1],
            Some(Span { opens: 0, closes: 1440 }),
            "00:00 as the closing is midnight"
        );
        let mut empty = form(days);
        empty.auto_answer = "   ".into();
        assert_eq!(OpeningHours::parse(&empty), Err(HoursError::EmptyAnswer));
        empty.auto_answer = "a".repeat(1001);
        assert_eq!(OpeningHours::parse(&empty), Err(HoursError::AnswerTooLong { chars: 1001 }));
        empty.auto_answer_on = false;
        assert_eq!(
            OpeningHours::parse(&empty).expect("valid").auto_answer,
            None,
            "off: the text is not kept"
        );
        let mut six = form(days);
        six.days.pop();
        assert_eq!(OpeningHours::parse(&six), Err(HoursError::NotSevenDays));
        let mut far = form(days);
        far.utc_offset_minutes = 15 * 60;
        assert_eq!(OpeningHours::parse(&far), Err(HoursError::BadOffset));
        assert_eq!(
            HoursError::ClosesBeforeOpens { day: "Terça".into() }.to_string(),
            "Terça: o fechamento precisa ser depois da abertura."
        );
    }

    #[test]
    fn the_screen_says_whether_it_is_open_and_when_it_opens() {
        let hours = shop();
        assert_eq!(hours.status(brasilia(0, 10, 0)), "Aberta agora, até 18:00");
        assert_eq!(hours.status(brasilia(0, 7, 0)), "Fechada agora · abre hoje às 08:00");
        assert_eq!(hours.status(brasilia(0, 22, 0)), "Fechada agora · abre terça às 08:00");
        assert_eq!(hours.status(brasilia(5, 14, 0)), "Fechada agora · abre segunda às 08:00");
        let closed = OpeningHours { days: [None; 7], ..hours };
        assert_eq!(closed.status(brasilia(0, 10, 0)), "Fechada agora");
    }

    #[test]
    fn the_price_of_an_automatic_answer_is_the_rate_cards_service_price_for_brazil() {
        use crate::pricing::{
            Currency, Market, MarketPrefix, Money, PricingCategory, Rate, RateCard, RateCardSpec, RateScope,
        };
        let brazil = Market::parse("BR").expect("valid");
        let card = RateCard::new(RateCardSpec {
            rates: vec![Rate {
                market: brazil.clone(),
                category: PricingCategory::Service,
                scope: RateScope::CustomerService,
                effective_from: Timestamp::from_utc_date(2026, 10, 1).expect("valid"),
                price: Money::parse(Currency::Brl, "0,04").expect("valid"),
            }],
            markets: vec![MarketPrefix { prefix: "55".into(), market: brazil }],
            other_market: None,
        })
        .expect("valid");
        let text = auto_answer_price(Some(&card), brasilia(0, 10, 0));
        assert!(text.contains("a Meta cobra R$ 0,04 por envio a um número do Brasil"), "{text}");
        let before = auto_answer_price(Some(&card), Timestamp::from_utc_date(2026, 9, 1).expect("valid"));
        assert!(before.contains("não tem o valor"), "{before}");
        assert!(auto_answer_price(None, brasilia(0, 10, 0)).contains("não tem o valor"));
    }

    #[test]
    fn a_reaction_or_an_old_message_gets_no_automatic_answer() {
        use crate::window::InboundKind;
        let now = brasilia(0, 22, 0);
        assert!(prompts_auto_answer(InboundKind::Text, now.plus_millis(-5 * MINUTE), now));
        assert!(prompts_auto_answer(InboundKind::Image, now, now));
        assert!(!prompts_auto_answer(InboundKind::Reaction, now, now));
        assert!(!prompts_auto_answer(InboundKind::Text, now.plus_millis(-61 * MINUTE), now));
        // A provider's time of any value (hostile, or from the far past) is no panic.
        assert!(!prompts_auto_answer(InboundKind::Text, Timestamp::from_millis(i64::MIN), now));
        assert!(prompts_auto_answer(InboundKind::Text, Timestamp::from_millis(i64::MAX), now));
    }

    #[test]
    fn the_form_shows_the_hours_it_was_made_from() {
        let hours = shop();
        assert_eq!(OpeningHours::parse(&hours.form()), Ok(hours.clone()));
        assert_eq!(
            hours.form().days[6],
            DayForm { open: false, opens: "08:00".into(), closes: "18:00".into() }
        );
    }
}
