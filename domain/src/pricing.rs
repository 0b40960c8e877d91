//! What a send costs on the official WhatsApp API, as far as the agent should know before sending.
//!
//! Meta charges per delivered template, by template category and by the recipient's market; utility
//! templates inside an open window are free; everything inside an open free-entry-point window (72 h after an
//! ad click) is free. Prices and even which sends are charged change on announced dates (service messages
//! are reported to be charged from 2026-10-01), so they live in a [`RateCard`]: data with effective dates,
//! loaded by the server. The logic here only classifies a send the way Meta's status webhooks will, and looks
//! the price up.

use crate::channel::ChannelKind;
use crate::phone::Phone;
use crate::template::TemplateCategory;
use crate::time::Timestamp;
use crate::window::ServiceWindow;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why pricing data was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum PricingError {
    #[error("Valor inválido: “{0}”. Use, por exemplo, 0,0625.")]
    InvalidAmount(String),
    #[error("Moeda desconhecida: “{0}”.")]
    UnknownCurrency(String),
    #[error("Mercado inválido: “{0}”.")]
    InvalidMarket(String),
    #[error("Categoria de cobrança desconhecida: “{0}”.")]
    UnknownCategory(String),
    #[error("Tipo de cobrança desconhecido: “{0}”.")]
    UnknownPricingType(String),
    #[error("Modelo de cobrança desconhecido: “{0}”.")]
    UnknownPricingModel(String),
    #[error("A tabela de preços tem dois valores para {market} / {category} a partir da mesma data.")]
    DuplicateRate { market: String, category: String },
    #[error("A tabela de preços mistura moedas: use uma só, a da conta (por exemplo, BRL).")]
    MixedCurrencies,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Currency {
    Brl,
    Usd,
}

impl Currency {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Brl => "BRL",
            Self::Usd => "USD",
        }
    }

    pub fn from_code(code: &str) -> Result<Self, PricingError> {
        match code.trim().to_ascii_uppercase().as_str() {
            "BRL" => Ok(Self::Brl),
            "USD" => Ok(Self::Usd),
            _ => Err(PricingError::UnknownCurrency(code.to_owned())),
        }
    }

    const fn symbol(self) -> &'static str {
        match self {
            Self::Brl => "R$",
            Self::Usd => "US$",
        }
    }

    /// The currency's name, as an agent says it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Brl => "reais",
            Self::Usd => "dólares",
        }
    }
}

/// What the agent is told beside an estimate when Meta bills the account (its WhatsApp Business Account's
/// `currency`) in another currency than the rate card's: since 2026-07-01 Brazilian accounts are billed in
/// BRL, and a card in US$ then gives only an estimate in the wrong currency. `None` when they agree or either
/// is unknown.
pub fn account_currency_note(card: Option<Currency>, account: Option<Currency>) -> Option<String> {
    match (card, account) {
        (Some(card), Some(account)) if card != account => Some(format!(
            "A Meta cobra esta conta em {} ({}); a tabela de preços carregada está em {}: o valor é uma estimativa \
             em {}. Um administrador pode carregar a tabela em {} em Administração → Preços.",
            account.name(),
            account.code(),
            card.name(),
            card.symbol(),
            account.name(),
        )),
        _ => None,
    }
}

/// An amount in millionths of a currency unit: Meta's per-message rates have four decimals (US$ 0,0068).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    currency: Currency,
    micros: i64,
}

impl Money {
    const MICROS_PER_UNIT: i64 = 1_000_000;

    pub const fn from_micros(currency: Currency, micros: i64) -> Self {
        Self { currency, micros }
    }

    /// Reads a rate as written in a rate card: `0.0625`, `0,0625`, `12`. At most six decimals, not negative.
    pub fn parse(currency: Currency, input: &str) -> Result<Self, PricingError> {
        let invalid = || PricingError::InvalidAmount(input.to_owned());
        let text = input.trim();
        let (units, fraction) = match text.split_once(['.', ',']) {
            Some((units, fraction)) => (units, fraction),
            None => (text, ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if units.is_empty() || !digits(units) || !digits(fraction) || fraction.len() > 6 {
            return Err(invalid());
        }
        let units: i64 = units.parse().map_err(|_| invalid())?;
        let fraction: i64 = format!("{fraction:0<6}").parse().map_err(|_| invalid())?;
        let micros = units.checked_mul(Self::MICROS_PER_UNIT).and_then(|m| m.checked_add(fraction));
        micros.map(|micros| Self { currency, micros }).ok_or_else(invalid)
    }

    pub const fn currency(&self) -> Currency {
        self.currency
    }

    pub const fn micros(&self) -> i64 {
        self.micros
    }
}

impl fmt::Display for Money {
    /// `US$ 0,0625`, `R$ 1.234,50`: at least two decimals, more only when the rate has them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.micros < 0 { "-" } else { "" };
        let abs = self.micros.unsigned_abs();
        let units = (abs / Self::MICROS_PER_UNIT.unsigned_abs()).to_string();
        let fraction = format!("{:06}", abs % Self::MICROS_PER_UNIT.unsigned_abs());
        let fraction = fraction.trim_end_matches('0');
        let fraction = format!("{fraction:0<2}");
        let mut grouped = String::new();
        for (i, digit) in units.chars().enumerate() {
            if i > 0 && (units.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(digit);
        }
        write!(f, "{} {sign}{grouped},{fraction}", self.currency.symbol())
    }
}

/// A pricing market as Meta's rate card names it ("Brazil", "Rest of Latin America", …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Market(String);

impl Market {
    pub fn parse(input: &str) -> Result<Self, PricingError> {
        let name = input.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(PricingError::InvalidMarket(input.to_owned()));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Market {
    type Error = PricingError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Market> for String {
    fn from(market: Market) -> Self {
        market.0
    }
}

/// Meta's pricing categories, as status webhooks report them in `pricing.category`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PricingCategory {
    Marketing,
    MarketingLite,
    Utility,
    Authentication,
    AuthenticationInternational,
    Service,
    ReferralConversion,
}

impl PricingCategory {
    pub const ALL: [PricingCategory; 7] = [
        Self::Marketing,
        Self::MarketingLite,
        Self::Utility,
        Self::Authentication,
        Self::AuthenticationInternational,
        Self::Service,
        Self::ReferralConversion,
    ];

    /// The webhook spelling.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Marketing => "marketing",
            Self::MarketingLite => "marketing_lite",
            Self::Utility => "utility",
            Self::Authentication => "authentication",
            Self::AuthenticationInternational => "authentication-international",
            Self::Service => "service",
            Self::ReferralConversion => "referral_conversion",
        }
    }

    /// Reads `pricing.category`; Meta spells one value both `authentication-international` and
    /// `authentication_international`.
    pub fn from_webhook(code: &str) -> Result<Self, PricingError> {
        let normalized = code.trim().to_ascii_lowercase().replace('_', "-");
        Self::ALL
            .into_iter()
            .find(|c| c.code().replace('_', "-") == normalized)
            .ok_or_else(|| PricingError::UnknownCategory(code.to_owned()))
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::Marketing => "Marketing",
            Self::MarketingLite => "Marketing (Lite)",
            Self::Utility => "Utilidade",
            Self::Authentication => "Autenticação",
            Self::AuthenticationInternational => "Autenticação internacional",
            Self::Service => "Atendimento",
            Self::ReferralConversion => "Conversão de anúncio",
        }
    }
}

impl From<TemplateCategory> for PricingCategory {
    fn from(category: TemplateCategory) -> Self {
        match category {
            TemplateCategory::Marketing => Self::Marketing,
            TemplateCategory::Utility => Self::Utility,
            TemplateCategory::Authentication => Self::Authentication,
        }
    }
}

/// `pricing.type` in status webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PricingType {
    /// Charged.
    Regular,
    /// A non-template message, or a utility template inside the window.
    FreeCustomerService,
    /// Inside a free-entry-point window.
    FreeEntryPoint,
}

impl PricingType {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Regular => "regular",
            Self::FreeCustomerService => "free_customer_service",
            Self::FreeEntryPoint => "free_entry_point",
        }
    }

    pub fn from_webhook(code: &str) -> Result<Self, PricingError> {
        [Self::Regular, Self::FreeCustomerService, Self::FreeEntryPoint]
            .into_iter()
            .find(|t| t.code().eq_ignore_ascii_case(code.trim()))
            .ok_or_else(|| PricingError::UnknownPricingType(code.to_owned()))
    }
}

/// `pricing.pricing_model`: conversation-based (until 2025-06-30) or per-message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PricingModel {
    Cbp,
    Pmp,
}

impl PricingModel {
    pub fn from_webhook(code: &str) -> Result<Self, PricingError> {
        match code.trim().to_ascii_uppercase().as_str() {
            "CBP" => Ok(Self::Cbp),
            "PMP" => Ok(Self::Pmp),
            _ => Err(PricingError::UnknownPricingModel(code.to_owned())),
        }
    }
}

/// The `pricing` object of a status webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookPricing {
    model: PricingModel,
    pricing_type: Option<PricingType>,
    category: PricingCategory,
    billable: Option<bool>,
}

impl WebhookPricing {
    /// Reads the webhook's fields as they came (`type` is absent on conversation-based webhooks).
    pub fn parse(
        model: &str,
        pricing_type: Option<&str>,
        category: &str,
        billable: Option<bool>,
    ) -> Result<Self, PricingError> {
        Ok(Self {
            model: PricingModel::from_webhook(model)?,
            pricing_type: pricing_type.map(PricingType::from_webhook).transpose()?,
            category: PricingCategory::from_webhook(category)?,
            billable,
        })
    }

    pub const fn model(&self) -> PricingModel {
        self.model
    }

    pub const fn pricing_type(&self) -> Option<PricingType> {
        self.pricing_type
    }

    pub const fn category(&self) -> PricingCategory {
        self.category
    }

    /// Whether Meta charges this message: `type` decides (`billable` is being deprecated); without `type`,
    /// `billable` does.
    pub fn is_billable(&self) -> bool {
        match self.pricing_type {
            Some(pricing_type) => pricing_type == PricingType::Regular,
            None => self.billable.unwrap_or(false),
        }
    }
}

/// What is being sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outgoing {
    Template(TemplateCategory),
    /// A free-form message (only possible inside the window).
    FreeForm,
}

/// How Meta will classify a send: the `pricing.type` and `pricing.category` its status webhook will carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    pub pricing_type: PricingType,
    pub category: PricingCategory,
}

/// Classifies a send on `channel` at a moment when the window is `window` and a free-entry-point window is
/// open or not. `None`: Meta does not bill this channel.
pub fn classify(
    channel: ChannelKind,
    outgoing: Outgoing,
    window: &ServiceWindow,
    free_entry_point_open: bool,
) -> Option<Classification> {
    if !channel.billed_by_meta() {
        return None;
    }
    let (pricing_type, category) = match outgoing {
        _ if free_entry_point_open => (PricingType::FreeEntryPoint, PricingCategory::ReferralConversion),
        Outgoing::FreeForm => (PricingType::FreeCustomerService, PricingCategory::Service),
        Outgoing::Template(TemplateCategory::Utility) if window.is_open() => {
            (PricingType::FreeCustomerService, PricingCategory::Utility)
        }
        Outgoing::Template(category) => (PricingType::Regular, category.into()),
    };
    Some(Classification { pricing_type, category })
}

/// Which sends a rate prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RateScope {
    /// Sends Meta classifies `regular`.
    Regular,
    /// Sends Meta classifies `free_customer_service` (inside the window), for the dates Meta charges them.
    CustomerService,
}

/// One line of a rate card: from `effective_from` on, a send of `category` to `market` costs `price`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    pub market: Market,
    pub category: PricingCategory,
    pub scope: RateScope,
    pub effective_from: Timestamp,
    pub price: Money,
}

/// Which market a number belongs to: the longest matching calling-code prefix wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketPrefix {
    /// Digits of the calling code (and area, where Meta splits a country): `55`, `1`.
    pub prefix: String,
    pub market: Market,
}

/// Meta's prices, as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RateCardSpec", into = "RateCardSpec")]
pub struct RateCard {
    rates: Vec<Rate>,
    markets: Vec<MarketPrefix>,
    other_market: Option<Market>,
}

/// The stored shape of a [`RateCard`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateCardSpec {
    pub rates: Vec<Rate>,
    pub markets: Vec<MarketPrefix>,
    /// The market of numbers no prefix matches ("Other").
    pub other_market: Option<Market>,
}

impl RateCard {
    /// The currency of the card's prices (one per card), if it has any.
    pub fn currency(&self) -> Option<Currency> {
        self.rates.first().map(|rate| rate.price.currency())
    }

    /// Every price on the card, as given.
    pub fn rates(&self) -> &[Rate] {
        &self.rates
    }

    pub fn new(spec: RateCardSpec) -> Result<Self, PricingError> {
        if let Some(first) = spec.rates.first() {
            if spec.rates.iter().any(|rate| rate.price.currency() != first.price.currency()) {
                return Err(PricingError::MixedCurrencies);
            }
        }
        for (i, rate) in spec.rates.iter().enumerate() {
            let duplicate = spec.rates[..i].iter().any(|other| {
                (&other.market, other.category, other.scope, other.effective_from)
                    == (&rate.market, rate.category, rate.scope, rate.effective_from)
            });
            if duplicate {
                return Err(PricingError::DuplicateRate {
                    market: rate.market.0.clone(),
                    category: rate.category.code().to_owned(),
                });
            }
        }
        Ok(Self { rates: spec.rates, markets: spec.markets, other_market: spec.other_market })
    }

    /// The market of a recipient.
    pub fn market_of(&self, phone: &Phone) -> Option<&Market> {
        self.markets
            .iter()
            .filter(|m| phone.digits().starts_with(m.prefix.as_str()))
            .max_by_key(|m| m.prefix.len())
            .map(|m| &m.market)
            .or(self.other_market.as_ref())
    }

    /// The price in force at `at`: the latest rate that took effect on or before it.
    pub fn rate(
        &self,
        market: &Market,
        category: PricingCategory,
        scope: RateScope,
        at: Timestamp,
    ) -> Option<Money> {
        self.rates
            .iter()
            .filter(|r| r.market == *market && r.category == category && r.scope == scope)
            .filter(|r| r.effective_from <= at)
            .max_by_key(|r| r.effective_from)
            .map(|r| r.price)
    }

    /// What the agent is told before sending.
    pub fn estimate(
        &self,
        classification: Classification,
        recipient: &Phone,
        at: Timestamp,
    ) -> PriceEstimate {
        let market = self.market_of(recipient);
        let lookup = |scope| market.and_then(|m| self.rate(m, classification.category, scope, at));
        let charge = match classification.pricing_type {
            PricingType::FreeEntryPoint => Charge::Free,
            PricingType::Regular => match lookup(RateScope::Regular) {
                Some(price) => Charge::Price(price),
                None => Charge::PriceUnknown,
            },
            PricingType::FreeCustomerService => match lookup(RateScope::CustomerService) {
                Some(price) => Charge::Price(price),
                None => Charge::Free,
            },
        };
        PriceEstimate { classification, charge }
    }
}

impl TryFrom<RateCardSpec> for RateCard {
    type Error = PricingError;
    fn try_from(spec: RateCardSpec) -> Result<Self, Self::Error> {
        Self::new(spec)
    }
}

impl From<RateCard> for RateCardSpec {
    fn from(card: RateCard) -> Self {
        Self { rates: card.rates, markets: card.markets, other_market: card.other_market }
    }
}

/// What a send will cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Charge {
    Free,
    Price(Money),
    /// Meta charges it, but the rate card has no price for this market and date.
    PriceUnknown,
}

/// The estimate shown beside "Enviar".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceEstimate {
    pub classification: Classification,
    pub charge: Charge,
}

impl PriceEstimate {
    pub const fn is_billable(&self) -> bool {
        !matches!(self.charge, Charge::Free)
    }
}

impl fmt::Display for PriceEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let category = self.classification.category.label();
        match (self.charge, self.classification.pricing_type) {
            (Charge::Price(price), _) => write!(f, "Envio cobrado pela Meta: {price} ({category})."),
            (Charge::PriceUnknown, _) => write!(
                f,
                "Envio cobrado pela Meta ({category}); o valor para este destino não está na tabela de preços."
            ),
            (Charge::Free, PricingType::FreeEntryPoint) => {
                write!(f, "Sem custo: o contato veio de um anúncio e a janela gratuita está aberta.")
            }
            (Charge::Free, _) => write!(f, "Sem custo: envio dentro da janela de conversa de 24 horas."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Channel;
    use crate::time::Duration;
    use crate::window::window;
    use proptest::prelude::*;

    #[test]
    fn the_estimate_says_when_meta_bills_the_account_in_another_currency() {
        let note = account_currency_note(Some(Currency::Usd), Some(Currency::Brl)).expect("a note");
        assert!(note.starts_with(
            "A Meta cobra esta conta em reais (BRL); a tabela de preços carregada está em dólares"
        ));
        assert!(note.contains("estimativa em US$"), "{note}");
        assert_eq!(account_currency_note(Some(Currency::Brl), Some(Currency::Brl)), None);
        assert_eq!(account_currency_note(Some(Currency::Usd), None), None, "an account not read yet");
        assert_eq!(account_currency_note(None, Some(Currency::Brl)), None, "no card, no estimate to qualify");
    }

    fn date(y: i32, m: u32, d: u32) -> Timestamp {
        Timestamp::from_utc_date(y, m, d).expect("valid date")
    }

    fn usd(amount: &str) -> Money {
        Money::parse(Currency::Usd, amount).expect("valid amount")
    }

    fn brazil() -> Market {
        Market::parse("Brazil").expect("valid market")
    }

    /// Brazil 2026 as reported by third parties; service messages priced from 2026-10-01.
    fn card() -> RateCard {
        let rate = |category, scope, effective_from, price: &str| Rate {
            market: brazil(),
            category,
            scope,
            effective_from,
            price: usd(price),
        };
        RateCard::new(RateCardSpec {
            rates: vec![
                rate(PricingCategory::Marketing, RateScope::Regular, date(2026, 1, 1), "0.0625"),
                rate(PricingCategory::Utility, RateScope::Regular, date(2026, 1, 1), "0.0068"),
                rate(PricingCategory::Authentication, RateScope::Regular, date(2026, 1, 1), "0.0068"),
                rate(PricingCategory::Service, RateScope::CustomerService, date(2026, 10, 1), "0.0068"),
            ],
            markets: vec![MarketPrefix { prefix: "55".into(), market: brazil() }],
            other_market: None,
        })
        .expect("valid card")
    }

    fn maria() -> Phone {
        Phone::parse("(11) 98765-4321").expect("valid phone")
    }

    fn closed() -> ServiceWindow {
        ServiceWindow::Closed { closed_at: date(2026, 3, 1) }
    }

    fn open() -> ServiceWindow {
        ServiceWindow::Open { closes_at: date(2026, 3, 2), left: Duration::hours(3) }
    }

    #[test]
    fn a_template_sent_after_24_hours_is_a_business_initiated_message_and_is_charged() {
        let official = ChannelKind::WhatsappOfficial;
        let class = classify(official, Outgoing::Template(TemplateCategory::Marketing), &closed(), false)
            .expect("official channel is billed");
        assert_eq!(
            class,
            Classification { pricing_type: PricingType::Regular, category: PricingCategory::Marketing }
        );
        let estimate = card().estimate(class, &maria(), date(2026, 3, 1));
        assert_eq!(estimate.charge, Charge::Price(usd("0.0625")));
        assert!(estimate.is_billable());
        assert_eq!(estimate.to_string(), "Envio cobrado pela Meta: US$ 0,0625 (Marketing).");
    }

    #[test]
    fn a_utility_template_inside_the_window_is_free_and_outside_it_is_charged() {
        let official = ChannelKind::WhatsappOfficial;
        let utility = Outgoing::Template(TemplateCategory::Utility);
        let inside = classify(official, utility, &open(), false).expect("billed channel");
        let estimate = card().estimate(inside, &maria(), date(2026, 3, 1));
        assert!(!estimate.is_billable());
        assert_eq!(estimate.to_string(), "Sem custo: envio dentro da janela de conversa de 24 horas.");
        let outside = classify(official, utility, &closed(), false).expect("billed channel");
        assert_eq!(card().estimate(outside, &maria(), date(2026, 3, 1)).charge, Charge::Price(usd("0.0068")));
    }

    #[test]
    fn service_messages_are_charged_from_the_date_the_rate_card_says() {
        let class =
            classify(ChannelKind::WhatsappOfficial, Outgoing::FreeForm, &open(), false).expect("billed");
        assert_eq!(class.pricing_type, PricingType::FreeCustomerService);
        assert_eq!(card().estimate(class, &maria(), date(2026, 9, 30)).charge, Charge::Free);
        assert_eq!(card().estimate(class, &maria(), date(2026, 10, 1)).charge, Charge::Price(usd("0.0068")));
    }

    #[test]
    fn everything_is_free_inside_a_free_entry_point_window() {
        for outgoing in [Outgoing::FreeForm, Outgoing::Template(TemplateCategory::Marketing)] {
            let class = classify(ChannelKind::WhatsappOfficial, outgoing, &open(), true).expect("billed");
            assert_eq!(class.category, PricingCategory::ReferralConversion);
            assert!(!card().estimate(class, &maria(), date(2026, 11, 1)).is_billable());
        }
    }

    #[test]
    fn other_channels_are_not_billed_by_meta() {
        for kind in [ChannelKind::WhatsappUnofficial, ChannelKind::Instagram, ChannelKind::Messenger] {
            let state = window(&Channel::plain(kind), None, date(2026, 1, 1));
            assert_eq!(classify(kind, Outgoing::FreeForm, &state, false), None);
        }
    }

    #[test]
    fn a_market_missing_from_the_card_is_charged_at_an_unknown_price() {
        let abroad = Phone::parse("+1 415 555 0100").expect("valid phone");
        let class = classify(
            ChannelKind::WhatsappOfficial,
            Outgoing::Template(TemplateCategory::Utility),
            &closed(),
            false,
        )
        .expect("billed");
        let estimate = card().estimate(class, &abroad, date(2026, 3, 1));
        assert_eq!(estimate.charge, Charge::PriceUnknown);
        assert!(estimate.is_billable());
    }

    #[test]
    fn status_webhook_pricing_is_read_in_both_spellings() {
        let free = WebhookPricing::parse("PMP", Some("free_customer_service"), "utility", Some(false))
            .expect("Meta's example");
        assert!(!free.is_billable());
        let regular = WebhookPricing::parse("PMP", Some("regular"), "authentication_international", None)
            .expect("underscore spelling");
        assert_eq!(regular.category(), PricingCategory::AuthenticationInternational);
        assert!(regular.is_billable());
        assert_eq!(
            PricingCategory::from_webhook("authentication-international"),
            Ok(PricingCategory::AuthenticationInternational)
        );
        let old = WebhookPricing::parse("CBP", None, "service", Some(true)).expect("conversation-based");
        assert!(old.is_billable());
        assert_eq!(
            WebhookPricing::parse("PMP", Some("regular"), "premium", None),
            Err(PricingError::UnknownCategory("premium".into()))
        );
    }

    #[test]
    fn amounts_read_like_a_rate_card_and_print_like_a_brazilian_price() {
        assert_eq!(usd("0,0068").micros(), 6_800);
        assert_eq!(
            Money::parse(Currency::Brl, "1234.5").map(|m| m.to_string()),
            Ok("R$ 1.234,50".to_owned())
        );
        assert_eq!(Money::parse(Currency::Brl, "0.35").map(|m| m.to_string()), Ok("R$ 0,35".to_owned()));
        for bad in ["", "-1", "1.2345678", "1,2,3", "abc", ".5"] {
            assert_eq!(
                Money::parse(Currency::Usd, bad),
                Err(PricingError::InvalidAmount(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_rate_card_with_two_prices_for_the_same_day_is_refused() {
        let mut spec = RateCardSpec::from(card());
        spec.rates.push(spec.rates[0].clone());
        assert_eq!(
            RateCard::new(spec),
            Err(PricingError::DuplicateRate { market: "Brazil".into(), category: "marketing".into() })
        );
    }

    #[test]
    fn a_rate_card_in_two_currencies_is_refused_and_a_card_says_its_currency() {
        assert_eq!(card().currency(), Some(Currency::Usd));
        let mut spec = RateCardSpec::from(card());
        spec.rates[1].price = Money::parse(Currency::Brl, "0.035").expect("amount");
        assert_eq!(RateCard::new(spec), Err(PricingError::MixedCurrencies));
    }

    proptest! {
        #[test]
        fn the_rate_in_force_is_the_latest_that_took_effect(
            starts in prop::collection::btree_set(0i64..1000, 1..6), day in 0i64..1100
        ) {
            let starts: Vec<i64> = starts.into_iter().collect();
            let at_day = |d: i64| date(2026, 1, 1).plus(Duration::days(d));
            let rates = starts
                .iter()
                .map(|d| Rate {
                    market: brazil(),
                    category: PricingCategory::Marketing,
                    scope: RateScope::Regular,
                    effective_from: at_day(*d),
                    price: Money::from_micros(Currency::Usd, *d),
                })
                .collect();
            let card = RateCard::new(RateCardSpec { rates, markets: vec![], other_market: None }).expect("no duplicates");
            let found = card.rate(&brazil(), PricingCategory::Marketing, RateScope::Regular, at_day(day));
            let expected = starts.iter().copied().filter(|d| *d <= day).max();
            prop_assert_eq!(found.map(|m| m.micros()), expected);
        }

        #[test]
        fn a_marketing_or_authentication_template_is_always_billable_outside_free_entry_points(
            marketing in any::<bool>(), window_open in any::<bool>()
        ) {
            let category = if marketing { TemplateCategory::Marketing } else { TemplateCategory::Authentication };
            let state = if window_open { open() } else { closed() };
            let class = classify(ChannelKind::WhatsappOfficial, Outgoing::Template(category), &state, false).expect("billed");
            prop_assert!(card().estimate(class, &maria(), date(2026, 5, 1)).is_billable());
        }

        #[test]
        fn printed_amounts_parse_back(micros in 0i64..10_000_000_000) {
            let money = Money::from_micros(Currency::Brl, micros);
            let printed = money.to_string();
            let number = printed.trim_start_matches("R$ ").replace('.', "");
            prop_assert_eq!(Money::parse(Currency::Brl, &number), Ok(money));
        }

        #[test]
        fn no_category_text_panics(text in "\\PC{0,30}") {
            let _ = PricingCategory::from_webhook(&text);
            let _ = Money::parse(Currency::Usd, &text);
        }
    }
}
