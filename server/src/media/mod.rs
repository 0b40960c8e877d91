//! The files of messages: where their bytes are kept ([`blob`]), how the ones contacts send are fetched from
//! the provider after the message is stored ([`worker`]), how they reach an agent's browser ([`serve`]), and how an agent's own file arrives ([`upload`]).

pub mod blob;
pub mod serve;
pub mod upload;
pub mod worker;
