//! One room per provider: each holds that provider's wire types, HTTP client, sender, webhook gate and
//! inbound reading, and is the only code that knows its wire format. The rest of the server reaches them
//! through [`crate::channels::port`].

pub(crate) mod download;
pub mod evolution;
pub(crate) mod http;
pub mod meta;
pub mod whatsapp;
