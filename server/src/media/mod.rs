//! The files of messages: where their bytes are kept ([`blob`]), how the ones contacts send are fetched from
//! the provider after the message is stored ([`worker`]), and how they reach an agent's browser ([`serve`]).

pub mod blob;
pub mod serve;
pub mod worker;
