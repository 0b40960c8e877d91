//! The `@` list of a note: typing `@` and the start of a name in "Nota interna" lists the agents the note may
//! name (those who may answer the conversation, as "Salvar nota" reads them), arrow keys to choose, Enter
//! (or a click) to complete the name. What is inserted is ordinary text: the server finds the names again
//! when the note is saved.

use crate::api::note_agents;
use crate::components::picker::PickerOption;
use atende_domain::conversation::AgentId;
use atende_domain::note::{complete_mention, mention_query, mention_suggestions};
use leptos::prelude::*;

/// How many agents the list shows at once.
const SHOWN: usize = 6;

/// The list's state, shared by the message box (its keys) and the list (its clicks).
#[derive(Clone, Copy)]
pub(crate) struct MentionPicker {
    draft: RwSignal<String>,
    /// Only while a note is being written.
    active: Signal<bool>,
    /// The agents, fetched the first time the agent types an `@` in a note, not before.
    data: LocalResource<Option<Vec<(AgentId, String)>>>,
    highlighted: RwSignal<usize>,
    /// Escape closes the list until the draft stops ending in an `@`.
    dismissed: RwSignal<bool>,
}

impl MentionPicker {
    pub(crate) fn new(draft: RwSignal<String>, active: Signal<bool>, conversation: i64) -> Self {
        let wanted = RwSignal::new(false);
        let data = LocalResource::new(move || {
            let wanted = wanted.get();
            async move {
                if !wanted {
                    return None;
                }
                let agents = note_agents(conversation).await.ok()?;
                Some(agents.into_iter().map(|a| (a.id, a.name)).collect())
            }
        });
        let (highlighted, dismissed) = (RwSignal::new(0), RwSignal::new(false));
        Effect::new(move |_| {
            let typing = active.get() && mention_query(&draft.get()).is_some();
            if typing {
                wanted.set(true);
            } else {
                dismissed.set(false);
            }
            highlighted.set(0);
        });
        Self { draft, active, data, highlighted, dismissed }
    }

    /// The agents offered for `draft`, if it ends in an `@` being typed.
    fn offered(draft: &str, agents: &[(AgentId, String)]) -> Option<Vec<(AgentId, String)>> {
        let (_, query) = mention_query(draft)?;
        Some(mention_suggestions(agents, query, SHOWN).into_iter().cloned().collect())
    }

    fn shown(&self) -> Option<Vec<(AgentId, String)>> {
        if self.dismissed.get() || !self.active.get() {
            return None;
        }
        Self::offered(&self.draft.get(), &self.data.get().flatten()?)
    }

    fn shown_untracked(&self) -> Option<Vec<(AgentId, String)>> {
        if self.dismissed.get_untracked() || !self.active.get_untracked() {
            return None;
        }
        Self::offered(&self.draft.get_untracked(), &self.data.get_untracked().flatten()?)
    }

    fn insert(&self, name: &str) {
        let draft = self.draft.get_untracked();
        if let Some((at, _)) = mention_query(&draft) {
            self.draft.set(complete_mention(&draft, at, name));
        }
        self.dismissed.set(true);
    }

    /// The message box's keys while the list shows agents: arrows choose, Enter or Tab completes, Escape
    /// closes. `true` when the key was the list's (the message box must not act on it).
    pub(crate) fn key(&self, ev: &leptos::ev::KeyboardEvent) -> bool {
        let shown = match self.shown_untracked() {
            Some(shown) if !shown.is_empty() => shown,
            _ => return false,
        };
        let last = shown.len() - 1;
        match ev.key().as_str() {
            "ArrowDown" => self.highlighted.update(|i| *i = if *i >= last { 0 } else { *i + 1 }),
            "ArrowUp" => self.highlighted.update(|i| *i = if *i == 0 { last } else { *i - 1 }),
            "Enter" | "Tab" if !ev.shift_key() && !ev.is_composing() => {
                let (_, name) = &shown[self.highlighted.get_untracked().min(last)];
                self.insert(name);
            }
            "Escape" => self.dismissed.set(true),
            _ => return false,
        }
        ev.prevent_default();
        true
    }
}

#[component]
pub(crate) fn MentionList(picker: MentionPicker) -> impl IntoView {
    let rows = move || {
        let shown = picker.shown().filter(|s| !s.is_empty())?;
        let highlighted = picker.highlighted.get().min(shown.len() - 1);
        Some(
            shown
                .into_iter()
                .enumerate()
                .map(|(i, (_, name))| {
                    let label = name.clone();
                    let on_pick = Callback::new(move |()| picker.insert(&name));
                    view! {
                        <PickerOption selected=i == highlighted on_pick>
                            <strong>"@" {label}</strong>
                        </PickerOption>
                    }
                })
                .collect_view(),
        )
    };
    view! {
        {move || rows().map(|rows| view! {
            <div class="quick-answers mentions">
                <p class="quick-title">"Mencionar"<span class="muted">" · ↑↓ escolhe, Enter completa, Esc fecha"</span></p>
                <ul role="listbox" aria-label="Agentes para mencionar">{rows}</ul>
            </div>
        })}
    }
}
