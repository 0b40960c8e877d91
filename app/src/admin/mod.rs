//! What admins configure: agents, teams, API tokens, templates and the rate card. The shapes the admin
//! screens show, and the server functions behind them (every one refuses a non-admin with 403).

use crate::error::AppError;
use atende_domain::access::AgentForm;
use leptos::prelude::*;

pub mod rows;

pub use rows::*;

#[server(endpoint = "admin_overview")]
pub async fn admin_overview() -> Result<AdminData, AppError> {
    let (services, viewer) = crate::ssr::admin()?;
    let mut channels = Vec::new();
    for channel in services.outbox.channels().await? {
        let templates = services
            .outbox
            .templates_of_channel(channel.id)
            .await?
            .iter()
            .map(|t| TemplateRow {
                name: t.name().as_str().to_owned(),
                language: t.language().as_str().to_owned(),
                category: t.category().label().to_owned(),
                status: t.status().label().to_owned(),
                sendable: t.status().is_sendable(),
                for_service: t.is_for_service(),
                params: t
                    .slots()
                    .into_iter()
                    .map(|slot| {
                        let named = t.labels().iter().find(|l| l.slot == slot);
                        ParamRow {
                            field: slot.to_string(),
                            name: named.map(|l| l.name.clone()).unwrap_or_default(),
                            fill: named.and_then(|l| l.fill),
                            slot,
                        }
                    })
                    .collect(),
            })
            .collect();
        channels.push(ChannelTemplates { channel, templates });
    }
    Ok(AdminData {
        agents: services.admin.agents().await?,
        teams: services.admin.teams().await?,
        tokens: services.admin.tokens().await?,
        channels,
        channel_rows: services.admin.channels().await?,
        rate_card_json: services.rate_card_json().await?,
        rate_card: services.rate_card().await?,
        me: viewer.agent,
        set_aside: services.admin.set_aside_webhooks().await?,
    })
}

/// "Novo agente" → "Salvar". The same checks ran in the browser.
#[server(endpoint = "admin_create_agent", input = leptos::server_fn::codec::Json)]
pub async fn create_agent(form: AgentForm) -> Result<i64, AppError> {
    let (services, _) = crate::ssr::admin()?;
    let agent = form.validate()?;
    let known = services.admin.teams().await?;
    if agent.teams.iter().any(|t| !known.iter().any(|k| k.id == *t)) {
        return Err(AppError::Store(atende_domain::ports::StoreError::NotFound));
    }
    services.admin.create_agent(agent, services.clock.now()).await
}

/// "Desativar" / "Reativar". A deactivated agent is signed out at once and cannot sign in; their
/// conversations stay, with their history.
#[server(endpoint = "admin_set_agent_active")]
pub async fn set_agent_active(agent: i64, active: bool) -> Result<(), AppError> {
    let (services, viewer) = crate::ssr::admin()?;
    if agent == viewer.agent && !active {
        return Err(AppError::CannotDeactivateSelf);
    }
    services.admin.set_agent_active(agent, active, services.clock.now()).await
}

/// The agent's teams, as ticked in "Equipes" (a team given twice is one).
#[server(endpoint = "admin_set_agent_teams", input = leptos::server_fn::codec::Json)]
pub async fn set_agent_teams(agent: i64, teams: Vec<i64>) -> Result<(), AppError> {
    let (services, _) = crate::ssr::admin()?;
    let mut teams = teams;
    teams.sort_unstable();
    teams.dedup();
    let known = services.admin.teams().await?;
    if teams.iter().any(|t| !known.iter().any(|k| k.id == *t)) {
        return Err(AppError::Store(atende_domain::ports::StoreError::NotFound));
    }
    let agents = services.admin.agents().await?;
    let row = agents
        .iter()
        .find(|a| a.id == agent)
        .ok_or(AppError::Store(atende_domain::ports::StoreError::NotFound))?;
    if row.role == atende_domain::access::Role::Agent && teams.is_empty() {
        return Err(atende_domain::access::AccessError::TeamsMissing.into());
    }
    services.admin.set_agent_teams(agent, &teams, services.clock.now()).await
}

/// "Redefinir senha": a new password for an agent, who is signed out everywhere (an admin resetting their
/// own stays signed in here).
#[server(endpoint = "admin_reset_password")]
pub async fn reset_password(agent: i64, password: String) -> Result<(), AppError> {
    let (services, viewer) = crate::ssr::admin()?;
    atende_domain::access::check_new_password(&password)?;
    let session = crate::ssr::session_hash()?;
    let keep = (agent == viewer.agent).then_some(session.0.as_str());
    services.admin.set_password(agent, &password, keep).await
}

/// "Nova equipe".
#[server(endpoint = "admin_create_team")]
pub async fn create_team(name: String) -> Result<i64, AppError> {
    let (services, _) = crate::ssr::admin()?;
    let name = atende_domain::access::team_name(&name)?;
    services.admin.create_team(&name, services.clock.now()).await
}

/// "Criar token": the token, shown once. It reaches every team (`all_teams`) or only `teams`: an integration
/// of one team then acts as an agent of that team.
#[server(endpoint = "admin_create_token", input = leptos::server_fn::codec::Json)]
pub async fn create_token(name: String, all_teams: bool, teams: Vec<i64>) -> Result<String, AppError> {
    let (services, viewer) = crate::ssr::admin()?;
    let name = atende_domain::access::token_name(&name)?;
    let teams = atende_domain::access::token_teams(all_teams, &teams)?;
    let known = services.admin.teams().await?;
    if teams.iter().flatten().any(|t| !known.iter().any(|k| k.id == *t)) {
        return Err(AppError::Store(atende_domain::ports::StoreError::NotFound));
    }
    services.admin.create_token(&name, viewer.agent, teams.as_deref(), services.clock.now()).await
}

/// "Revogar": the token stops working at once.
#[server(endpoint = "admin_revoke_token")]
pub async fn revoke_token(token: i64) -> Result<(), AppError> {
    let (services, _) = crate::ssr::admin()?;
    services.admin.revoke_token(token, services.clock.now()).await
}

/// "Canais" → "Salvar": a new channel (`channel` empty) or changes to one added in the console. Blank
/// secrets keep the stored ones when editing. The channel is in use as soon as this returns.
#[server(endpoint = "admin_save_channel", input = leptos::server_fn::codec::Json)]
pub async fn save_channel(
    channel: Option<i64>,
    form: atende_domain::channel_setup::ChannelSetupForm,
) -> Result<i64, AppError> {
    let (services, _) = crate::ssr::admin()?;
    let setup = form.validate(channel.is_some())?;
    services.admin.save_channel(channel, setup, services.clock.now()).await
}

/// "Preços" → "Salvar tabela": Meta's prices as JSON (the shape of `ATENDE_RATE_CARD`), checked by the
/// domain; every estimate uses it from then on, on every instance.
#[server(endpoint = "admin_save_rate_card")]
pub async fn save_rate_card(text: String) -> Result<(), AppError> {
    let (services, _) = crate::ssr::admin()?;
    let card = crate::ssr::parse_rate_card(&text)?;
    services.admin.save_rate_card(&card, services.clock.now()).await
}

/// "Sincronizar agora": the channel's templates copied from the provider; how many it has.
#[server(endpoint = "admin_sync_templates")]
pub async fn sync_templates(channel: i64) -> Result<usize, AppError> {
    let (services, _) = crate::ssr::admin()?;
    services.admin.sync_templates(channel).await
}

/// "De atendimento": whether "Reiniciar" and "Iniciar atendimento" offer the template.
#[server(endpoint = "admin_set_template_service")]
pub async fn set_template_service(
    channel: i64,
    name: String,
    language: String,
    service: bool,
) -> Result<(), AppError> {
    let (services, _) = crate::ssr::admin()?;
    services.admin.set_template_service(channel, &name, &language, service).await
}

/// "Nomear parâmetros": the names a template's parameters show in the form, and what fills each by default;
/// checked by the domain against the template (422 with the field named).
#[server(endpoint = "admin_set_template_labels", input = leptos::server_fn::codec::Json)]
pub async fn set_template_labels(
    channel: i64,
    name: String,
    language: String,
    labels: Vec<atende_domain::template::ParamLabel>,
) -> Result<(), AppError> {
    let (services, _) = crate::ssr::admin()?;
    let template = services.template_of(channel, &name, &language).await?;
    let checked = template.with_labels(labels)?;
    services.admin.set_template_labels(channel, &name, &language, checked.labels()).await
}

/// "Webhooks não aplicados" → "Tentar de novo": the body goes back to the processor, its attempts counted
/// anew (set aside again if it still cannot be applied).
#[server(endpoint = "admin_retry_webhook")]
pub async fn retry_webhook(receipt: i64) -> Result<(), AppError> {
    let (services, _) = crate::ssr::admin()?;
    services.admin.retry_webhook(receipt).await
}
