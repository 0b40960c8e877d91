//! The HTML document and the router.

use crate::pages::admin::AdminPage;
use crate::pages::atendimentos::AtendimentosPage;
use crate::pages::contatos::ContatosPage;
use crate::pages::entrar::EntrarPage;
use crate::pages::etiquetas::EtiquetasPage;
use crate::pages::horario::HorarioPage;
use crate::pages::respostas::RespostasPage;
use crate::pages::senha::AlterarSenhaPage;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{ParamSegment, StaticSegment};

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
                <Route path=(StaticSegment("crm"), StaticSegment("contatos")) view=ContatosPage />
                <Route path=StaticSegment("entrar") view=EntrarPage />
                <Route path=StaticSegment("admin") view=AdminPage />
                <Route path=StaticSegment("senha") view=AlterarSenhaPage />
                <Route path=StaticSegment("respostas-rapidas") view=RespostasPage />
                <Route path=StaticSegment("etiquetas") view=EtiquetasPage />
                <Route path=StaticSegment("horario") view=HorarioPage />
            </Routes>
        </Router>
    }
}
