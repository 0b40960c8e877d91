//! "Etiquetas" shown as chips, each with "×" to take it off, and a list of the others to put on: a
//! conversation's and its contact's in the conversation's header, a contact's in CRM → Contatos.

use atende_domain::label::{named, SavedLabel};
use leptos::prelude::*;

/// What the labels are on: the words of the chips' controls say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Labelled {
    Conversation,
    Contact,
}

impl Labelled {
    const fn group(self) -> &'static str {
        match self {
            Self::Conversation => "Etiquetas do atendimento",
            Self::Contact => "Etiquetas do contato",
        }
    }

    fn remove(self, name: &str) -> String {
        match self {
            Self::Conversation => format!("Tirar a etiqueta {name}"),
            Self::Contact => format!("Tirar do contato a etiqueta {name}"),
        }
    }

    const fn add(self) -> &'static str {
        match self {
            Self::Conversation => "Adicionar etiqueta",
            Self::Contact => "Adicionar etiqueta ao contato",
        }
    }

    const fn prompt(self) -> &'static str {
        match self {
            Self::Conversation => "+ Etiqueta",
            Self::Contact => "+ Etiqueta do contato",
        }
    }
}

/// The labels `on` (ids) among `all`; `change` gets (label, put on) as the agent acts; nothing while `pending`.
#[component]
pub(crate) fn LabelChips(
    on: Vec<i64>,
    all: Vec<SavedLabel>,
    what: Labelled,
    pending: Signal<bool>,
    change: Callback<(i64, bool)>,
) -> impl IntoView {
    let shown: Vec<_> = named(&all, &on).into_iter().cloned().collect();
    let offered: Vec<_> = all.iter().filter(|saved| !on.contains(&saved.id)).cloned().collect();
    let none_yet = all.is_empty();
    view! {
        <div class="conversation-labels" class:contact-labels=what == Labelled::Contact aria-label=what.group()>
            {shown
                .into_iter()
                .map(|saved| {
                    let (label, name) = (saved.id, saved.label.name().to_owned());
                    view! {
                        <span class=format!("label-chip label-{}", saved.label.color().code())>
                            {name.clone()}
                            <button
                                type="button"
                                class="chip-remove"
                                aria-label=what.remove(&name)
                                disabled=move || pending.get()
                                on:click=move |_| change.run((label, false))
                            >
                                "×"
                            </button>
                        </span>
                    }
                })
                .collect_view()}
            <Show when=move || !none_yet>
                <select
                    class="add-label"
                    aria-label=what.add()
                    prop:value=""
                    disabled=move || pending.get()
                    on:change=move |ev| {
                        if let Ok(label) = event_target_value(&ev).parse::<i64>() {
                            change.run((label, true));
                        }
                    }
                >
                    <option value="">{what.prompt()}</option>
                    {offered
                        .iter()
                        .map(|saved| {
                            view! { <option value=saved.id.to_string()>{saved.label.name().to_owned()}</option> }
                        })
                        .collect_view()}
                </select>
            </Show>
        </div>
    }
}
