//! Server functions: thin. They take the services from context, let the domain decide, and map the error
//! (with an HTTP status an API caller can act on, see [`crate::ssr::respond`]).

use crate::error::AppError;
use atende_domain::contact::{Contact, ContactForm};
use atende_domain::conversation::{ConversationSummary, Tab};
use leptos::prelude::*;

/// How many contacts the "Novo atendimento" panel lists at once.
pub const CONTACT_PAGE: u32 = 50;

/// The conversations of a tab of the Atendimentos screen.
#[server(endpoint = "list_conversations")]
pub async fn list_conversations(tab: Tab) -> Result<Vec<ConversationSummary>, AppError> {
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::current();
            Ok(services.store.list_conversations(tab).await?)
        }
        .await,
    )
}

/// Contacts whose name or number contains `text`.
#[server(endpoint = "search_contacts")]
pub async fn search_contacts(text: String) -> Result<Vec<Contact>, AppError> {
    use atende_domain::ports::ContactQuery;
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::current();
            Ok(services.store.search_contacts(&ContactQuery { text, limit: CONTACT_PAGE }).await?)
        }
        .await,
    )
}

/// "Novo contato" → "Salvar". The same validation ran in the browser; this one is the authority.
#[server(endpoint = "create_contact")]
pub async fn create_contact(form: ContactForm) -> Result<Contact, AppError> {
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::current();
            let contact = form.validate()?;
            Ok(services.store.create_contact(contact, services.clock.now()).await?)
        }
        .await,
    )
}

/// "Conversar": the contact known by the typed number (or its ninth-digit twin), if any.
#[server(endpoint = "find_contact")]
pub async fn find_contact(phone: String) -> Result<Option<Contact>, AppError> {
    use atende_domain::phone::Phone;
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::current();
            let phone = Phone::parse(&phone)?;
            Ok(services.store.find_contact_by_phone(&phone).await?)
        }
        .await,
    )
}
