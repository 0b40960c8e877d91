//! The "Enviar mensagem" panel opened by "Conversar" or by a contact's start icon.

use atende_domain::contact::Contact;
use leptos::prelude::*;

#[component]
pub fn SendMessagePanel(contact: Option<Contact>, typed: String, on_close: Callback<()>) -> impl IntoView {
    let found = contact.clone();
    view! {
        <section class="send-message" role="dialog" aria-label="Enviar mensagem">
            <header class="panel-header">
                <h2>"Enviar mensagem"</h2>
                <button type="button" class="icon-button" aria-label="Fechar" on:click=move |_| on_close.run(())>
                    "×"
                </button>
            </header>
            {match found {
                Some(contact) => {
                    view! {
                        <div class="contact-card">
                            <p class="label">"Contato encontrado"</p>
                            <p class="row-name">{contact.name.as_str().to_owned()}</p>
                            <p class="row-phone">
                                {contact.phone.as_ref().map(ToString::to_string).unwrap_or_default()}
                            </p>
                        </div>
                    }
                        .into_any()
                }
                None => {
                    view! {
                        <div class="contact-card">
                            <p class="label">"Nenhum contato com este número"</p>
                            <p class="row-phone">{typed}</p>
                        </div>
                    }
                        .into_any()
                }
            }}
            <fieldset class="send-kind">
                <legend>"Selecione o tipo de envio"</legend>
                <label>
                    <input type="radio" name="tipo-envio" value="iniciar" checked=contact.is_some() />
                    "Iniciar atendimento"
                </label>
            </fieldset>
        </section>
    }
}
