//! The HTML document and the router.

use crate::pages::atendimentos::AtendimentosPage;
use crate::pages::entrar::EntrarPage;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{lazy_route, Lazy, LazyRoute, ParamSegment, StaticSegment};

/// The whole document, rendered on the server for the first load.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="pt-BR">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                // The client's stylesheet, named as its build named it (see the server's `client`).
                <link rel="stylesheet" id="atende" href=format!("/{}/{}.css", options.site_pkg_dir, options.output_name) />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Atende" />
        <Router>
            <Routes fallback=|| view! { <p class="not-found">"Página não encontrada."</p> }>
                // One screen for the list and each conversation's own address (`/atendimentos/<id>`): moving
                // between them keeps the screen (the list, the search) and only changes the pane.
                <ParentRoute path=StaticSegment("") view=AtendimentosPage>
                    <Route path=StaticSegment("") view=|| () />
                    <Route path=(StaticSegment("atendimentos"), ParamSegment("id")) view=|| () />
                </ParentRoute>
                <Route path=StaticSegment("entrar") view=EntrarPage />
                // The screens most agents never open come in their own files, fetched when one is opened
                // (or, on a first load of one, before the page becomes interactive): the Atendimentos screen's
                // client does not carry them.
                <Route path=(StaticSegment("crm"), StaticSegment("contatos")) view={Lazy::<Contatos>::new()} />
                <Route path=StaticSegment("admin") view={Lazy::<Administracao>::new()} />
                <Route path=StaticSegment("senha") view={Lazy::<AlterarSenha>::new()} />
                <Route path=StaticSegment("respostas-rapidas") view={Lazy::<RespostasRapidas>::new()} />
                <Route path=StaticSegment("etiquetas") view={Lazy::<Etiquetas>::new()} />
                <Route path=StaticSegment("horario") view={Lazy::<Horario>::new()} />
            </Routes>
        </Router>
    }
}

/// Declares a screen loaded on demand: its view is a split point, so the WASM build puts the page (and whatever
/// only it uses) in a file of its own.
macro_rules! lazy_screen {
    ($($(#[$doc:meta])* $route:ident => $page:path;)*) => {$(
        $(#[$doc])*
        pub(crate) struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    )*};
}

lazy_screen! {
    /// CRM → Contatos.
    Contatos => crate::pages::contatos::ContatosPage;
    /// Administração.
    Administracao => crate::pages::admin::AdminPage;
    /// Alterar senha.
    AlterarSenha => crate::pages::senha::AlterarSenhaPage;
    /// Respostas rápidas (their management; the picker in a conversation stays in the main file).
    RespostasRapidas => crate::pages::respostas::RespostasPage;
    /// Etiquetas.
    Etiquetas => crate::pages::etiquetas::EtiquetasPage;
    /// Horário de atendimento.
    Horario => crate::pages::horario::HorarioPage;
}
