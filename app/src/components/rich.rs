//! What a contact's message holds besides text and file: a place with its map, shared contact cards with
//! "Conversar", the button they tapped, a kind the provider does not deliver; and the message it answers,
//! quoted above it.

use atende_domain::content::{dialable, Rich, SharedContact, UNSUPPORTED};
use leptos::prelude::*;

/// A number to start a conversation with, asked of the number bar ("Conversar" on a shared contact card).
#[derive(Clone, Copy)]
pub(crate) struct ConversarCom(pub(crate) RwSignal<Option<String>>);

#[component]
pub(crate) fn RichBlock(rich: Rich) -> impl IntoView {
    match rich {
        Rich::Location { latitude, longitude, name, address } => {
            let map = Rich::map_link(latitude, longitude);
            view! {
                <p class="place">
                    <span aria-hidden="true">"📍 "</span>
                    <strong>{name.unwrap_or_else(|| "Localização".to_owned())}</strong>
                    {address.map(|a| view! { <span class="muted">" · "{a}</span> })}
                    " "
                    <a href=map target="_blank" rel="noopener noreferrer">"Ver no mapa"</a>
                </p>
            }
            .into_any()
        }
        Rich::Contacts(cards) => view! {
            <ul class="shared-contacts" aria-label="Contatos compartilhados">
                {cards.into_iter().map(|card| view! { <ContactCard card /> }).collect_view()}
            </ul>
        }
        .into_any(),
        Rich::ButtonReply { text } => view! {
            <p class="button-reply"><span class="muted">"Tocou no botão: "</span><strong>{text}</strong></p>
        }
        .into_any(),
        Rich::Unsupported => view! { <p class="unsupported">{UNSUPPORTED}</p> }.into_any(),
        // Shown on the message it reacts to (see the message list).
        Rich::Reaction { emoji, .. } => view! {
            <p class="muted">{match emoji {
                Some(emoji) => format!("Reagiu com {emoji} a uma mensagem anterior"),
                None => "Removeu uma reação".to_owned(),
            }}</p>
        }
        .into_any(),
    }
}

#[component]
fn ContactCard(card: SharedContact) -> impl IntoView {
    let conversar = use_context::<ConversarCom>();
    view! {
        <li>
            <strong>{card.name}</strong>
            {card
                .phones
                .into_iter()
                .map(|phone| {
                    let number = dialable(&phone);
                    view! {
                        <span class="phone">
                            {phone}
                            {number.zip(conversar).map(|(number, conversar)| view! {
                                " "
                                <button type="button" class="link" on:click=move |_| conversar.0.set(Some(number.clone()))>
                                    "Conversar"
                                </button>
                            })}
                        </span>
                    }
                })
                .collect_view()}
        </li>
    }
}
