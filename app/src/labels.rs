//! "Etiquetas": the server functions behind the labels' screen (admins), the labels of a conversation's
//! header (anyone who may see the conversation) and the choices of the list's "Filtrar". The rules are the
//! domain's ([`atende_domain::label`]); a refusal changes nothing.

use crate::error::AppError;
use atende_domain::label::{LabelForm, SavedLabel};
use atende_domain::ports::{AgentInfo, TeamInfo};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Every label, and what "Filtrar" offers besides: the teams the agent sees and the agents who answer them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelsData {
    pub labels: Vec<SavedLabel>,
    pub teams: Vec<TeamInfo>,
    pub agents: Vec<AgentInfo>,
    /// Whether the signed-in agent keeps the labels (an admin).
    pub manages: bool,
}

#[server(endpoint = "labels")]
pub async fn labels() -> Result<LabelsData, AppError> {
    let services = crate::ssr::Services::signed_in()?;
    let viewer = crate::ssr::viewer()?;
    let teams: Vec<TeamInfo> =
        services.outbox.teams().await?.into_iter().filter(|team| viewer.may_see(Some(team.id))).collect();
    // Who answers those teams (and the admins, who answer any): the agents the list may be filtered by.
    let mut agents = services.outbox.assignable_agents(None).await?;
    for team in &teams {
        for agent in services.outbox.assignable_agents(Some(team.id)).await? {
            if !agents.iter().any(|known| known.id == agent.id) {
                agents.push(agent);
            }
        }
    }
    agents.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(LabelsData { labels: services.labels.labels().await?, teams, agents, manages: viewer.is_admin() })
}

/// "Salvar" on the labels' screen: a new label (`id` `None`) or a change to one. Admins only.
#[server(endpoint = "save_label", input = leptos::server_fn::codec::Json)]
pub async fn save_label(id: Option<i64>, form: LabelForm) -> Result<SavedLabel, AppError> {
    use atende_domain::label::LabelError;
    use atende_domain::ports::StoreError;
    let services = crate::ssr::Services::signed_in()?;
    let label = form.validate(&crate::ssr::viewer()?)?;
    match services.labels.save_label(id, &label, services.clock.now()).await {
        Err(StoreError::NameTaken) => Err(LabelError::NameTaken { name: label.name().to_owned() }.into()),
        saved => Ok(saved?),
    }
}

/// "Apagar": the label goes, and off every conversation. Admins only.
#[server(endpoint = "delete_label")]
pub async fn delete_label(id: i64) -> Result<(), AppError> {
    use atende_domain::label::LabelError;
    let services = crate::ssr::Services::signed_in()?;
    if !crate::ssr::viewer()?.is_admin() {
        return Err(LabelError::NotAllowed.into());
    }
    Ok(services.labels.delete_label(id).await?)
}

/// A label put on (`on`) or taken off a conversation, by anyone who may see it; answers its labels now.
#[server(endpoint = "label_conversation")]
pub async fn label_conversation(conversation: i64, label: i64, on: bool) -> Result<Vec<i64>, AppError> {
    use atende_domain::conversation::ConversationId;
    use atende_domain::label::{check_add, LabelError};
    use atende_domain::ports::StoreError;
    let (services, id) = (crate::ssr::Services::signed_in()?, ConversationId(conversation));
    services.authorize(id).await?;
    if on {
        check_add(&services.labels.conversation_labels(id).await?, label)?;
    }
    match services.labels.set_conversation_label(id, label, on, services.clock.now()).await {
        // Put on by someone else meanwhile.
        Err(StoreError::NameTaken) => return Err(LabelError::AlreadyOn.into()),
        done => done?,
    }
    Ok(services.labels.conversation_labels(id).await?)
}

/// A contact of CRM → Contatos with its labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelledContact {
    pub contact: atende_domain::contact::Contact,
    pub labels: Vec<i64>,
}

/// CRM → Contatos: the contacts whose name or number has `text`, only those with `label` when given, each
/// with its labels; and every label (for the chips and the "Etiqueta" filter).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrmPage {
    pub contacts: Vec<LabelledContact>,
    pub labels: Vec<SavedLabel>,
}

#[server(endpoint = "crm_contacts")]
pub async fn crm_contacts(text: String, #[server(default)] label: Option<i64>) -> Result<CrmPage, AppError> {
    use atende_domain::ports::ContactQuery;
    let services = crate::ssr::Services::signed_in()?;
    let query = ContactQuery { text, limit: crate::api::CONTACT_PAGE, label };
    let contacts = services.store.search_contacts(&query).await?;
    let ids: Vec<_> = contacts.iter().map(|contact| contact.id).collect();
    let pairs = services.labels.contact_labels(&ids).await?;
    let contacts = contacts
        .into_iter()
        .map(|contact| {
            let labels = pairs.iter().filter(|(id, _)| *id == contact.id).map(|(_, label)| *label).collect();
            LabelledContact { contact, labels }
        })
        .collect();
    Ok(CrmPage { contacts, labels: services.labels.labels().await? })
}

/// A label put on (`on`) or taken off a contact, by any agent (contacts are everyone's, as CRM → Contatos
/// shows them); answers its labels now.
#[server(endpoint = "label_contact")]
pub async fn label_contact(contact: i64, label: i64, on: bool) -> Result<Vec<i64>, AppError> {
    use atende_domain::contact::ContactId;
    use atende_domain::label::{check_add_to_contact, LabelError};
    use atende_domain::ports::StoreError;
    let (services, id) = (crate::ssr::Services::signed_in()?, ContactId(contact));
    let labels_now =
        |pairs: Vec<(ContactId, i64)>| pairs.into_iter().map(|(_, label)| label).collect::<Vec<_>>();
    if on {
        check_add_to_contact(&labels_now(services.labels.contact_labels(&[id]).await?), label)?;
    }
    match services.labels.set_contact_label(id, label, on, services.clock.now()).await {
        // Put on by someone else meanwhile.
        Err(StoreError::NameTaken) => return Err(LabelError::AlreadyOnContact.into()),
        done => done?,
    }
    Ok(labels_now(services.labels.contact_labels(&[id]).await?))
}
