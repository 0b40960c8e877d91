pub mod atendimentos;
