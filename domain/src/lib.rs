//! Atende's rules, shared by the browser and the server.
//!
//! Architecture invariant: this crate depends on nothing of ours and on no framework, database, runtime,
//! clock, random source or I/O. Time comes in as a parameter ([`time::Timestamp`]). It is compiled into the
//! WASM client (instant validation in the panels) and into the server (the authority), so the same input
//! gets the same answer in both places. Error `Display`s are the Portuguese sentences an agent reads.

pub mod access;
pub mod channel;
pub mod channel_setup;
pub mod contact;
pub mod content;
pub mod conversation;
pub mod hours;
pub mod identity;
pub mod inbound_media;
pub mod label;
pub mod lifecycle;
pub mod listing;
pub mod media;
pub mod note;
pub mod outbound_media;
pub mod phone;
pub mod ports;
pub mod pricing;
pub mod provider_error;
pub mod queue;
pub mod quick_answer;
pub mod reach;
pub mod recording;
pub mod reply;
pub mod search;
pub mod template;
pub mod text;
pub mod time;
pub mod timeline;
pub mod unread;
pub mod window;
