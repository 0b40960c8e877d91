//! "Alterar senha": any signed-in agent changes their own password (the current one first). Their other
//! sessions end; this one stays signed in.

use crate::api::ChangePassword;
use atende_domain::access::PasswordChange;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub(crate) fn AlterarSenhaPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let tried = RwSignal::new(false);
    let form = move || PasswordChange { current: current.get(), new: new.get() };
    Effect::new(move |_| {
        if let Some(Ok(())) = change.value().get() {
            current.set(String::new());
            new.set(String::new());
            tried.set(false);
        }
    });
    let problem = move || {
        let local = tried.get().then(|| form().validate().err().map(|e| e.to_string())).flatten();
        local.or_else(|| match change.value().get() {
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        })
    };
    let done = move || {
        matches!(change.value().get(), Some(Ok(())))
            .then_some("Senha alterada. As suas outras sessões foram encerradas.")
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        let change_to = form();
        if change_to.validate().is_ok() {
            change.dispatch(ChangePassword { change: change_to });
        }
    };
    view! {
        <Title text="Alterar senha · Atende" />
        <div class="crm">
            <header class="crm-header">
                <a href="/" class="back">"← Atendimentos"</a>
                <h1>"Alterar senha"</h1>
            </header>
            <form class="admin-form" aria-label="Alterar senha" on:submit=submit novalidate>
                <label>
                    "Senha atual"
                    <input type="password" autocomplete="current-password" bind:value=current />
                </label>
                <label>
                    "Nova senha"
                    <input type="password" autocomplete="new-password" bind:value=new />
                </label>
                <p class="field-error" role="alert">{problem}</p>
                <p role="status">{done}</p>
                <button type="submit" class="primary" disabled=move || change.pending().get()>"Alterar senha"</button>
            </form>
        </div>
    }
}
