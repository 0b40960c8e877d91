//! "Respostas rápidas": the saved answers an agent inserts with `/`, kept here. Admins keep those of every
//! team and any team's; an agent those of their teams. The same checks run as the agent types (the browser)
//! and when "Salvar" arrives (the server); a refusal changes nothing.

use crate::components::row_actions::EditOrDelete;
use crate::quick_answers::{quick_answers, DeleteQuickAnswer, QuickAnswersData, SaveQuickAnswer};
use atende_domain::quick_answer::{
    AnswerFile, QuickAnswer, QuickAnswerForm, SavedQuickAnswer, Scope, Variable,
};
use leptos::prelude::*;

#[component]
pub(crate) fn RespostasPage() -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let data = crate::wire::load(move || version.get(), |_| quick_answers());
    let changed = Callback::new(move |()| version.update(|v| *v += 1));
    let search = RwSignal::new(String::new());
    // The answer being changed (its form above the list), or `None` for a new one.
    let editing = RwSignal::new(None::<SavedQuickAnswer>);
    view! {
        <div class="crm quick-answers-page">
            <header class="crm-header">
                <a href="/" class="back">"← Atendimentos"</a>
                <h1>"Respostas rápidas"</h1>
            </header>
            <Transition fallback=|| view! { <p class="muted">"Carregando…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(data) => view! { <Answers data search editing changed /> }.into_any(),
                        Err(error) => view! { <p role="alert" class="error">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

fn scope_label(scope: Scope, data: &QuickAnswersData) -> String {
    match scope {
        Scope::Global => "Todas as equipes".to_owned(),
        Scope::Team(team) => data
            .teams
            .iter()
            .find(|t| t.id == team)
            .map_or_else(|| format!("Equipe {team}"), |t| format!("Equipe {}", t.name)),
    }
}

#[component]
fn Answers(
    data: QuickAnswersData,
    search: RwSignal<String>,
    editing: RwSignal<Option<SavedQuickAnswer>>,
    changed: Callback<()>,
) -> impl IntoView {
    let data = StoredValue::new(data);
    let rows = move || {
        let data = data.get_value();
        let query = search.get();
        let shown: Vec<SavedQuickAnswer> =
            data.answers.iter().filter(|saved| saved.answer.matches(&query)).cloned().collect();
        if shown.is_empty() {
            return view! { <p class="muted empty-list">"Nenhuma resposta rápida encontrada."</p> }
                .into_any();
        }
        view! {
            <ul class="rows" aria-label="Respostas rápidas">
                {shown
                    .into_iter()
                    .map(|saved| {
                        let label = scope_label(saved.scope, &data);
                        let mine = saved.scope.managed_by(&data.viewer);
                        view! { <AnswerRow saved label mine editing changed /> }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <AnswerForm data=data.get_value() editing changed />
        <div class="crm-tools">
            <input
                type="search"
                class="search"
                aria-label="Pesquisar respostas rápidas"
                placeholder="Pesquisar respostas rápidas"
                bind:value=search
            />
        </div>
        {rows}
    }
}

#[component]
fn AnswerRow(
    saved: SavedQuickAnswer,
    label: String,
    mine: bool,
    editing: RwSignal<Option<SavedQuickAnswer>>,
    changed: Callback<()>,
) -> impl IntoView {
    let delete = ServerAction::<DeleteQuickAnswer>::new();
    let id = saved.id;
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            // The answer being changed above is gone: the form is a new one again.
            if editing.get_untracked().is_some_and(|e| e.id == id) {
                editing.set(None);
            }
            changed.run(());
        }
    });
    let title = saved.answer.title().to_owned();
    let text = saved.answer.text().to_owned();
    let attached = saved
        .answer
        .file()
        .map(|file| format!("📎 {} ({})", file.name, atende_domain::inbound_media::size_label(file.size)));
    let question = format!("Apagar “{title}”?");
    let stored = StoredValue::new(saved.clone());
    view! {
        <li class="row quick-answer-row">
            <div class="row-main">
                <strong>{title}</strong>
                <span class="badge">{label}</span>
            </div>
            <p class="quick-text">{text}</p>
            {attached.map(|a| view! { <p class="quick-file muted">{a}</p> })}
            <Show when=move || mine>
                <EditOrDelete
                    question=question.clone()
                    on_edit=Callback::new(move |()| editing.set(Some(stored.get_value())))
                    on_delete=Callback::new(move |()| {
                        delete.dispatch(DeleteQuickAnswer { id });
                    })
                    pending=delete.pending()
                    error=Signal::derive(move || match delete.value().get() {
                        Some(Err(e)) => Some(e.to_string()),
                        _ => None,
                    })
                />
            </Show>
        </li>
    }
}

/// "Nova resposta rápida", or the answer being changed.
#[component]
fn AnswerForm(
    data: QuickAnswersData,
    editing: RwSignal<Option<SavedQuickAnswer>>,
    changed: Callback<()>,
) -> impl IntoView {
    let viewer = data.viewer.clone();
    // Where this agent may keep answers: every team's (admins), then each team they may act for.
    let places: Vec<(String, String)> = std::iter::once(Scope::Global)
        .chain(data.teams.iter().map(|t| Scope::Team(t.id)))
        .filter(|scope| scope.managed_by(&viewer))
        .map(|scope| (scope.team().map(|t| t.to_string()).unwrap_or_default(), scope_label(scope, &data)))
        .collect();
    let first = places.first().map(|(value, _)| value.clone()).unwrap_or_default();
    let (title, text, team) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(first.clone()));
    let file = RwSignal::new(None::<AnswerFile>);
    // A file going up, and which form it is for: one that arrives after the form changed (another answer
    // edited, the form emptied) is not this form's.
    let uploading = RwSignal::new(None::<String>);
    let (epoch, picked_in) = (StoredValue::new(0_u32), StoredValue::new(0_u32));
    Effect::new(move |_| {
        if uploading.get().is_some() {
            picked_in.set_value(epoch.get_value());
        }
    });
    let next_form = move || epoch.update_value(|e| *e += 1);
    let tried = RwSignal::new(false);
    let save = ServerAction::<SaveQuickAnswer>::new();
    // "Editar" fills the form; "Salvar" that went through empties it.
    Effect::new(move |_| {
        if let Some(saved) = editing.get() {
            title.set(saved.answer.title().to_owned());
            text.set(saved.answer.text().to_owned());
            team.set(saved.scope.team().map(|t| t.to_string()).unwrap_or_default());
            file.set(saved.answer.file().cloned());
            next_form();
            tried.set(false);
        }
    });
    let first_place = first.clone();
    let first = StoredValue::new(first);
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            editing.set(None);
            title.set(String::new());
            text.set(String::new());
            team.set(first_place.clone());
            file.set(None);
            next_form();
            tried.set(false);
            changed.run(());
        }
    });
    let form = move || QuickAnswerForm {
        title: title.get(),
        text: text.get(),
        team: team.get().parse::<i64>().ok(),
        file: file.get(),
    };
    let viewer = StoredValue::new(viewer);
    let problem = move || {
        let local = tried.get().then(|| form().validate(&viewer.get_value()).err()).flatten();
        local.map(|e| e.to_string()).or_else(|| match save.value().get() {
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        let form = form();
        if form.validate(&viewer.get_value()).is_ok() {
            let id = editing.get_untracked().map(|saved| saved.id);
            save.dispatch(SaveQuickAnswer { id, form });
        }
    };
    let preview = move || {
        let answer = QuickAnswer::parse_with(&title.get(), &text.get(), file.get()).ok()?;
        let values = atende_domain::quick_answer::Values {
            contact_name: "Maria da Silva",
            agent_name: &viewer.get_value().name,
            protocol: "2026-000123",
        };
        Some(answer.fill(&values))
    };
    let variables = Variable::ALL.map(|v| format!("{{{{{}}}}}", v.code())).join(" ");
    let no_place = places.is_empty();
    view! {
        <form class="admin-section quick-answer-form" aria-label="Resposta rápida" on:submit=submit novalidate>
            <h2>{move || if editing.get().is_some() { "Editar resposta rápida" } else { "Nova resposta rápida" }}</h2>
            <label>"Título" <input type="text" bind:value=title maxlength="60" /></label>
            <label>
                "Texto"
                <textarea rows="4" bind:value=text></textarea>
            </label>
            <p class="muted">"Variáveis: " {variables} " (preenchidas com o contato, o agente e o protocolo do atendimento)."</p>
            <crate::components::files::AnswerFilePicker
                chosen=file.into()
                on_kept=Callback::new(move |kept: Option<AnswerFile>| {
                    if kept.is_none() || picked_in.get_value() == epoch.get_value() {
                        file.set(kept);
                    }
                })
                uploading
            />
            <p class="muted">"O anexo vai junto: o texto vira a legenda quando o canal aceita (WhatsApp); senão segue numa mensagem depois do arquivo."</p>
            <label>
                "Equipe"
                <select prop:value=move || team.get() on:change=move |ev| team.set(event_target_value(&ev)) disabled=no_place>
                    {places
                        .into_iter()
                        .map(|(value, label)| view! { <option value=value>{label}</option> })
                        .collect_view()}
                </select>
            </label>
            {move || preview().map(|p| view! { <p class="quick-preview" aria-label="Prévia"><span class="muted">"Prévia: "</span>{p}</p> })}
            <p class="field-error" role="alert">{problem}</p>
            <div class="form-actions">
                <Show when=move || editing.get().is_some()>
                    <button
                        type="button"
                        class="secondary"
                        on:click=move |_| {
                            editing.set(None);
                            title.set(String::new());
                            text.set(String::new());
                            team.set(first.get_value());
                            file.set(None);
                            next_form();
                            tried.set(false);
                        }
                    >
                        "Cancelar edição"
                    </button>
                </Show>
                <button type="submit" class="primary" disabled=move || save.pending().get() || no_place || uploading.get().is_some()>"Salvar"</button>
            </div>
        </form>
    }
}
