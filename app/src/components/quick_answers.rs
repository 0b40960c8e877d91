//! The `/` list of the message box: the saved answers that match what follows the slash, arrow keys to
//! choose, Enter (or a click) to put the answer, filled from the conversation, in the message box. What is
//! inserted is an ordinary draft: the agent may change it, and the window and queue rules apply when it is
//! sent.

use crate::components::picker::PickerOption;
use crate::quick_answers::{quick_answers, QuickAnswersData};
use atende_domain::quick_answer::{slash_query, suggestions, AnswerFile, SavedQuickAnswer, Values};
use leptos::prelude::*;

/// How many answers the list shows at once.
const SHOWN: usize = 8;

/// The list's state, shared by the message box (its keys) and the list (its clicks).
#[derive(Clone, Copy)]
pub(crate) struct QuickAnswerPicker {
    draft: RwSignal<String>,
    /// Fetched the first time the agent types a slash, not before.
    wanted: RwSignal<bool>,
    data: LocalResource<Option<QuickAnswersData>>,
    highlighted: RwSignal<usize>,
    /// Escape closes the list until the draft stops being a search.
    dismissed: RwSignal<bool>,
    /// The contact's name and the protocol, for the variables.
    contact: Signal<Option<(String, String)>>,
    /// The conversation's team: its answers and the global ones are offered.
    team: Signal<Option<i64>>,
    /// The file of the answer inserted last (its answer's id and the file): it goes with the text on "Enviar".
    pub(crate) attached: RwSignal<Option<(i64, AnswerFile)>>,
}

impl QuickAnswerPicker {
    pub(crate) fn new(
        draft: RwSignal<String>,
        contact: Signal<Option<(String, String)>>,
        team: Signal<Option<i64>>,
    ) -> Self {
        let wanted = RwSignal::new(false);
        let data = LocalResource::new(move || {
            let wanted = wanted.get();
            async move {
                if wanted {
                    quick_answers().await.ok()
                } else {
                    None
                }
            }
        });
        let (highlighted, dismissed) = (RwSignal::new(0), RwSignal::new(false));
        Effect::new(move |_| {
            let searching = slash_query(&draft.get()).is_some();
            if searching {
                wanted.set(true);
            } else {
                dismissed.set(false);
            }
            highlighted.set(0);
        });
        Self { draft, wanted, data, highlighted, dismissed, contact, team, attached: RwSignal::new(None) }
    }

    /// The answers shown now; `None` when the list is closed.
    fn shown(&self) -> Option<Vec<SavedQuickAnswer>> {
        if self.dismissed.get() {
            return None;
        }
        offered(&self.draft.get(), self.data.get().flatten()?, self.team.get())
    }

    fn insert(&self, chosen: &SavedQuickAnswer) {
        let data = self.data.get_untracked().flatten();
        let agent = data.map(|d| d.viewer.name).unwrap_or_default();
        let (contact, protocol) = self.contact.get_untracked().unwrap_or_default();
        let values = Values { contact_name: &contact, agent_name: &agent, protocol: &protocol };
        self.dismissed.set(true);
        self.attached.set(chosen.answer.file().map(|file| (chosen.id, file.clone())));
        self.draft.set(chosen.answer.fill(&values));
    }

    /// The message box's keys while the list is open: arrows choose, Enter or Tab inserts, Escape closes.
    /// `true` when the key was the list's (the message box must not act on it).
    pub(crate) fn key(&self, ev: &leptos::ev::KeyboardEvent) -> bool {
        if !self.is_open_untracked() {
            return false;
        }
        // While the list is open, Enter never sends: "/pix" is a search, not a message, even while the list
        // loads or finds nothing.
        let shown = self.shown_untracked().unwrap_or_default();
        let last = shown.len().saturating_sub(1);
        match ev.key().as_str() {
            "ArrowDown" if !shown.is_empty() => {
                self.highlighted.update(|i| *i = if *i >= last { 0 } else { *i + 1 });
            }
            "ArrowUp" if !shown.is_empty() => {
                self.highlighted.update(|i| *i = if *i == 0 { last } else { *i - 1 })
            }
            "Enter" | "Tab" if !ev.shift_key() && !ev.is_composing() => {
                if let Some(chosen) = shown.get(self.highlighted.get_untracked().min(last)) {
                    self.insert(chosen);
                }
            }
            "Escape" => self.dismissed.set(true),
            _ => return false,
        }
        ev.prevent_default();
        true
    }

    fn is_open_untracked(&self) -> bool {
        !self.dismissed.get_untracked()
            && slash_query(&self.draft.get_untracked()).is_some()
            && self.wanted.get_untracked()
    }

    fn shown_untracked(&self) -> Option<Vec<SavedQuickAnswer>> {
        offered(&self.draft.get_untracked(), self.data.get_untracked().flatten()?, self.team.get_untracked())
    }

    pub(crate) fn is_open(&self) -> bool {
        !self.dismissed.get() && slash_query(&self.draft.get()).is_some() && self.wanted.get()
    }
}

/// The answers the list offers for `draft` in a conversation of `team`, if the draft is a `/` search.
fn offered(draft: &str, data: QuickAnswersData, team: Option<i64>) -> Option<Vec<SavedQuickAnswer>> {
    let query = slash_query(draft)?;
    let usable: Vec<SavedQuickAnswer> =
        data.answers.into_iter().filter(|s| s.scope.offered_in(&data.viewer, team)).collect();
    Some(suggestions(&usable, query, SHOWN).into_iter().cloned().collect())
}

#[component]
pub(crate) fn QuickAnswerList(picker: QuickAnswerPicker) -> impl IntoView {
    let rows = move || {
        let shown = picker.shown()?;
        let highlighted = picker.highlighted.get().min(shown.len().saturating_sub(1));
        if shown.is_empty() {
            return Some(
                view! {
                    <li class="muted quick-empty">
                        "Nenhuma resposta rápida encontrada. "
                        <a href="/respostas-rapidas">"Gerenciar respostas rápidas"</a>
                    </li>
                }
                .into_any(),
            );
        }
        Some(
            shown
                .into_iter()
                .enumerate()
                .map(|(i, saved)| {
                    let title = saved.answer.title().to_owned();
                    let text = saved.answer.text().to_owned();
                    let file = saved.answer.file().map(|file| format!("📎 {}", file.name));
                    let on_pick = Callback::new(move |()| picker.insert(&saved));
                    view! {
                        <PickerOption selected=i == highlighted on_pick>
                            <strong>{title}</strong>
                            <span class="muted">{text}</span>
                            {file.map(|f| view! { <span class="muted">{f}</span> })}
                        </PickerOption>
                    }
                })
                .collect_view()
                .into_any(),
        )
    };
    view! {
        <Show when=move || picker.is_open()>
            <div class="quick-answers">
                <p class="quick-title">"Respostas rápidas"<span class="muted">" · ↑↓ escolhe, Enter insere, Esc fecha"</span></p>
                <ul role="listbox" aria-label="Respostas rápidas">
                    {move || match picker.data.get() {
                        None => Some(view! { <li class="muted">"Carregando…"</li> }.into_any()),
                        Some(_) => rows(),
                    }}
                </ul>
            </div>
        </Show>
    }
}
