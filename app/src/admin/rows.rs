//! What the admin screens show, as the server sends it (rows of agents, teams, tokens, templates, channels).

use atende_domain::access::Role;
use atende_domain::time::Timestamp;
use serde::{Deserialize, Serialize};

/// An agent as the "Agentes" list shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    pub teams: Vec<i64>,
}

/// A team with how many active agents answer for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamRow {
    pub id: i64,
    pub name: String,
    pub members: u32,
}

/// An API token as listed (its secret is shown once, at creation, and never again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    /// The admin it acts for.
    pub agent_name: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// The teams it reaches (`None`: every team).
    pub teams: Option<Vec<i64>>,
}

/// A channel's template as the "Modelos" list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRow {
    pub name: String,
    pub language: String,
    pub category: String,
    /// "aprovado", "em análise", "rejeitado"…
    pub status: String,
    pub sendable: bool,
    /// "De atendimento": offered by "Reiniciar" and "Iniciar atendimento".
    pub for_service: bool,
    /// Its parameters, with the names an admin gave them.
    pub params: Vec<ParamRow>,
}

/// One parameter of a template in "Nomear parâmetros".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamRow {
    pub slot: atende_domain::template::ParamSlot,
    /// Its own label ("Corpo {{1}}").
    pub field: String,
    /// The admin's name for it (empty: none).
    pub name: String,
    pub fill: Option<atende_domain::template::ContactField>,
}

/// One channel and its templates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelTemplates {
    pub channel: atende_domain::ports::ChannelInfo,
    pub templates: Vec<TemplateRow>,
}

/// A channel as "Canais" lists it: what identifies it, and only whether each secret is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelRow {
    pub id: i64,
    pub name: String,
    pub kind: atende_domain::conversation::ChannelKind,
    pub provider_id: String,
    pub account_id: Option<String>,
    pub url: Option<String>,
    pub human_agent_tag: bool,
    /// Added in the console (editable); else from the environment or the sandbox.
    pub from_console: bool,
    pub token_set: bool,
    pub webhook_secret_set: bool,
    pub verify_token_set: bool,
}

/// A webhook body Atende received but could not apply, tried several times and set aside: kept for an admin
/// to read and try again (after a fix), never holding up the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAsideRow {
    pub id: i64,
    /// `whatsapp`, `meta` or `evolution`.
    pub provider: String,
    pub received_at: Timestamp,
    pub attempts: i64,
    pub reason: String,
    /// The body's first characters.
    pub excerpt: String,
}

/// Everything the admin page shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdminData {
    pub agents: Vec<AgentRow>,
    pub teams: Vec<TeamRow>,
    pub tokens: Vec<TokenRow>,
    pub channels: Vec<ChannelTemplates>,
    pub channel_rows: Vec<ChannelRow>,
    pub rate_card: Option<atende_domain::pricing::RateCard>,
    /// The same table as JSON, to edit.
    pub rate_card_json: String,
    /// The signed-in admin.
    pub me: i64,
    /// Webhooks set aside (newest first).
    pub set_aside: Vec<SetAsideRow>,
}
