// Leptos' `#[component]` gives each component's props a `pub` builder, whatever the component's own visibility.
#![expect(unreachable_pub, reason = "the props builders #[component] generates are pub")]

pub(crate) mod admin;
pub(crate) mod atendimentos;
pub(crate) mod contatos;
pub(crate) mod entrar;
pub(crate) mod etiquetas;
pub(crate) mod horario;
pub(crate) mod respostas;
pub(crate) mod senha;
