pub mod admin;
pub mod atendimentos;
pub mod contatos;
pub mod entrar;
pub mod senha;
