//! The server's integration tests, in one binary (one link instead of one per file: less disk and time on
//! CI). Each module is what was a test file; run one with `cargo test -p atende-server --test it <module>::`.

#[macro_use]
mod common;

mod access;
mod admin_and_api;
mod api;
mod architecture;
mod blob_contract;
mod desk;
mod faults;
mod hardening;
mod hours;
mod inbound_contract;
mod listing;
mod live;
mod media;
mod other_channels;
mod processes;
mod queue_contract;
mod reply;
mod sandbox;
mod send_flow;
mod store_contract;
mod upload;
mod whatsapp_flow;
