//! Copying a WhatsApp Business Account's templates (and the currency Meta bills it in) into the store.

use super::CloudApiClient;
use crate::runtime::SystemClock;
use crate::store::templates::TemplateRecord;
use crate::store::SqlStore;
use atende_domain::ports::Clock;

/// The setting that keeps the currency Meta bills a channel's account in (`BRL`, `USD`).
pub(crate) fn account_currency_key(channel: i64) -> String {
    format!("account_currency:{channel}")
}

/// Copies a channel's templates from the provider; how many it has. On failure the console keeps working
/// with the templates it had, and the reason is returned (for the admin) and logged.
pub async fn sync_templates(
    store: &SqlStore,
    channel: i64,
    client: &CloudApiClient,
) -> Result<usize, String> {
    let templates = match client.list_templates().await {
        Ok(templates) => templates,
        Err(failure) => {
            tracing::warn!(channel, ?failure, "template sync failed");
            let said = failure.details.or(failure.message).unwrap_or_else(|| "sem resposta".into());
            return Err(format!("não foi possível ler os modelos da Meta ({said})."));
        }
    };
    let records: Vec<TemplateRecord> = templates
        .iter()
        .map(|t| TemplateRecord {
            provider_template_id: Some(t.id.clone()),
            name: t.name.clone(),
            language: t.language.clone(),
            category: super::inbound::wire_name(&t.category).unwrap_or_else(|| "UTILITY".into()),
            status: super::inbound::wire_name(&t.status).unwrap_or_else(|| "UNKNOWN".into()),
            parameter_format: t.parameter_format.clone(),
            components: serde_json::to_string(&t.components).unwrap_or_else(|_| "[]".into()),
        })
        .collect();
    // The account's currency, for the price estimates; a failure here keeps the templates' sync.
    match client.account_currency().await {
        Ok(Some(code)) => {
            if let Err(error) =
                store.put_setting(&account_currency_key(channel), &code, SystemClock.now()).await
            {
                tracing::warn!(channel, %error, "could not store the account's currency");
            }
        }
        Ok(None) => {}
        Err(failure) => tracing::info!(channel, ?failure, "the account's currency could not be read"),
    }
    match store.upsert_templates(channel, &records, SystemClock.now()).await {
        Ok(count) => {
            tracing::info!(channel, count, "templates synced");
            Ok(count)
        }
        Err(error) => {
            tracing::warn!(channel, %error, "could not store the synced templates");
            Err(error.to_string())
        }
    }
}
