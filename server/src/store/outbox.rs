//! The `Outbox` port: what the agent sends, stored with its job and (for templates) the conversation's new
//! lifecycle in one transaction.

use super::media::{KeptFile, HEADER_FILE};
use super::queue::{Dispatch, NewOutbound};
use super::{corrupt, unavailable, LifecycleRow, SqlStore};
use async_trait::async_trait;
use atende_domain::channel::Channel;
use atende_domain::contact::ContactId;
use atende_domain::content::{Extras, Rich};
use atende_domain::conversation::{AgentId, Assignee, ConversationSummary};
use atende_domain::conversation::{ChannelKind, ConversationId};
use atende_domain::inbound_media::MediaState;
use atende_domain::lifecycle::Lifecycle;
use atende_domain::ports::{
    assignment_detail, through_api, transfer_detail, AgentInfo, Answer, AuditAction, AuditEntry, AuditLine,
    ChannelInfo, ConversationState, FreeForm, MediaView, MessageView, Opened, Outbox, Start, StoreError,
    TeamInfo, TeamMove, TemplateSend,
};
use atende_domain::queue::Delivery;
use atende_domain::template::{FilledTemplate, Template, TemplateSpec};
use atende_domain::time::Timestamp;
use sqlx::{FromRow, Row};

impl SqlStore {
    /// Reads a stored template row back into the domain's template.
    fn template_from_row(row: &TemplateRow) -> Result<Template, StoreError> {
        let components = &row.components;
        let entry = serde_json::json!({
            "id": row.provider_template_id,
            "name": row.name,
            "language": row.language,
            "category": row.category,
            "status": row.status,
            "parameter_format": row.parameter_format,
            "components": serde_json::from_str::<serde_json::Value>(components)
                .map_err(|_| corrupt("template components", components))?,
        });
        let spec = TemplateSpec::from_graph_api(&entry).map_err(|e| corrupt("template", &e.to_string()))?;
        let service = row.for_service.map(|v| v != 0);
        let labels: Vec<atende_domain::template::ParamLabel> = match row
            .parameter_labels
            .as_deref()
            .map(serde_json::from_str)
        {
            Some(Ok(labels)) => labels,
            // Names that no longer read (after an upgrade) leave the template usable, without them.
            Some(Err(error)) => {
                tracing::warn!(%error, "a template's parameter names could not be read; shown without them");
                Vec::new()
            }
            None => Vec::new(),
        };
        let template = Template::new(spec).map_err(|e| corrupt("template", &e.to_string()))?;
        // A name that no longer fits the template Meta now describes (its parameter removed) is dropped alone.
        Ok(template.with_fitting_labels(labels).with_service_choice(service))
    }

    async fn channel_of(&self, id: ConversationId) -> Result<i64, StoreError> {
        sqlx::query(
            "SELECT channel_id FROM conversation WHERE conversation_id = $1 AND channel_id IS NOT NULL",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?
        .ok_or(StoreError::NotFound)?
        .try_get("channel_id")
        .map_err(unavailable)
    }
}

#[async_trait]
impl Outbox for SqlStore {
    async fn record_audit(
        &self,
        id: ConversationId,
        agent: Option<i64>,
        action: AuditAction,
        detail: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        Self::audit_on(&mut tx, id, agent, action, detail, now).await?;
        self.commit(tx).await
    }

    async fn audit_trail(&self, id: ConversationId) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<(String, Option<String>, Option<String>, i64)> = sqlx::query_as(
            "SELECT e.action, a.name, e.detail, e.at FROM audit_event e LEFT JOIN agent a ON a.agent_id = e.agent_id \
             WHERE e.conversation_id = $1 ORDER BY e.audit_event_id",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.into_iter()
            .map(|(code, agent_name, detail, at)| {
                Ok(AuditEntry {
                    action: AuditAction::from_code(&code).ok_or_else(|| corrupt("audit action", &code))?,
                    agent_name,
                    detail,
                    at: Timestamp::from_millis(at),
                })
            })
            .collect()
    }

    async fn summary(&self, id: ConversationId) -> Result<ConversationSummary, StoreError> {
        self.conversation_summary(id.0).await?.ok_or(StoreError::NotFound)
    }

    async fn message(&self, id: ConversationId, message: i64) -> Result<MessageView, StoreError> {
        let row: Option<MessageRow> = sqlx::query_as(&format!("{MESSAGE_VIEW} AND m.message_id = $2"))
            .bind(id.0)
            .bind(message)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        message_view(row.ok_or(StoreError::NotFound)?)
    }

    async fn messages(&self, id: ConversationId) -> Result<Vec<MessageView>, StoreError> {
        let rows: Vec<MessageRow> = sqlx::query_as(&format!("{MESSAGE_VIEW} ORDER BY m.message_id"))
            .bind(id.0)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.into_iter().map(message_view).collect()
    }

    async fn channel_templates(&self, id: ConversationId) -> Result<Vec<Template>, StoreError> {
        let channel_id = self.channel_of(id).await?;
        self.templates_of_channel(channel_id).await
    }

    async fn channels(&self) -> Result<Vec<ChannelInfo>, StoreError> {
        let rows: Vec<(i64, String, String, i64)> =
            sqlx::query_as("SELECT channel_id, name, kind, human_agent_tag FROM channel ORDER BY name")
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?;
        rows.into_iter()
            .map(|(id, name, kind, tag)| Ok(ChannelInfo { id, name, channel: stored_channel(&kind, tag)? }))
            .collect()
    }

    async fn teams(&self) -> Result<Vec<TeamInfo>, StoreError> {
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT team_id, name FROM team ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(rows.into_iter().map(|(id, name)| TeamInfo { id, name }).collect())
    }

    async fn conversation_channel(&self, id: ConversationId) -> Result<i64, StoreError> {
        self.channel_of(id).await
    }

    async fn reach(&self, contact: ContactId) -> Result<atende_domain::reach::Reach, StoreError> {
        let phone: Option<String> = sqlx::query("SELECT phone FROM contact WHERE contact_id = $1")
            .bind(contact.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?
            .ok_or(StoreError::NotFound)?
            .try_get("phone")
            .map_err(unavailable)?;
        let kinds: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT kind FROM contact_identity WHERE contact_id = $1")
                .bind(contact.0)
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?;
        let mut identified_on: Vec<_> =
            kinds.iter().filter_map(|code| super::queue::channel_of_identity(code)).collect();
        identified_on.sort_by_key(|kind| kind.code());
        Ok(atende_domain::reach::Reach { phone: phone.is_some_and(|p| !p.is_empty()), identified_on })
    }

    async fn last_inbound(
        &self,
        contact: ContactId,
        channel_id: i64,
    ) -> Result<Option<Timestamp>, StoreError> {
        let row = sqlx::query(
            "SELECT MAX(last_inbound_at) AS last_inbound_at FROM conversation \
             WHERE contact_id = $1 AND channel_id = $2",
        )
        .bind(contact.0)
        .bind(channel_id)
        .fetch_one(&self.pool)
        .await
        .map_err(unavailable)?;
        let last: Option<i64> = row.try_get("last_inbound_at").map_err(unavailable)?;
        Ok(last.map(Timestamp::from_millis))
    }

    async fn start(&self, start: &Start<'_>, now: Timestamp) -> Result<Opened, StoreError> {
        let mut tx = self.write_tx().await?;
        let reused = start.seen.is_some();
        // A new conversation is the taker's from its first line; one reused changes hands with its own line.
        let assignee = if reused { None } else { start.taker };
        let opened = self
            .open_on(&mut tx, start.contact, start.channel_id, start.team_id, assignee, start.seen, now)
            .await?;
        let id = opened.id;
        if let Some(moved) = opened.moved {
            let from = match moved.from {
                Some(team) => Some(Self::team_name_on(&mut tx, team).await?),
                None => None,
            };
            let to = Self::team_name_on(&mut tx, start.team_id).await?;
            let unassigned = match moved.unassigned {
                Some(agent) => Some(Self::agent_name_on(&mut tx, agent).await?),
                None => None,
            };
            let detail = transfer_detail(from.as_deref(), &to, unassigned.as_deref());
            let detail = through_api(Some(&detail), start.api_token);
            let action = AuditAction::Transferred;
            Self::audit_on(&mut tx, id, Some(start.by), action, detail.as_deref(), now).await?;
        }
        if let (true, Some(taker)) = (reused, start.taker) {
            let mine = Assignee::Agent(taker);
            if self.assign_on(&mut tx, id, mine, now).await? != mine {
                Self::taken_line_on(&mut tx, id, taker, now).await?;
            }
        }
        let name = start.template.map(|t| t.filled.template().name().as_str());
        if let Some(template) = start.template {
            // Decided on what the checks saw: if the contact wrote since, or another template went out, the
            // decision no longer holds.
            if &self.lifecycle_on(&mut tx, id).await? != template.before {
                return Err(StoreError::Changed);
            }
            Self::template_on(&mut tx, id, start.channel_id, template.filled, template.after, now).await?;
        }
        let detail = through_api(name, start.api_token);
        Self::audit_on(&mut tx, id, Some(start.by), AuditAction::Started, detail.as_deref(), now).await?;
        self.commit(tx).await?;
        Ok(opened)
    }

    async fn open_conversation_of(
        &self,
        contact: ContactId,
        channel_id: i64,
    ) -> Result<Option<ConversationId>, StoreError> {
        sqlx::query(OPEN_CONVERSATION_OF)
            .bind(contact.0)
            .bind(channel_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?
            .map(|row| row.try_get("conversation_id").map(ConversationId))
            .transpose()
            .map_err(unavailable)
    }

    async fn assign(
        &self,
        id: ConversationId,
        assignee: Assignee,
        by: Option<i64>,
        now: Timestamp,
    ) -> Result<Assignee, StoreError> {
        let mut tx = self.write_tx().await?;
        let before = self.assign_on(&mut tx, id, assignee, now).await?;
        if before != assignee {
            Self::assignment_line_on(&mut tx, id, assignee, by, now).await?;
        }
        self.commit(tx).await?;
        Ok(before)
    }

    async fn transfer(
        &self,
        id: ConversationId,
        team: i64,
        assignee: Assignee,
        by: i64,
        note: Option<(&atende_domain::note::NoteText, &[AgentId])>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let lock = match self.backend() {
            super::Backend::Postgres => " FOR UPDATE",
            super::Backend::Sqlite => "",
        };
        let from: Option<i64> =
            sqlx::query(&format!("SELECT team_id FROM conversation WHERE conversation_id = $1{lock}"))
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(unavailable)?
                .ok_or(StoreError::NotFound)?
                .try_get("team_id")
                .map_err(unavailable)?;
        sqlx::query("SELECT team_id FROM team WHERE team_id = $1")
            .bind(team)
            .fetch_optional(&mut *tx)
            .await
            .map_err(unavailable)?
            .ok_or(StoreError::NotFound)?;
        if from != Some(team) {
            sqlx::query("UPDATE conversation SET team_id = $2, updated_at = $3 WHERE conversation_id = $1")
                .bind(id.0)
                .bind(team)
                .bind(now.as_millis())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            let from = match from {
                Some(old) => Some(Self::team_name_on(&mut tx, old).await?),
                None => None,
            };
            let to = Self::team_name_on(&mut tx, team).await?;
            let detail = atende_domain::ports::transfer_detail(from.as_deref(), &to, None);
            Self::audit_on(&mut tx, id, Some(by), AuditAction::Transferred, Some(&detail), now).await?;
        }
        if self.assign_on(&mut tx, id, assignee, now).await? != assignee {
            Self::assignment_line_on(&mut tx, id, assignee, Some(by), now).await?;
        }
        if let Some((text, mentions)) = note {
            Self::note_on(&mut tx, id, AgentId(by), text, mentions, now).await?;
        }
        self.commit(tx).await
    }

    async fn assignable_agents(&self, team: Option<i64>) -> Result<Vec<AgentInfo>, StoreError> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT agent_id, name FROM agent WHERE active = 1 AND (role = 'admin' OR $1 IS NULL \
             OR agent_id IN (SELECT agent_id FROM team_member WHERE team_id = $1)) ORDER BY name, agent_id",
        )
        .bind(team)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(rows.into_iter().map(|(id, name)| AgentInfo { id: AgentId(id), name }).collect())
    }

    async fn templates_of_channel(&self, channel_id: i64) -> Result<Vec<Template>, StoreError> {
        let rows: Vec<TemplateRow> = sqlx::query_as(
            "SELECT name, language, category, status, components, provider_template_id, parameter_format, \
             for_service, parameter_labels FROM template WHERE channel_id = $1 ORDER BY name, language",
        )
        .bind(channel_id)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        // A template Atende cannot read yet (an unsupported button, say) is left out, not fatal.
        Ok(rows.iter().filter_map(|row| Self::template_from_row(row).ok()).collect())
    }

    async fn set_status(
        &self,
        id: ConversationId,
        lifecycle: &Lifecycle,
        audit: Option<AuditLine<'_>>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        Self::status_on(&mut tx, id, lifecycle, now).await?;
        if let Some(line) = audit {
            Self::audit_on(&mut tx, id, line.agent, line.action, line.detail, now).await?;
        }
        self.commit(tx).await
    }

    async fn conversation_state(&self, id: ConversationId) -> Result<ConversationState, StoreError> {
        let row = sqlx::query(
            "SELECT v.status, v.attempt_category, v.attempt_started_at, v.provider_closed_at, ch.kind, \
             ch.human_agent_tag, \
             (SELECT MAX(o.last_inbound_at) FROM conversation o \
              WHERE o.contact_id = v.contact_id AND o.channel_id = v.channel_id) AS last_inbound_at \
             FROM conversation v JOIN channel ch ON ch.channel_id = v.channel_id WHERE v.conversation_id = $1",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?
        .ok_or(StoreError::NotFound)?;
        let kind: String = row.try_get("kind").map_err(unavailable)?;
        Ok(ConversationState {
            id,
            channel: stored_channel(&kind, row.try_get("human_agent_tag").map_err(unavailable)?)?,
            // The window is the contact's on the channel: its last message in any of their conversations there.
            lifecycle: LifecycleRow::from_row(&row).map_err(unavailable)?.lifecycle()?,
        })
    }

    async fn answer(&self, answer: &Answer<'_>, now: Timestamp) -> Result<bool, StoreError> {
        let id = answer.conversation;
        let (kind, body, mut detail) = match answer.message {
            FreeForm::Text(text) => ("text", Some(text.as_str()), serde_json::json!({})),
            FreeForm::Reaction(reaction) => ("reaction", None, serde_json::json!({ "reaction": reaction })),
            FreeForm::Media(media) => (
                media.kind().code(),
                media.caption(),
                serde_json::json!({ "link": media.link(), "filename": media.file_name() }),
            ),
            FreeForm::File { file, sha256 } => (
                file.kind().code(),
                file.caption(),
                serde_json::json!({ "file": KeptFile::of(file, sha256) }),
            ),
        };
        // What the worker needs to quote the message on the provider's side, and what the conversation shows.
        if let Some(quoted) = answer.reply_to {
            detail["reply_to"] = serde_json::json!(quoted);
        }
        let extras = match (answer.message, answer.reply_to) {
            (FreeForm::Reaction(reaction), _) => Some(Extras {
                rich: Some(Rich::Reaction {
                    to: reaction.to.provider_id.clone(),
                    emoji: reaction.emoji.clone(),
                }),
                ..Extras::default()
            }),
            (_, Some(quoted)) => {
                Some(Extras { reply_to: Some(quoted.provider_id.clone()), ..Extras::default() })
            }
            _ => None,
        };
        // A tag is not kept: the worker decides it as the message leaves (a retry or a paced send may cross
        // the 24 hours).
        let dispatch = match answer.delivery {
            Delivery::Now { .. } => Dispatch::Now,
            Delivery::WhenContactWrites => Dispatch::Hold,
        };
        let outbound = NewOutbound {
            conversation_id: id.0,
            channel_id: self.channel_of(id).await?,
            kind: kind.into(),
            body: body.map(str::to_owned),
            detail: detail.to_string(),
        };
        let agent = answer.agent;
        let mut tx = self.write_tx().await?;
        let (message_id, _) = Self::insert_outbound(&mut tx, &outbound, dispatch, now).await?;
        if let Some(extras) = &extras {
            Self::set_extras_on(&mut tx, message_id, extras).await?;
        }
        if let FreeForm::File { file, sha256 } = answer.message {
            // The conversation shows the agent's file as it shows a contact's, from the blob store.
            let kept = KeptFile::of(file, sha256);
            Self::insert_sent_media_on(&mut tx, message_id.0, &outbound, &kept, Some(file.size()), now)
                .await?;
        }
        if let Some(lifecycle) = &answer.reopened {
            Self::status_on(&mut tx, id, lifecycle, now).await?;
            Self::audit_on(&mut tx, id, Some(agent.0), AuditAction::Reopened, None, now).await?;
        }
        // Answering a conversation nobody had makes it the agent's; two answering at once: the first gets it.
        let taken = sqlx::query(
            "UPDATE conversation SET assignee_id = $2, updated_at = $3 WHERE conversation_id = $1 \
             AND assignee_id IS NULL AND EXISTS (SELECT 1 FROM agent WHERE agent_id = $2 AND active = 1)",
        )
        .bind(id.0)
        .bind(agent.0)
        .bind(now.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?
        .rows_affected()
            > 0;
        if taken {
            Self::taken_line_on(&mut tx, id, agent, now).await?;
        }
        self.commit(tx).await?;
        Ok(taken)
    }

    async fn channel_template(
        &self,
        id: ConversationId,
        name: &str,
        language: &str,
    ) -> Result<Option<Template>, StoreError> {
        let channel_id = self.channel_of(id).await?;
        let row: Option<TemplateRow> = sqlx::query_as(
            "SELECT name, language, category, status, components, provider_template_id, parameter_format, \
             for_service, parameter_labels FROM template WHERE channel_id = $1 AND name = $2 AND language = $3",
        )
        .bind(channel_id)
        .bind(name)
        .bind(language)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        row.as_ref().map(Self::template_from_row).transpose()
    }

    async fn enqueue_template(
        &self,
        id: ConversationId,
        template: TemplateSend<'_>,
        audit: Option<AuditLine<'_>>,
        assign_to: Option<AgentId>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let channel_id = self.channel_of(id).await?;
        let mut tx = self.write_tx().await?;
        // Decided on what the rules saw: if the contact wrote since, or another template went out, the
        // decision no longer holds.
        if &self.lifecycle_on(&mut tx, id).await? != template.before {
            return Err(StoreError::Changed);
        }
        Self::template_on(&mut tx, id, channel_id, template.filled, template.after, now).await?;
        if let Some(line) = audit {
            Self::audit_on(&mut tx, id, line.agent, line.action, line.detail, now).await?;
        }
        if let Some(agent) = assign_to {
            let mine = Assignee::Agent(agent);
            if self.assign_on(&mut tx, id, mine, now).await? != mine {
                Self::taken_line_on(&mut tx, id, agent, now).await?;
            }
        }
        self.commit(tx).await
    }
}

/// A template's row, with the business's choices (whether it is "de atendimento", its parameters' names).
#[derive(FromRow)]
struct TemplateRow {
    name: String,
    language: String,
    category: String,
    status: String,
    components: String,
    provider_template_id: Option<String>,
    parameter_format: Option<String>,
    for_service: Option<i64>,
    parameter_labels: Option<String>,
}

/// A message's columns the agent sees.
#[derive(FromRow)]
struct MessageRow {
    message_id: i64,
    direction: String,
    kind: String,
    body: Option<String>,
    status: String,
    error_text: Option<String>,
    created_at: i64,
    provider_at: Option<i64>,
    provider_message_id: Option<String>,
    content: Option<String>,
    media_state: Option<String>,
    media_reason: Option<String>,
    mime_type: Option<String>,
    file_name: Option<String>,
    voice: Option<i64>,
    size_bytes: Option<i64>,
}

/// A channel as stored: its kind code and whether it uses the HUMAN_AGENT tag.
fn stored_channel(kind: &str, human_agent_tag: i64) -> Result<Channel, StoreError> {
    let kind = ChannelKind::from_code(kind).ok_or_else(|| corrupt("channel kind", kind))?;
    Channel::new(kind, human_agent_tag != 0).map_err(|e| corrupt("channel tag", &e.to_string()))
}

/// The contact's (`$1`) conversation on the channel (`$2`) that is not concluded, newest first.
const OPEN_CONVERSATION_OF: &str = "SELECT conversation_id FROM conversation WHERE contact_id = $1 \
     AND channel_id = $2 AND status <> 'concluded' ORDER BY conversation_id DESC LIMIT 1";

impl SqlStore {
    /// The conversation's new status, inside `tx`; [`StoreError::NotFound`] if there is no such conversation.
    async fn status_on(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: ConversationId,
        lifecycle: &Lifecycle,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let changed =
            sqlx::query("UPDATE conversation SET status = $2, updated_at = $3 WHERE conversation_id = $1")
                .bind(id.0)
                .bind(lifecycle.status().code())
                .bind(now.as_millis())
                .execute(&mut **tx)
                .await
                .map_err(unavailable)?
                .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The audit line of `agent` taking the conversation ("para Ana"), inside `tx`.
    async fn taken_line_on(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: ConversationId,
        agent: AgentId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        Self::assignment_line_on(tx, id, Assignee::Agent(agent), Some(agent.0), now).await
    }

    /// The audit line of the conversation given to `assignee` ("para Ana", "sem responsável") by `by`, inside
    /// `tx`.
    async fn assignment_line_on(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: ConversationId,
        assignee: Assignee,
        by: Option<i64>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let name = match assignee {
            Assignee::Agent(agent) => Self::agent_name_of(tx, agent).await?,
            Assignee::Unassigned => None,
        };
        let detail = assignment_detail(assignee, name.as_deref());
        Self::audit_on(tx, id, by, AuditAction::Assigned, Some(&detail), now).await
    }

    /// A template send and its job, with the conversation's lifecycle after it, inside `tx`.
    /// [`StoreError::Changed`] when another template changed the attempt meanwhile.
    async fn template_on(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: ConversationId,
        channel_id: i64,
        template: &FilledTemplate,
        lifecycle: &Lifecycle,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        // The Cloud API `template` object the worker sends as it is; with the file of its media header when
        // the agent gave one from their computer (the worker uploads it and adds its id).
        let mut wire = serde_json::json!({
            "name": template.template().name().as_str(),
            "language": { "code": template.template().language().as_str() },
            "components": template.components(),
        });
        let header = template.header_file().map(|(_, file)| KeptFile {
            mime: file.mime().to_owned(),
            sha256: file.sha256,
            name: file.name,
            voice: false,
        });
        if let Some(kept) = &header {
            wire[HEADER_FILE] =
                serde_json::to_value(kept).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        }
        let outbound = NewOutbound {
            conversation_id: id.0,
            channel_id,
            kind: "template".into(),
            body: Some(template.preview().body),
            detail: wire.to_string(),
        };
        let (message_id, _) = Self::insert_outbound(tx, &outbound, Dispatch::Now, now).await?;
        if let Some(kept) = &header {
            // The conversation shows the header's picture (or video, or PDF) with the message.
            Self::insert_sent_media_on(tx, message_id.0, &outbound, kept, None, now).await?;
        }
        // The attempt's category only ever stays what it was: two restarts racing with different categories
        // cannot both pass (the second finds the row changed and stores nothing).
        let changed = sqlx::query(
            "UPDATE conversation SET status = $2, attempt_category = $3, attempt_started_at = $4 \
             WHERE conversation_id = $1 AND ($3 IS NULL OR attempt_category IS NULL OR attempt_category = $3)",
        )
        .bind(id.0)
        .bind(lifecycle.status().code())
        .bind(lifecycle.attempt().map(|a| a.category().code()))
        .bind(lifecycle.attempt().map(|a| a.started_at().as_millis()))
        .execute(&mut **tx)
        .await
        .map_err(unavailable)?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::Changed);
        }
        Ok(())
    }

    /// An audit line, inside `tx`.
    async fn audit_on(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: ConversationId,
        agent: Option<i64>,
        action: AuditAction,
        detail: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_event (conversation_id, agent_id, action, detail, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.0)
        .bind(agent)
        .bind(action.code())
        .bind(detail)
        .bind(now.as_millis())
        .execute(&mut **tx)
        .await
        .map_err(unavailable)?;
        Ok(())
    }
}

impl SqlStore {
    /// The contact's conversation on the channel that is not concluded, moved to `team_id`, or a new one,
    /// answered by `assignee`, outside "Iniciar atendimento"'s lines and template (tests set up with it).
    /// The errors of [`Outbox::start`].
    pub async fn open_for(
        &self,
        contact: ContactId,
        channel_id: i64,
        team_id: i64,
        assignee: Option<AgentId>,
        seen: Option<(ConversationId, Option<i64>)>,
        now: Timestamp,
    ) -> Result<Opened, StoreError> {
        let mut tx = self.write_tx().await?;
        let opened = self.open_on(&mut tx, contact, channel_id, team_id, assignee, seen, now).await?;
        self.commit(tx).await?;
        Ok(opened)
    }

    /// [`SqlStore::open_for`] inside `tx`: `assignee` answers it (`None`: a new one waits for an agent of the
    /// team, an existing one keeps whoever had it — unless it changes team and they are not a member of the
    /// new one: it then waits for the new team, in its "Não atribuídos").
    #[expect(clippy::too_many_arguments, reason = "the columns of a new conversation, each its own")]
    async fn open_on(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        contact: ContactId,
        channel_id: i64,
        team_id: i64,
        assignee: Option<AgentId>,
        seen: Option<(ConversationId, Option<i64>)>,
        now: Timestamp,
    ) -> Result<Opened, StoreError> {
        if let Some(agent) = assignee {
            if !Self::active_agent(tx, agent).await? {
                return Err(StoreError::NotFound);
            }
        }
        let known = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM contact WHERE contact_id = $1) AS contacts, \
             (SELECT COUNT(*) FROM channel WHERE channel_id = $2) AS channels, \
             (SELECT COUNT(*) FROM team WHERE team_id = $3) AS teams",
        )
        .bind(contact.0)
        .bind(channel_id)
        .bind(team_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(unavailable)?;
        for column in ["contacts", "channels", "teams"] {
            if known.try_get::<i64, _>(column).map_err(unavailable)? == 0 {
                return Err(StoreError::NotFound);
            }
        }
        // Locked until the move commits (SQLite's write transaction locks the database already), so a
        // concurrent assignment cannot slip an agent of the old team in behind it.
        let lock = match self.backend() {
            super::Backend::Postgres => " FOR UPDATE",
            super::Backend::Sqlite => "",
        };
        // On PostgreSQL, two starts for one contact wait for each other on the contact's row: with no open
        // conversation to lock, both would otherwise create one.
        if !lock.is_empty() {
            sqlx::query("SELECT contact_id FROM contact WHERE contact_id = $1 FOR UPDATE")
                .bind(contact.0)
                .fetch_optional(&mut **tx)
                .await
                .map_err(unavailable)?;
        }
        let open = sqlx::query(&format!(
            "SELECT conversation_id, team_id, assignee_id FROM conversation WHERE contact_id = $1 \
             AND channel_id = $2 AND status <> 'concluded' ORDER BY conversation_id DESC LIMIT 1{lock}"
        ))
        .bind(contact.0)
        .bind(channel_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(unavailable)?;
        let found = open
            .as_ref()
            .map(|row| -> Result<_, StoreError> {
                let id: i64 = row.try_get("conversation_id").map_err(unavailable)?;
                let team: Option<i64> = row.try_get("team_id").map_err(unavailable)?;
                Ok((ConversationId(id), team))
            })
            .transpose()?;
        if found != seen {
            // Another start (or a conclusion) got there between the checks and now: what was decided no
            // longer holds. Two teams starting one conversation at once: the second is told, nothing sent.
            return Err(StoreError::Changed);
        }
        let (id, moved) = match open {
            Some(row) => {
                let id: i64 = row.try_get("conversation_id").map_err(unavailable)?;
                let old_team: Option<i64> = row.try_get("team_id").map_err(unavailable)?;
                let old_assignee: Option<i64> = row.try_get("assignee_id").map_err(unavailable)?;
                let moved = old_team != Some(team_id);
                // Whoever answered it stays only if they may still answer it for the new team: otherwise
                // they would no longer see it, and the new team would not find it in "Não atribuídos".
                let kept = match (assignee, old_assignee) {
                    (Some(agent), _) => Some(agent.0),
                    (None, Some(old)) if !moved || Self::member_of(tx, team_id, old).await? => Some(old),
                    (None, _) => None,
                };
                sqlx::query(
                    "UPDATE conversation SET team_id = $2, updated_at = $3, assignee_id = $4 \
                     WHERE conversation_id = $1",
                )
                .bind(id)
                .bind(team_id)
                .bind(now.as_millis())
                .bind(kept)
                .execute(&mut **tx)
                .await
                .map_err(unavailable)?;
                let unassigned = old_assignee.filter(|_| kept.is_none()).map(AgentId);
                (id, moved.then_some(TeamMove { from: old_team, unassigned }))
            }
            None => {
                let id = sqlx::query(
                    "INSERT INTO conversation (contact_id, channel, channel_id, team_id, assignee_id, status, \
                     created_at, updated_at) SELECT $1, kind, channel_id, $3, $5, 'open', $4, $4 FROM channel \
                     WHERE channel_id = $2 RETURNING conversation_id",
                )
                .bind(contact.0)
                .bind(channel_id)
                .bind(team_id)
                .bind(now.as_millis())
                .bind(assignee.map(|a| a.0))
                .fetch_one(&mut **tx)
                .await
                .map_err(unavailable)?
                .try_get("conversation_id")
                .map_err(unavailable)?;
                (id, None)
            }
        };
        Ok(Opened { id: ConversationId(id), moved })
    }

    /// The conversation's lifecycle, read inside `tx` (its row held on PostgreSQL until the commit).
    async fn lifecycle_on(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: ConversationId,
    ) -> Result<Lifecycle, StoreError> {
        let lock = match self.backend() {
            super::Backend::Postgres => " FOR UPDATE OF v",
            super::Backend::Sqlite => "",
        };
        let row: LifecycleRow = sqlx::query_as(&format!(
            "SELECT v.status, v.attempt_category, v.attempt_started_at, v.provider_closed_at, \
             (SELECT MAX(o.last_inbound_at) FROM conversation o \
              WHERE o.contact_id = v.contact_id AND o.channel_id = v.channel_id) AS last_inbound_at \
             FROM conversation v WHERE v.conversation_id = $1{lock}"
        ))
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await
        .map_err(unavailable)?
        .ok_or(StoreError::NotFound)?;
        row.lifecycle()
    }

    /// A team's name, inside `tx` ("equipe 7" for one that no longer exists).
    async fn team_name_on(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        team: i64,
    ) -> Result<String, StoreError> {
        let name: Option<String> = sqlx::query_scalar("SELECT name FROM team WHERE team_id = $1")
            .bind(team)
            .fetch_optional(&mut **tx)
            .await
            .map_err(unavailable)?;
        Ok(name.unwrap_or_else(|| format!("equipe {team}")))
    }

    /// An agent's name, active or not, inside `tx` ("agente 7" for one that no longer exists).
    async fn agent_name_on(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        agent: AgentId,
    ) -> Result<String, StoreError> {
        Ok(Self::agent_name_of(tx, agent).await?.unwrap_or_else(|| format!("agente {}", agent.0)))
    }

    /// An agent's name, active or not, inside `tx`; `None` for one that does not exist.
    async fn agent_name_of(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        agent: AgentId,
    ) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT name FROM agent WHERE agent_id = $1")
            .bind(agent.0)
            .fetch_optional(&mut **tx)
            .await
            .map_err(unavailable)
    }

    /// [`Outbox::assign`] inside `tx`.
    async fn assign_on(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: ConversationId,
        assignee: Assignee,
        now: Timestamp,
    ) -> Result<Assignee, StoreError> {
        let agent = match assignee {
            Assignee::Agent(agent) if !Self::active_agent(&mut *tx, agent).await? => {
                return Err(StoreError::NotFound);
            }
            Assignee::Agent(agent) => Some(agent.0),
            Assignee::Unassigned => None,
        };
        // The row is locked until the change commits (SQLite's write transaction locks the database already),
        // so two assignments at once each see the other's result as "before".
        let lock = match self.backend() {
            super::Backend::Postgres => " FOR UPDATE",
            super::Backend::Sqlite => "",
        };
        let before: Option<i64> =
            sqlx::query(&format!("SELECT assignee_id FROM conversation WHERE conversation_id = $1{lock}"))
                .bind(id.0)
                .fetch_optional(&mut **tx)
                .await
                .map_err(unavailable)?
                .ok_or(StoreError::NotFound)?
                .try_get("assignee_id")
                .map_err(unavailable)?;
        sqlx::query("UPDATE conversation SET assignee_id = $2, updated_at = $3 WHERE conversation_id = $1")
            .bind(id.0)
            .bind(agent)
            .bind(now.as_millis())
            .execute(&mut **tx)
            .await
            .map_err(unavailable)?;
        Ok(before.map_or(Assignee::Unassigned, |a| Assignee::Agent(AgentId(a))))
    }
}

/// A conversation's messages with their files, as the agent sees them (`$1` the conversation).
const MESSAGE_VIEW: &str =
    "SELECT m.message_id, m.direction, m.kind, m.body, m.status, m.error_text, m.created_at, \
     m.provider_at, m.provider_message_id, m.content, \
     f.state AS media_state, f.reason AS media_reason, f.mime_type, f.file_name, f.voice, f.size_bytes \
     FROM message m LEFT JOIN media f ON f.message_id = m.message_id WHERE m.conversation_id = $1";

fn message_view(row: MessageRow) -> Result<MessageView, StoreError> {
    let media = match &row.media_state {
        Some(code) => Some(MediaView {
            state: MediaState::from_code(code, row.media_reason.as_deref())
                .ok_or_else(|| corrupt("media state", code))?,
            mime_type: row.mime_type,
            file_name: row.file_name,
            voice: row.voice.unwrap_or(0) != 0,
            size_bytes: row.size_bytes.and_then(|s| u64::try_from(s).ok()),
        }),
        None => None,
    };
    Ok(MessageView {
        id: row.message_id,
        inbound: row.direction == "in",
        kind: row.kind,
        body: row.body,
        status: row.status,
        error: row.error_text,
        written_at: Timestamp::from_millis(row.created_at),
        provider_at: row.provider_at.map(Timestamp::from_millis),
        media,
        provider_id: row.provider_message_id,
        // What a newer version wrote and this one cannot read is left out, not fatal.
        extras: row.content.as_deref().and_then(|c| serde_json::from_str(c).ok()).unwrap_or_default(),
    })
}
