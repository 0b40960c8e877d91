//! "Canais" on the admin page: what an admin types to add or edit a channel of each kind, checked the same
//! way in the browser (as they type) and on the server (before anything is stored). Secrets left blank when
//! editing keep the stored ones: the console never shows a secret back.

use crate::channel::{Channel, ChannelError, ChannelKind};
use serde::{Deserialize, Serialize};

/// Longest channel name.
pub const CHANNEL_NAME_MAX_CHARS: usize = 60;

/// The form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSetupForm {
    pub kind: Option<ChannelKind>,
    pub name: String,
    /// The provider's id of the number, instance, page or account (see [`provider_id_label`]).
    pub provider_id: String,
    /// WhatsApp Oficial: the WhatsApp Business Account (WABA) id, for the templates.
    pub account_id: String,
    /// WhatsApp Não Oficial: the Evolution API's address.
    pub url: String,
    /// The access token (Meta) or the instance's API key (Evolution). Secret.
    pub token: String,
    /// Meta: the app secret that signs the notifications; Evolution: the bearer token its webhook sends.
    /// Secret.
    pub webhook_secret: String,
    /// Meta: the verify token of the subscription handshake. Secret.
    pub verify_token: String,
    /// Messenger and Instagram: answer up to 7 days with the HUMAN_AGENT tag.
    pub human_agent_tag: bool,
}

/// A checked form. `None` secrets: keep the stored ones (editing).
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelSetup {
    pub channel: Channel,
    pub name: String,
    pub provider_id: String,
    pub account_id: Option<String>,
    pub url: Option<String>,
    pub token: Option<String>,
    pub webhook_secret: Option<String>,
    pub verify_token: Option<String>,
}

impl std::fmt::Debug for ChannelSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelSetup")
            .field("channel", &self.channel)
            .field("name", &self.name)
            .field("provider_id", &self.provider_id)
            .field("account_id", &self.account_id)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Why the form was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ChannelSetupError {
    #[error("Escolha o tipo de canal.")]
    KindMissing,
    #[error("Informe o nome do canal.")]
    NameMissing,
    #[error("O nome do canal pode ter no máximo {max} caracteres.")]
    NameTooLong { max: usize },
    #[error("O nome não pode conter caracteres de controle.")]
    NameHasControlCharacters,
    #[error("Informe {label}.")]
    Missing { label: String },
    #[error("{label} tem só dígitos (confira no painel da Meta).")]
    NotDigits { label: String },
    #[error("{label} não pode ter espaços nem barras.")]
    BadInstance { label: String },
    #[error("O endereço da Evolution API precisa começar com https:// (ou http:// numa rede interna).")]
    BadUrl,
    #[error("{0}")]
    Channel(#[from] ChannelError),
}

/// What the provider calls the id of the channel, as the form labels it.
pub const fn provider_id_label(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::WhatsappOfficial => "o ID do número de telefone",
        ChannelKind::WhatsappUnofficial => "o nome da instância",
        ChannelKind::Messenger => "o ID da página",
        ChannelKind::Instagram => "o ID da conta do Instagram",
    }
}

/// What the secret fields hold on this kind (the token, the webhook's secret).
pub const fn secret_labels(kind: ChannelKind) -> (&'static str, &'static str) {
    match kind {
        ChannelKind::WhatsappUnofficial => ("a chave de API da instância", "o token do webhook"),
        _ => ("o token de acesso", "a chave secreta do app (App Secret)"),
    }
}

/// A label as a form field shows it: "o ID da página" → "ID da página".
pub fn field_label(label: &str) -> String {
    capitalised(label)
}

fn capitalised(label: &str) -> String {
    let mut chars = label.chars();
    let rest: String = chars.by_ref().skip_while(|c| *c != ' ').skip(1).collect();
    let mut out = rest;
    if let Some(first) = out.get(..1).map(str::to_uppercase) {
        out.replace_range(..1, &first);
    }
    out
}

impl ChannelSetupForm {
    /// The first problem, in the order the form shows its fields. `editing`: blank secrets keep the stored
    /// ones; a new channel needs them all.
    pub fn validate(&self, editing: bool) -> Result<ChannelSetup, ChannelSetupError> {
        use crate::contact::{tidy_name, NameIssue};
        let kind = self.kind.ok_or(ChannelSetupError::KindMissing)?;
        let name = tidy_name(&self.name, CHANNEL_NAME_MAX_CHARS).map_err(|issue| match issue {
            NameIssue::Missing => ChannelSetupError::NameMissing,
            NameIssue::TooLong => ChannelSetupError::NameTooLong { max: CHANNEL_NAME_MAX_CHARS },
            NameIssue::ControlCharacters => ChannelSetupError::NameHasControlCharacters,
        })?;
        let required = |value: &str, label: &str| {
            let value = value.trim();
            if value.is_empty() {
                Err(ChannelSetupError::Missing { label: label.to_owned() })
            } else {
                Ok(value.to_owned())
            }
        };
        let digits = |value: String, label: &str| {
            if value.chars().all(|c| c.is_ascii_digit()) {
                Ok(value)
            } else {
                Err(ChannelSetupError::NotDigits { label: capitalised(label) })
            }
        };
        let id_label = provider_id_label(kind);
        let provider_id = required(&self.provider_id, id_label)?;
        let provider_id = match kind {
            ChannelKind::WhatsappUnofficial => {
                if provider_id.chars().any(|c| c.is_whitespace() || c == '/' || c == '?' || c == '#') {
                    return Err(ChannelSetupError::BadInstance { label: capitalised(id_label) });
                }
                provider_id
            }
            _ => digits(provider_id, id_label)?,
        };
        let account_id = match kind {
            ChannelKind::WhatsappOfficial => {
                let label = "o ID da conta do WhatsApp Business (WABA)";
                Some(digits(required(&self.account_id, label)?, label)?)
            }
            _ => None,
        };
        let url = match kind {
            ChannelKind::WhatsappUnofficial => {
                let url = required(&self.url, "o endereço da Evolution API")?;
                let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
                if rest.is_none_or(|r| r.is_empty() || r.contains(char::is_whitespace)) {
                    return Err(ChannelSetupError::BadUrl);
                }
                Some(url.trim_end_matches('/').to_owned())
            }
            _ => None,
        };
        let (token_label, secret_label) = secret_labels(kind);
        let secret = |value: &str, label: &str| {
            if editing && value.trim().is_empty() {
                Ok(None)
            } else {
                required(value, label).map(Some)
            }
        };
        let token = secret(&self.token, token_label)?;
        let webhook_secret = secret(&self.webhook_secret, secret_label)?;
        let verify_token = match kind {
            ChannelKind::WhatsappUnofficial => None,
            _ => secret(&self.verify_token, "o token de verificação do webhook")?,
        };
        let channel = Channel::new(kind, self.human_agent_tag)?;
        Ok(ChannelSetup { channel, name, provider_id, account_id, url, token, webhook_secret, verify_token })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evolution() -> ChannelSetupForm {
        ChannelSetupForm {
            kind: Some(ChannelKind::WhatsappUnofficial),
            name: " Loja  Centro ".into(),
            provider_id: "loja-centro".into(),
            url: "https://evolution.loja.com.br/".into(),
            token: "chave".into(),
            webhook_secret: "segredo".into(),
            ..ChannelSetupForm::default()
        }
    }

    #[test]
    fn each_kind_asks_for_its_own_fields_in_form_order() {
        let setup = evolution().validate(false).expect("valid");
        assert_eq!(setup.name, "Loja Centro");
        assert_eq!(setup.url.as_deref(), Some("https://evolution.loja.com.br"));
        assert_eq!(setup.verify_token, None, "Evolution has no handshake");
        assert!(!format!("{setup:?}").contains("chave"), "secrets never reach a log");

        let official = ChannelSetupForm {
            kind: Some(ChannelKind::WhatsappOfficial),
            name: "WhatsApp Vendas".into(),
            provider_id: "106540352242922".into(),
            ..ChannelSetupForm::default()
        };
        assert_eq!(
            official.validate(false).map(|_| ()),
            Err(ChannelSetupError::Missing { label: "o ID da conta do WhatsApp Business (WABA)".into() })
        );
        let with_waba = ChannelSetupForm { account_id: "102290129340398".into(), ..official.clone() };
        assert_eq!(
            with_waba.validate(false).map(|_| ()),
            Err(ChannelSetupError::Missing { label: "o token de acesso".into() })
        );
        assert!(with_waba.validate(true).is_ok(), "editing: blank secrets keep the stored ones");
        let letters = ChannelSetupForm { provider_id: "abc".into(), ..with_waba };
        let refused = letters.validate(true).expect_err("digits only");
        assert_eq!(
            refused.to_string(),
            "ID do número de telefone tem só dígitos (confira no painel da Meta)."
        );
    }

    #[test]
    fn bad_addresses_instances_and_tags_are_refused_with_the_reason() {
        assert_eq!(
            ChannelSetupForm::default().validate(false).map(|_| ()),
            Err(ChannelSetupError::KindMissing)
        );
        let no_scheme = ChannelSetupForm { url: "evolution.loja.com.br".into(), ..evolution() };
        assert_eq!(no_scheme.validate(false).map(|_| ()), Err(ChannelSetupError::BadUrl));
        let slash = ChannelSetupForm { provider_id: "loja/centro".into(), ..evolution() };
        assert_eq!(
            slash.validate(false).map(|_| ()),
            Err(ChannelSetupError::BadInstance { label: "Nome da instância".into() })
        );
        let tagged = ChannelSetupForm { human_agent_tag: true, ..evolution() };
        assert!(matches!(tagged.validate(false), Err(ChannelSetupError::Channel(_))));
        let page = ChannelSetupForm {
            kind: Some(ChannelKind::Messenger),
            name: "Página".into(),
            provider_id: "123456".into(),
            token: "t".into(),
            webhook_secret: "s".into(),
            verify_token: "v".into(),
            human_agent_tag: true,
            ..ChannelSetupForm::default()
        };
        assert!(page.validate(false).expect("valid").channel.human_agent_tag());
        let nameless = ChannelSetupForm { name: "  ".into(), ..page };
        assert_eq!(nameless.validate(false).map(|_| ()), Err(ChannelSetupError::NameMissing));
    }
}
