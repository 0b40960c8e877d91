//! "Horário de atendimento": each team's opening hours, whether it is open now, and the automatic answer a
//! contact who writes while it is closed may get (off by default; its price said where it is turned on). An
//! admin changes them; the same checks run as they type (the browser) and when "Salvar" arrives (the
//! server).

use crate::hours::{hours_of_teams, HoursData, SaveTeamHours, TeamHours};
use atende_domain::hours::{DayForm, HoursForm, OpeningHours, BRASILIA_OFFSET_MINUTES, WEEKDAYS};
use leptos::prelude::*;

/// Brazil's time zones, as the select offers them.
const ZONES: [(i32, &str); 4] = [
    (-120, "Fernando de Noronha (UTC−2)"),
    (BRASILIA_OFFSET_MINUTES, "Brasília (UTC−3)"),
    (-240, "Amazonas, Mato Grosso, Rondônia, Roraima (UTC−4)"),
    (-300, "Acre (UTC−5)"),
];

#[component]
pub(crate) fn HorarioPage() -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let data = crate::wire::load(move || version.get(), |_| hours_of_teams());
    let changed = Callback::new(move |()| version.update(|v| *v += 1));
    view! {
        <div class="crm hours-page">
            <header class="crm-header">
                <a href="/" class="back">"← Atendimentos"</a>
                <h1>"Horário de atendimento"</h1>
            </header>
            <p class="muted">
                "Fora do horário, quem escreve espera em “Não atribuídos” até a equipe voltar. Uma equipe sem horário está sempre aberta."
            </p>
            <Transition fallback=|| view! { <p class="muted">"Carregando…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(HoursData { teams, manages, price }) => view! {
                            <ul class="rows hours-list" aria-label="Equipes">
                                {teams
                                    .into_iter()
                                    .map(|team| view! { <TeamRow team manages price=price.clone() changed /> })
                                    .collect_view()}
                            </ul>
                        }
                        .into_any(),
                        Err(error) => view! { <p role="alert" class="error">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn TeamRow(team: TeamHours, manages: bool, price: String, changed: Callback<()>) -> impl IntoView {
    let editing = RwSignal::new(false);
    let name = team.name();
    let id = team.team.as_ref().map(|t| t.id);
    let summary = team.hours.as_ref().map_or_else(|| "Sempre aberta".to_owned(), OpeningHours::summary);
    let hours = team.hours.clone();
    let status = move || hours.as_ref().map(|h| h.status(crate::clock::now()));
    let answer = team.hours.as_ref().and_then(|h| h.auto_answer.clone());
    let edit_label = format!("Editar horário de {name}");
    view! {
        <li class="row hours-row" aria-label=name.clone()>
            <div class="hours-head">
                <h2>{name.clone()}</h2>
                {id.is_none().then(|| view! { <p class="muted">"Onde chega a primeira mensagem de um contato novo."</p> })}
                <p class="hours-summary">{summary}</p>
                <p class="muted hours-status" role="status">{status}</p>
                {answer.map(|text| view! { <p class="muted">"Resposta automática: “" {text} "”"</p> })}
                <Show when=move || manages && !editing.get()>
                    <button type="button" class="link" aria-label=edit_label.clone()
                        on:click=move |_| editing.set(true)>"Editar"</button>
                </Show>
            </div>
            <Show when=move || editing.get()>
                <HoursEditor team=id hours=team.hours.clone() price=price.clone()
                    on_done=Callback::new(move |()| { editing.set(false); changed.run(()); })
                    on_cancel=Callback::new(move |()| editing.set(false)) />
            </Show>
        </li>
    }
}

#[component]
fn HoursEditor(
    team: Option<i64>,
    hours: Option<OpeningHours>,
    price: String,
    on_done: Callback<()>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let start = hours.unwrap_or_default().form();
    let days: Vec<(RwSignal<bool>, RwSignal<String>, RwSignal<String>)> = start
        .days
        .iter()
        .map(|d| (RwSignal::new(d.open), RwSignal::new(d.opens.clone()), RwSignal::new(d.closes.clone())))
        .collect();
    let offset = RwSignal::new(start.utc_offset_minutes);
    let answer_on = RwSignal::new(start.auto_answer_on);
    let answer = RwSignal::new(start.auto_answer.clone());
    let days_read = days.clone();
    let form = move || HoursForm {
        days: days_read
            .iter()
            .map(|(open, opens, closes)| DayForm {
                open: open.get(),
                opens: opens.get(),
                closes: closes.get(),
            })
            .collect(),
        utc_offset_minutes: offset.get(),
        auto_answer_on: answer_on.get(),
        auto_answer: answer.get(),
    };
    let form_check = form.clone();
    // The domain's checks as the admin types: the same the server runs on "Salvar".
    let problem = move || OpeningHours::parse(&form_check()).err().map(|e| e.to_string());
    let problem_shown = problem.clone();
    let save = ServerAction::<SaveTeamHours>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            on_done.run(());
        }
    });
    let rows = days
        .into_iter()
        .enumerate()
        .map(|(i, (open, opens, closes))| {
            let day = WEEKDAYS[i];
            view! {
                <div class="day" role="group" aria-label=day>
                    <label class="check"><input type="checkbox" bind:checked=open />{day}</label>
                    <label>"Abre" <input type="time" aria-label=format!("{day}: abre") bind:value=opens disabled=move || !open.get() /></label>
                    <label>"Fecha" <input type="time" aria-label=format!("{day}: fecha") bind:value=closes disabled=move || !open.get() /></label>
                </div>
            }
        })
        .collect_view();
    view! {
        <form class="hours-editor" on:submit=move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if problem().is_none() {
                save.dispatch(SaveTeamHours { team, form: Some(form()) });
            }
        }>
            <div class="days">{rows}</div>
            <label>"Fuso horário"
                <select on:change=move |ev| offset.set(event_target_value(&ev).parse().unwrap_or(BRASILIA_OFFSET_MINUTES))>
                    {ZONES.iter().map(|&(minutes, label)| view! {
                        <option value=minutes.to_string() selected=move || offset.get() == minutes>{label}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="check">
                <input type="checkbox" bind:checked=answer_on />
                "Responder automaticamente a quem escrever fora do horário"
            </label>
            <Show when=move || answer_on.get()>
                <textarea aria-label="Resposta automática" rows="3" bind:value=answer
                    placeholder="Olá! Nosso horário é de segunda a sexta, das 8h às 18h. Responderemos assim que voltarmos."></textarea>
                <p class="muted price">{price.clone()}</p>
            </Show>
            <p class="error" role="alert">
                {move || problem_shown().or_else(|| match save.value().get() {
                    Some(Err(e)) => Some(e.to_string()),
                    _ => None,
                })}
            </p>
            <div class="actions">
                <button type="submit" class="primary" disabled=move || save.pending().get()>"Salvar"</button>
                <button type="button" on:click=move |_| { save.dispatch(SaveTeamHours { team, form: None }); }>
                    "Sempre aberta"
                </button>
                <button type="button" class="link" on:click=move |_| on_cancel.run(())>"Cancelar"</button>
            </div>
        </form>
    }
}
