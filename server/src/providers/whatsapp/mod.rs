//! Meta's WhatsApp Cloud API: its wire format ([`wire`]), the webhook signature, and the HTTP client
//! ([`cloud_api`]). The embedded sandbox ([`crate::sandbox`]) speaks the same types, so both sides agree on
//! every byte.

pub mod cloud_api;
pub mod wire;

pub use cloud_api::{
    CloudApiClient, CloudApiConfig, FailureKind, ProviderFailure, RemoteTemplate, SendAccepted,
};
pub use wire::{signature_header, verify_signature};
