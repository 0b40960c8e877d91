pub mod atendimentos;
pub mod contatos;
