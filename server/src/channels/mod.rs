//! Channels: the port every provider implements ([`port`]), which provider serves which channel right now
//! ([`registry`]), and how the channels are configured from the environment, the sandbox and the console
//! ([`config`]).

pub mod config;
pub mod port;
pub mod registry;
