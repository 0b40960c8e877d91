//! "Horário de atendimento": the server functions behind its screen. Everyone sees the hours of the teams
//! they answer; only admins change them. The rules are the domain's ([`atende_domain::hours`]).

use crate::error::AppError;
use atende_domain::hours::{HoursForm, OpeningHours};
use atende_domain::ports::TeamInfo;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A team (`None`: the shared inbox, where a new contact's first message lands) and its hours (`None`: always
/// open).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamHours {
    pub team: Option<TeamInfo>,
    pub hours: Option<OpeningHours>,
}

impl TeamHours {
    pub fn name(&self) -> String {
        self.team.as_ref().map_or_else(|| "Caixa de entrada comum".to_owned(), |t| t.name.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursData {
    pub teams: Vec<TeamHours>,
    /// Whether the signed-in agent may change them (an admin).
    pub manages: bool,
    /// What an automatic answer costs, from the rate card (shown where it is turned on).
    pub price: String,
}

#[server(endpoint = "hours_of_teams")]
pub async fn hours_of_teams() -> Result<HoursData, AppError> {
    let services = crate::ssr::Services::signed_in()?;
    let viewer = crate::ssr::viewer()?;
    let saved = services.hours.team_hours().await?;
    let hours_of =
        |team: Option<i64>| saved.iter().find(|(id, _)| *id == team).map(|(_, hours)| hours.clone());
    let mut teams = vec![TeamHours { team: None, hours: hours_of(None) }];
    for team in services.outbox.teams().await?.into_iter().filter(|team| viewer.may_see(Some(team.id))) {
        teams.push(TeamHours { hours: hours_of(Some(team.id)), team: Some(team) });
    }
    let card = services.rate_card().await?;
    let price = atende_domain::hours::auto_answer_price(card.as_ref(), services.clock.now());
    Ok(HoursData { teams, manages: viewer.is_admin(), price })
}

/// "Salvar": the hours of a team (`None`: the shared inbox) as the admin set them (`form` `None`: always open,
/// no hours). Admins only; a refusal changes nothing.
#[server(endpoint = "save_team_hours", input = leptos::server_fn::codec::Json)]
pub async fn save_team_hours(team: Option<i64>, form: Option<HoursForm>) -> Result<(), AppError> {
    let services = crate::ssr::Services::signed_in()?;
    atende_domain::hours::check_manager(&crate::ssr::viewer()?)?;
    let hours = form.as_ref().map(OpeningHours::parse).transpose()?;
    services.hours.save_team_hours(team, hours.as_ref(), services.clock.now()).await?;
    Ok(())
}
