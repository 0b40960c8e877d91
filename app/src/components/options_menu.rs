//! The ⋮ menu of the Atendimentos screen.

use leptos::prelude::*;

#[component]
pub(crate) fn OptionsMenu(on_new_conversation: Callback<()>) -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <div class="options-menu">
            <button
                type="button"
                class="icon-button"
                aria-label="Mais opções"
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                "⋮"
            </button>
            <Show when=move || open.get()>
                <div class="menu" role="menu" aria-label="Opções de atendimento">
                    <button
                        type="button"
                        role="menuitem"
                        on:click=move |_| {
                            open.set(false);
                            on_new_conversation.run(());
                        }
                    >
                        "Novo atendimento"
                    </button>
                    <a role="menuitem" href="/crm/contatos">"CRM → Contatos"</a>
                    <a role="menuitem" href="/respostas-rapidas">"Respostas rápidas"</a>
                    <a role="menuitem" href="/etiquetas">"Etiquetas"</a>
                    <a role="menuitem" href="/horario">"Horário de atendimento"</a>
                    <a role="menuitem" href="/admin">"Administração"</a>
                    <a role="menuitem" href="/senha">"Alterar senha"</a>
                    <form method="post" action="/sair">
                        <button type="submit" role="menuitem">"Sair"</button>
                    </form>
                </div>
            </Show>
        </div>
    }
}
