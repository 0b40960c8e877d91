//! "Entrar": e-mail and password. A plain form posted to the server (it works before the WASM client loads,
//! and the password never passes through a server function); a refused sign-in comes back here with
//! `?erro=credenciais`.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub(crate) fn EntrarPage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let refused = move || query.with(|q| q.get("erro").is_some());
    view! {
        <Title text="Entrar · Atende" />
        <main class="sign-in">
            <form method="post" action="/entrar" class="sign-in-card" aria-labelledby="entrar-titulo">
                <h1 id="entrar-titulo">"Entrar no Atende"</h1>
                <Show when=refused>
                    <p class="error" role="alert">"E-mail ou senha incorretos."</p>
                </Show>
                <label class="param">
                    "E-mail"
                    <input type="email" name="email" autocomplete="username" required autofocus />
                </label>
                <label class="param">
                    "Senha"
                    <input type="password" name="senha" autocomplete="current-password" required />
                </label>
                <div class="form-actions">
                    <button type="submit" class="primary">"Entrar"</button>
                </div>
            </form>
        </main>
    }
}
