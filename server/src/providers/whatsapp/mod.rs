//! Meta's WhatsApp Cloud API: its wire format ([`wire`]), the webhook signature, the HTTP client
//! ([`cloud_api`]), the sender ([`sender`]), the webhooks ([`inbound`]) and the template sync
//! ([`templates`]). The embedded sandbox (`crate::sandbox`, a cargo feature) speaks the same types, so both
//! sides agree on every byte.

pub mod cloud_api;
pub mod inbound;
pub mod media;
pub mod sender;
pub mod templates;
pub mod wire;

pub use cloud_api::{
    CloudApiClient, CloudApiConfig, FailureKind, ProviderFailure, RemoteTemplate, SendAccepted,
};
pub use wire::{signature_header, verify_signature};
