//! Errors the providers (WhatsApp Cloud API, Messenger/Instagram Send API) report for a send, explained to
//! the agent and classified for the outbound worker: retry later (transient) or give up (permanent).
//!
//! They arrive synchronously (the HTTP error envelope) or later in a `failed` status webhook; both carry a
//! `code`, sometimes an `error_subcode` and free-text `details`. Meta's `details` are English and meant for
//! developers: the agent's sentence never includes them; [`ProviderError::details`] keeps them for logs.

use crate::channel::ChannelKind;
use serde::{Deserialize, Serialize};

/// Whether sending the same message again may work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RetryClass {
    /// A limit or a hiccup: the worker retries later, by itself.
    Transient,
    /// Retrying the same send fails the same way; the agent must act.
    Permanent,
}

/// A provider's refusal, as the agent reads it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ProviderError {
    /// 131047: more than 24 hours since the contact's last message.
    #[error(
        "A mensagem não foi entregue porque a janela de 24 horas está fechada. Envie um modelo de mensagem \
         (Reiniciar) e aguarde o contato responder."
    )]
    WindowClosed,
    /// 131026: not a WhatsApp number, terms not accepted, or an old app.
    #[error(
        "Não foi possível entregar a mensagem: o número pode não ter WhatsApp, não ter aceitado os termos ou \
         usar uma versão antiga do aplicativo."
    )]
    Undeliverable,
    /// 131056: too many messages to the same contact in a short time.
    #[error("Muitas mensagens para este contato em pouco tempo. O envio será tentado de novo em instantes.")]
    PairRateLimit,
    /// 130429: the number's throughput was exceeded.
    #[error(
        "O limite de envios por segundo do número foi atingido. O envio será tentado de novo em instantes."
    )]
    RateLimit,
    /// 131057: the number is being upgraded to a higher throughput.
    #[error(
        "O número está em manutenção de capacidade pela Meta. O envio será tentado de novo em instantes."
    )]
    ThroughputUpgrade,
    /// 132000: the number of parameter values does not match the template.
    #[error("A quantidade de parâmetros não confere com o modelo de mensagem. Revise os campos do modelo.")]
    TemplateParameterCount,
    /// 132001: the template does not exist in that language or is not approved.
    #[error("O modelo de mensagem não existe neste idioma ou ainda não foi aprovado pela Meta.")]
    TemplateNotFound,
    /// 132012: parameter values in the wrong format.
    #[error("Algum parâmetro do modelo está em formato inválido (por exemplo, um link de mídia). Revise os campos.")]
    TemplateParameterFormat,
    /// 132015: paused for low quality.
    #[error("O modelo de mensagem foi pausado pela Meta por baixa qualidade. Escolha outro modelo.")]
    TemplatePaused,
    /// 132016: paused too many times, permanently disabled.
    #[error("O modelo de mensagem foi desativado definitivamente pela Meta. Escolha outro modelo.")]
    TemplateDisabled,
    /// 132018: a parameter was refused; `details` (Meta's English, for logs) says which.
    #[error(
        "A Meta recusou um parâmetro do modelo. Revise os campos: sem quebras de linha, tabulações ou mais de 4 \
         espaços seguidos."
    )]
    TemplateParameterInvalid { details: String },
    /// 131049: Meta limits how many marketing messages a person receives.
    #[error(
        "A Meta não entregou a mensagem para preservar a experiência do contato (limite de mensagens de \
         marketing). Tente mais tarde ou use outro tipo de modelo."
    )]
    EcosystemLimit,
    /// 131050: the contact stopped marketing messages.
    #[error("O contato optou por não receber mensagens de marketing.")]
    MarketingOptOut,
    /// 131042: a payment problem on the account.
    #[error("Há um problema de pagamento na conta do WhatsApp Business. Avise o administrador.")]
    PaymentIssue,
    /// 131031, 368: the account is locked or restricted.
    #[error("A conta do WhatsApp Business está bloqueada ou restrita pela Meta. Avise o administrador.")]
    AccountRestricted,
    /// Messenger code 10 / subcode 2018278, Instagram code 10 / subcode 2534022: sent after the window.
    #[error(
        "A mensagem não foi entregue: a janela de conversa do {} está fechada e a Meta não permite retomá-la.",
        .channel.label()
    )]
    OutsideMessagingWindow { channel: ChannelKind },
    /// Messenger 551: the person cannot receive messages now.
    #[error("Esta pessoa não está disponível para receber mensagens no momento.")]
    RecipientUnavailable,
    /// 131000 and other provider hiccups.
    #[error("A Meta teve uma falha temporária. O envio será tentado de novo em instantes.")]
    ProviderUnavailable,
    /// 190: the channel's access token expired, was revoked or lacks a permission.
    #[error(
        "A Meta recusou o token de acesso do canal (vencido, revogado ou sem permissão). Peça ao administrador \
         para conferir a configuração do canal."
    )]
    InvalidToken,
    /// 80007, 4: the app or account hit an API rate limit.
    #[error("O limite de chamadas à API da Meta foi atingido. O envio será tentado de novo em instantes.")]
    ApiRateLimit,
    /// 131053: Meta could not take the file (a type it does not accept, or bytes that are not what the type
    /// says).
    #[error(
        "A Meta não aceitou o arquivo (tipo ou conteúdo não suportado). Salve-o em outro formato (JPG, PNG, MP4, \
         PDF) e envie de novo."
    )]
    MediaUploadRefused { details: String },
    /// Any other code; `details` (Meta's English) is for logs.
    #[error("A Meta recusou o envio ({}).", code_label(*.code, *.subcode))]
    Other { code: i64, subcode: Option<i64>, details: String },
}

/// `código 10` or `código 10, subcódigo 2018278`.
fn code_label(code: i64, subcode: Option<i64>) -> String {
    match subcode {
        Some(subcode) => format!("código {code}, subcódigo {subcode}"),
        None => format!("código {code}"),
    }
}

impl ProviderError {
    /// Reads a provider error from its `code`, `error_subcode` and `error_data.details`.
    pub fn from_code(channel: ChannelKind, code: i64, subcode: Option<i64>, details: &str) -> Self {
        match (channel, code, subcode) {
            (ChannelKind::Messenger, 10, Some(2_018_278)) | (ChannelKind::Instagram, 10, Some(2_534_022)) => {
                Self::OutsideMessagingWindow { channel }
            }
            (ChannelKind::Messenger | ChannelKind::Instagram, 551, _) => Self::RecipientUnavailable,
            (_, 131_047, _) => Self::WindowClosed,
            (_, 131_026, _) => Self::Undeliverable,
            (_, 131_056, _) => Self::PairRateLimit,
            (_, 130_429, _) => Self::RateLimit,
            (_, 131_057, _) => Self::ThroughputUpgrade,
            (_, 132_000, _) => Self::TemplateParameterCount,
            (_, 132_001, _) => Self::TemplateNotFound,
            (_, 132_012, _) => Self::TemplateParameterFormat,
            (_, 132_015, _) => Self::TemplatePaused,
            (_, 132_016, _) => Self::TemplateDisabled,
            (_, 132_018, _) => Self::TemplateParameterInvalid { details: details.trim().to_owned() },
            (_, 131_049, _) => Self::EcosystemLimit,
            (_, 131_050, _) => Self::MarketingOptOut,
            (_, 131_042, _) => Self::PaymentIssue,
            (_, 131_031 | 368, _) => Self::AccountRestricted,
            (_, 131_000, _) => Self::ProviderUnavailable,
            (_, 80_007 | 4, _) => Self::ApiRateLimit,
            (_, 190, _) => Self::InvalidToken,
            (_, 131_053, _) => Self::MediaUploadRefused { details: details.trim().to_owned() },
            _ => Self::Other { code, subcode, details: details.trim().to_owned() },
        }
    }

    /// Meta's own explanation (English, for developers and logs), when it gave one. Never shown to agents.
    pub fn details(&self) -> Option<&str> {
        match self {
            Self::TemplateParameterInvalid { details }
            | Self::MediaUploadRefused { details }
            | Self::Other { details, .. }
                if !details.is_empty() =>
            {
                Some(details)
            }
            _ => None,
        }
    }

    /// Whether the outbound worker should try again later.
    pub const fn retry_class(&self) -> RetryClass {
        match self {
            Self::PairRateLimit
            | Self::RateLimit
            | Self::ThroughputUpgrade
            | Self::ProviderUnavailable
            | Self::ApiRateLimit => RetryClass::Transient,
            _ => RetryClass::Permanent,
        }
    }

    /// Whether the provider says the window is closed: the conversation needs a template (WhatsApp) or the
    /// contact's next message (Instagram/Messenger), whatever our own clock said.
    pub const fn means_window_closed(&self) -> bool {
        matches!(self, Self::WindowClosed | Self::OutsideMessagingWindow { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const WA: ChannelKind = ChannelKind::WhatsappOfficial;

    #[test]
    fn a_re_engagement_error_tells_the_agent_to_send_a_template() {
        let error = ProviderError::from_code(
            WA,
            131_047,
            None,
            "More than 24 hours have passed since the recipient last replied to the sender number.",
        );
        assert_eq!(error, ProviderError::WindowClosed);
        assert!(error.means_window_closed());
        assert_eq!(error.retry_class(), RetryClass::Permanent);
        assert_eq!(
            error.to_string(),
            "A mensagem não foi entregue porque a janela de 24 horas está fechada. Envie um modelo de mensagem \
             (Reiniciar) e aguarde o contato responder."
        );
    }

    #[test]
    fn rate_limits_are_retried_and_template_problems_are_not() {
        for code in [130_429, 131_056, 131_057, 131_000, 80_007] {
            assert_eq!(
                ProviderError::from_code(WA, code, None, "").retry_class(),
                RetryClass::Transient,
                "{code}"
            );
        }
        for code in [131_047, 131_026, 132_000, 132_001, 132_012, 132_015, 132_016, 132_018, 131_050, 131_053]
        {
            assert_eq!(
                ProviderError::from_code(WA, code, None, "").retry_class(),
                RetryClass::Permanent,
                "{code}"
            );
        }
    }

    #[test]
    fn a_template_parameter_error_speaks_portuguese_and_keeps_metas_details_for_the_logs() {
        let details = "Param text cannot have new-line/tab characters or more than 4 consecutive spaces";
        let error = ProviderError::from_code(WA, 132_018, None, &format!("  {details} "));
        assert_eq!(
            error.to_string(),
            "A Meta recusou um parâmetro do modelo. Revise os campos: sem quebras de linha, tabulações ou mais \
             de 4 espaços seguidos."
        );
        assert_eq!(error.details(), Some(details));
    }

    #[test]
    fn an_unknown_code_names_the_code_without_english_and_without_a_trailing_space() {
        let error = ProviderError::from_code(WA, 999, None, "(#999) Something went wrong");
        assert_eq!(error.to_string(), "A Meta recusou o envio (código 999).");
        assert_eq!(error.details(), Some("(#999) Something went wrong"));
        let bare = ProviderError::from_code(ChannelKind::Messenger, 10, Some(7), "");
        assert_eq!(bare.to_string(), "A Meta recusou o envio (código 10, subcódigo 7).");
        assert_eq!(bare.details(), None);
        assert_eq!(ProviderError::from_code(WA, 131_047, None, "More than 24 hours").details(), None);
    }

    #[test]
    fn messenger_and_instagram_outside_window_errors_are_recognised_by_subcode() {
        let messenger = ProviderError::from_code(ChannelKind::Messenger, 10, Some(2_018_278), "");
        assert_eq!(messenger, ProviderError::OutsideMessagingWindow { channel: ChannelKind::Messenger });
        assert!(messenger.means_window_closed());
        let instagram = ProviderError::from_code(ChannelKind::Instagram, 10, Some(2_534_022), "");
        assert_eq!(
            instagram.to_string(),
            "A mensagem não foi entregue: a janela de conversa do Instagram está fechada e a Meta não permite \
             retomá-la."
        );
        let permission = ProviderError::from_code(ChannelKind::Messenger, 10, None, "Permission denied");
        assert!(matches!(permission, ProviderError::Other { code: 10, .. }));
        assert!(!permission.means_window_closed());
    }

    #[test]
    fn a_refused_access_token_sends_the_agent_to_the_administrator() {
        for channel in ChannelKind::ALL {
            let error = ProviderError::from_code(channel, 190, Some(463), "Error validating access token");
            assert_eq!(error, ProviderError::InvalidToken);
            assert_eq!(error.retry_class(), RetryClass::Permanent);
            assert!(error.to_string().contains("Peça ao administrador"), "{error}");
            assert_eq!(error.details(), None, "Meta's English stays in the logs");
        }
    }

    proptest! {
        #[test]
        fn every_code_gets_an_explanation_and_a_retry_class(
            channel in prop::sample::select(ChannelKind::ALL.to_vec()),
            code in any::<i64>(),
            subcode in prop::option::of(any::<i64>()),
            details in "[A-Za-z0-9 ]{0,40}",
        ) {
            // A marker no Portuguese sentence contains, to see whether Meta's text leaks into it.
            let details = format!("<meta>{details}</meta>");
            let error = ProviderError::from_code(channel, code, subcode, &details);
            let sentence = error.to_string();
            prop_assert!(!sentence.contains("<meta>"), "{}", sentence);
            prop_assert_eq!(sentence.trim(), sentence.as_str());
            prop_assert!(sentence.ends_with('.'), "{}", sentence);
            prop_assert!(!sentence.contains("  "), "{}", sentence);
            prop_assert!(sentence.chars().next().is_some_and(char::is_uppercase), "{}", sentence);
            if matches!(error, ProviderError::TemplateParameterInvalid { .. } | ProviderError::Other { .. }) {
                prop_assert_eq!(error.details(), Some(details.as_str()));
            } else {
                prop_assert_eq!(error.details(), None);
            }
            let json = serde_json::to_string(&error).expect("serialises");
            prop_assert_eq!(serde_json::from_str::<ProviderError>(&json).ok(), Some(error.clone()));
            if error.retry_class() == RetryClass::Transient {
                prop_assert!(!error.means_window_closed());
            }
        }
    }
}
