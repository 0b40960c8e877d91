//! Administração: agents ("Novo agente", "Redefinir senha", "Desativar"), teams ("Nova equipe"), API tokens
//! ("Criar token" for every team or some, "Revogar"), each channel's templates with their status ("Sincronizar agora"), and the rate card behind the
//! price estimates. Only admins get the data; everyone else reads why.

use crate::admin::{
    admin_overview, AdminData, CreateAgent, CreateTeam, CreateToken, ResetPassword, RevokeToken,
    SetAgentActive, SetAgentTeams, SyncTemplates,
};
use crate::admin::{
    ChannelRow, ParamRow, RetryWebhook, SaveChannel, SaveRateCard, SetTemplateLabels, SetTemplateService,
};
use atende_domain::access::{AgentForm, Role};
use atende_domain::channel_setup::{field_label, provider_id_label, secret_labels, ChannelSetupForm};
use atende_domain::conversation::ChannelKind;
use leptos::prelude::*;

#[component]
pub(crate) fn AdminPage() -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let data = crate::wire::load(move || version.get(), |_| admin_overview());
    let changed = Callback::new(move |()| version.update(|v| *v += 1));
    // Kept here, above the sections the reload renders again: the new token (shown once) and the outcome of
    // "Sincronizar agora" must stay on screen after the lists refresh.
    let shown_token = RwSignal::new(None::<String>);
    let sync = ServerAction::<SyncTemplates>::new();
    // The sections are mounted once and follow the data: a reload after one section's action refreshes the
    // lists without clearing what is being typed in another section's form.
    let current = RwSignal::new(None::<Result<AdminData, String>>);
    Effect::new(move |_| match data.get() {
        Some(Ok(loaded)) => current.set(Some(Ok(loaded))),
        Some(Err(error)) => current.set(Some(Err(error.to_string()))),
        None => {}
    });
    let data = Signal::derive(move || match current.get() {
        Some(Ok(loaded)) => loaded,
        _ => AdminData::default(),
    });
    let ready = move || matches!(current.get(), Some(Ok(_)));
    view! {
        <div class="crm admin">
            <header class="crm-header">
                <a href="/" class="back">"← Atendimentos"</a>
                <h1>"Administração"</h1>
            </header>
            <Show
                when=ready
                fallback=move || match current.get() {
                    Some(Err(error)) => view! { <p role="alert" class="error">{error}</p> }.into_any(),
                    _ => view! { <p class="muted">"Carregando…"</p> }.into_any(),
                }
            >
                <Channels data changed />
                <Agents data changed />
                <Teams data changed />
                <Tokens data changed shown=shown_token />
                <Templates data changed sync />
                <Prices data changed />
                <SetAside data changed />
            </Show>
        </div>
    }
}

/// "Webhooks não aplicados": what providers delivered and Atende could not apply after several tries, with
/// the reason, and "Tentar de novo" (after a fix). Shown only when there is any.
#[component]
fn SetAside(data: Signal<AdminData>, changed: Callback<()>) -> impl IntoView {
    let retry = ServerAction::<RetryWebhook>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = retry.value().get() {
            changed.run(());
        }
    });
    view! {
        <Show when=move || !data.get().set_aside.is_empty()>
            <section class="admin-section" aria-label="Webhooks não aplicados">
                <h2>"Webhooks não aplicados"</h2>
                <p class="muted">
                    "O provedor entregou e o Atende guardou, mas não conseguiu aplicar depois de várias tentativas. \
                     As mensagens seguintes não esperam por eles."
                </p>
                <ul class="rows">
                    {move || data
                        .get()
                        .set_aside
                        .into_iter()
                        .map(|w| {
                            let id = w.id;
                            let label = format!("Tentar de novo o webhook {id}");
                            view! {
                                <li class="row set-aside">
                                    <span class="row-name">
                                        {format!("#{id} · {} · {}", w.provider, w.received_at.utc_date_label())}
                                    </span>
                                    <span class="muted">{format!("{} tentativas: {}", w.attempts, w.reason)}</span>
                                    <code class="excerpt">{w.excerpt}</code>
                                    <button
                                        type="button"
                                        class="secondary"
                                        aria-label=label
                                        on:click=move |_| {
                                            retry.dispatch(RetryWebhook { receipt: id });
                                        }
                                    >
                                        "Tentar de novo"
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
                <p class="field-error" role="alert">{error_of(retry)}</p>
            </section>
        </Show>
    }
}

/// What an action's last answer refused, in the admin's words.
fn error_of<T: Clone + Send + Sync + 'static>(
    action: ServerAction<
        impl leptos::server_fn::ServerFn<Output = T, Error = crate::error::AppError> + Clone + Sync + 'static,
    >,
) -> impl Fn() -> Option<String> + Copy {
    move || match action.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    }
}

#[component]
fn Agents(data: Signal<AdminData>, changed: Callback<()>) -> impl IntoView {
    let create = ServerAction::<CreateAgent>::new();
    let toggle = ServerAction::<SetAgentActive>::new();
    let save_teams = ServerAction::<SetAgentTeams>::new();
    let reset = ServerAction::<ResetPassword>::new();
    // "Redefinir senha" of one agent: who (id, name) and the new password typed.
    let resetting = RwSignal::new(None::<(i64, String)>);
    let new_password = RwSignal::new(String::new());
    let reset_tried = RwSignal::new(false);
    let reset_done = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(())) = reset.value().get() {
            if let Some((_, name)) = resetting.get_untracked() {
                reset_done
                    .set(Some(format!("Senha de {name} redefinida: as sessões dela foram encerradas.")));
            }
            resetting.set(None);
            new_password.set(String::new());
            reset_tried.set(false);
        }
    });
    let reset_problem = move || {
        let local = reset_tried
            .get()
            .then(|| {
                atende_domain::access::check_new_password(&new_password.get()).err().map(|e| e.to_string())
            })
            .flatten();
        local.or_else(error_of(reset))
    };
    // "Equipes" of one agent: who (id, name) and the teams ticked.
    let editing = RwSignal::new(None::<i64>);
    let membership = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<i64>::new());
    let all_teams = Signal::derive(move || data.get().teams);
    Effect::new(move |_| {
        if let Some(Ok(())) = save_teams.value().get() {
            editing.set(None);
            changed.run(());
        }
    });
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new("agent".to_owned());
    let teams = RwSignal::new(Vec::<i64>::new());
    let tried = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            name.set(String::new());
            email.set(String::new());
            password.set(String::new());
            teams.set(Vec::new());
            tried.set(false);
            changed.run(());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = toggle.value().get() {
            changed.run(());
        }
    });
    let form = move || AgentForm {
        name: name.get(),
        email: email.get(),
        password: password.get(),
        role: role.get(),
        teams: teams.get(),
    };
    let problem = move || {
        let local = tried.get().then(|| form().validate().err().map(|e| e.to_string())).flatten();
        local.or_else(error_of(create))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        let form = form();
        if form.validate().is_ok() {
            create.dispatch(CreateAgent { form });
        }
    };
    view! {
        <section class="admin-section" aria-label="Agentes">
            <h2>"Agentes"</h2>
            <table>
                <thead>
                    <tr><th>"Nome"</th><th>"E-mail"</th><th>"Perfil"</th><th>"Equipes"</th><th>"Situação"</th><th></th></tr>
                </thead>
                <tbody>
                    {move || {
                        let data = data.get();
                        let me = data.me;
                        let name_of = |id: i64| {
                            data.teams.iter().find(|t| t.id == id).map(|t| t.name.clone()).unwrap_or_default()
                        };
                        data.agents
                        .iter()
                        .map(|agent| {
                            let id = agent.id;
                            let active = agent.active;
                            let label = if active { format!("Desativar {}", agent.name) } else { format!("Reativar {}", agent.name) };
                            let teams: Vec<String> = agent.teams.iter().map(|t| name_of(*t)).collect();
                            let edit = (id, agent.name.clone(), agent.teams.clone());
                            let teams_label = format!("Equipes de {}", agent.name);
                            let reset_label = format!("Redefinir senha de {}", agent.name);
                            let who = agent.name.clone();
                            view! {
                                <tr>
                                    <td>{agent.name.clone()}</td>
                                    <td>{agent.email.clone()}</td>
                                    <td>{agent.role.label()}</td>
                                    <td>{teams.join(", ")}</td>
                                    <td>{if active { "Ativo" } else { "Desativado" }}</td>
                                    <td class="row-actions">
                                        <button
                                            type="button"
                                            class="secondary"
                                            aria-label=teams_label
                                            on:click=move |_| {
                                                membership.set(edit.1.clone());
                                                chosen.set(edit.2.clone());
                                                editing.set(Some(edit.0));
                                            }
                                        >
                                            "Equipes"
                                        </button>
                                        <button
                                            type="button"
                                            class="secondary"
                                            aria-label=reset_label
                                            on:click=move |_| {
                                                reset_done.set(None);
                                                new_password.set(String::new());
                                                reset_tried.set(false);
                                                resetting.set(Some((id, who.clone())));
                                            }
                                        >
                                            "Redefinir senha"
                                        </button>
                                        <Show when=move || id != me>
                                            <button
                                                type="button"
                                                class="secondary"
                                                aria-label=label.clone()
                                                on:click=move |_| {
                                                    toggle.dispatch(SetAgentActive { agent: id, active: !active });
                                                }
                                            >
                                                {if active { "Desativar" } else { "Reativar" }}
                                            </button>
                                        </Show>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()
                    }}
                </tbody>
            </table>
            <p class="error" role="alert">{error_of(toggle)}</p>
            <p role="status">{move || reset_done.get()}</p>
            <Show when=move || resetting.get().is_some()>
                <form
                    class="admin-form"
                    aria-label=move || format!("Redefinir senha de {}", resetting.get().map(|r| r.1).unwrap_or_default())
                    on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        reset_tried.set(true);
                        let password = new_password.get_untracked();
                        if let (Some((agent, _)), Ok(())) =
                            (resetting.get_untracked(), atende_domain::access::check_new_password(&password))
                        {
                            reset.dispatch(ResetPassword { agent, password });
                        }
                    }
                    novalidate
                >
                    <h3>{move || format!("Redefinir senha de {}", resetting.get().map(|r| r.1).unwrap_or_default())}</h3>
                    <p class="muted">"A pessoa sai de todas as sessões e entra de novo com a nova senha."</p>
                    <label>"Nova senha" <input type="password" autocomplete="new-password" bind:value=new_password /></label>
                    <p class="field-error" role="alert">{reset_problem}</p>
                    <div class="form-actions">
                        <button type="button" class="secondary" on:click=move |_| resetting.set(None)>"Cancelar"</button>
                        <button type="submit" class="primary" disabled=move || reset.pending().get()>"Salvar senha"</button>
                    </div>
                </form>
            </Show>
            <Show when=move || editing.get().is_some()>
                <form
                    class="admin-form"
                    aria-label=move || format!("Equipes de {}", membership.get())
                    on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        if let Some(agent) = editing.get_untracked() {
                            save_teams.dispatch(SetAgentTeams { agent, teams: chosen.get_untracked() });
                        }
                    }
                >
                    <h3>{move || format!("Equipes de {}", membership.get())}</h3>
                    <TeamChecks teams=all_teams chosen />
                    <p class="field-error" role="alert">{error_of(save_teams)}</p>
                    <div class="form-actions">
                        <button type="button" class="secondary" on:click=move |_| editing.set(None)>"Cancelar"</button>
                        <button type="submit" class="primary" disabled=move || save_teams.pending().get()>"Salvar equipes"</button>
                    </div>
                </form>
            </Show>
            <form class="admin-form" aria-label="Novo agente" on:submit=submit novalidate>
                <h3>"Novo agente"</h3>
                <label>"Nome" <input type="text" bind:value=name /></label>
                <label>"E-mail" <input type="email" bind:value=email /></label>
                <label>"Senha" <input type="password" autocomplete="new-password" bind:value=password /></label>
                <label>
                    "Perfil"
                    <select on:change=move |ev| role.set(event_target_value(&ev)) prop:value=move || role.get()>
                        <option value="agent">{Role::Agent.label()}</option>
                        <option value="admin">{Role::Admin.label()}</option>
                    </select>
                </label>
                <TeamChecks teams=all_teams chosen=teams />
                <p class="field-error" role="alert">{problem}</p>
                <button type="submit" class="primary" disabled=move || create.pending().get()>"Salvar"</button>
            </form>
        </section>
    }
}

#[component]
fn Teams(data: Signal<AdminData>, changed: Callback<()>) -> impl IntoView {
    let create = ServerAction::<CreateTeam>::new();
    let name = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            name.set(String::new());
            changed.run(());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateTeam { name: name.get_untracked() });
    };
    view! {
        <section class="admin-section" aria-label="Equipes">
            <h2>"Equipes"</h2>
            <ul class="rows">
                {move || data
                    .get()
                    .teams
                    .iter()
                    .map(|t| {
                        let members = match t.members {
                            1 => "1 agente".to_owned(),
                            n => format!("{n} agentes"),
                        };
                        view! { <li class="row"><span class="row-name">{t.name.clone()}</span><span class="muted">{members}</span></li> }
                    })
                    .collect_view()}
            </ul>
            <form class="admin-form inline" aria-label="Nova equipe" on:submit=submit novalidate>
                <label>"Nome da equipe" <input type="text" bind:value=name /></label>
                <button type="submit" class="primary" disabled=move || create.pending().get()>"Criar equipe"</button>
                <p class="field-error" role="alert">{error_of(create)}</p>
            </form>
        </section>
    }
}

#[component]
fn Tokens(data: Signal<AdminData>, changed: Callback<()>, shown: RwSignal<Option<String>>) -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let name = RwSignal::new(String::new());
    // Every team by default (what an ERP of the whole business needs); unticked, the teams to reach.
    let all_teams = RwSignal::new(true);
    let teams = RwSignal::new(Vec::<i64>::new());
    let team_rows = Signal::derive(move || data.get().teams);
    let tried = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(token)) = create.value().get() {
            shown.set(Some(token));
            name.set(String::new());
            all_teams.set(true);
            teams.set(Vec::new());
            tried.set(false);
            changed.run(());
        }
    });
    let problem = move || {
        let local = tried
            .get()
            .then(|| {
                atende_domain::access::token_teams(all_teams.get(), &teams.get()).err().map(|e| e.to_string())
            })
            .flatten();
        local.or_else(error_of(create))
    };
    Effect::new(move |_| {
        if let Some(Ok(())) = revoke.value().get() {
            changed.run(());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        let (all_teams, teams) = (all_teams.get_untracked(), teams.get_untracked());
        if atende_domain::access::token_teams(all_teams, &teams).is_ok() {
            create.dispatch(CreateToken { name: name.get_untracked(), all_teams, teams });
        }
    };
    view! {
        <section class="admin-section" aria-label="Tokens de API">
            <h2>"Tokens de API"</h2>
            <p class="muted">
                "Para integrações (ERP, loja virtual, CRM): cadastrar contatos e abrir atendimentos com modelo. "
                <a href="/api/v1/openapi.json">"Documentação (OpenAPI)"</a>
            </p>
            <ul class="rows">
                {move || data
                    .get()
                    .tokens
                    .iter()
                    .map(|t| {
                        let id = t.id;
                        let revoked = t.revoked_at.is_some();
                        let label = format!("Revogar {}", t.name);
                        let reach = match &t.teams {
                            None => "Todas as equipes".to_owned(),
                            Some(ids) => {
                                let all = data.get_untracked().teams;
                                let names: Vec<String> = ids
                                    .iter()
                                    .map(|id| all.iter().find(|k| k.id == *id).map(|k| k.name.clone()).unwrap_or_default())
                                    .collect();
                                format!("Equipes: {}", names.join(", "))
                            }
                        };
                        view! {
                            <li class="row">
                                <span class="row-name">{t.name.clone()}</span>
                                <span class="muted">{format!("criado por {}", t.agent_name)}</span>
                                <span class="muted">{reach}</span>
                                {if revoked {
                                    view! { <span class="badge">"Revogado"</span> }.into_any()
                                } else {
                                    view! {
                                        <button
                                            type="button"
                                            class="secondary"
                                            aria-label=label
                                            on:click=move |_| {
                                                revoke.dispatch(RevokeToken { token: id });
                                            }
                                        >
                                            "Revogar"
                                        </button>
                                    }
                                        .into_any()
                                }}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <form class="admin-form" aria-label="Novo token" on:submit=submit novalidate>
                <label>"Nome do token" <input type="text" bind:value=name /></label>
                <label class="check">
                    <input type="checkbox" bind:checked=all_teams />
                    "Todas as equipes"
                </label>
                <Show when=move || !all_teams.get()>
                    <TeamChecks teams=team_rows chosen=teams />
                </Show>
                <p class="muted">
                    "Limitado a algumas equipes, o token só abre atendimentos delas (como um agente delas faria)."
                </p>
                <button type="submit" class="primary" disabled=move || create.pending().get()>"Criar token"</button>
                <p class="field-error" role="alert">{problem}</p>
            </form>
            <Show when=move || shown.get().is_some()>
                <div class="new-token" role="status">
                    <p>"Copie agora: este token não será mostrado de novo."</p>
                    <code aria-label="Token criado">{move || shown.get().unwrap_or_default()}</code>
                </div>
            </Show>
        </section>
    }
}

#[component]
fn Templates(
    data: Signal<AdminData>,
    changed: Callback<()>,
    sync: ServerAction<SyncTemplates>,
) -> impl IntoView {
    // Reload once per finished sync (this section is rendered again by the reload, the action is not).
    let seen = RwSignal::new(sync.version().get_untracked());
    Effect::new(move |_| {
        let version = sync.version().get();
        if version != seen.get_untracked() && matches!(sync.value().get_untracked(), Some(Ok(_))) {
            seen.set(version);
            changed.run(());
        }
    });
    // "De atendimento": saved at once, the list read again.
    let mark = ServerAction::<SetTemplateService>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = mark.value().get() {
            changed.run(());
        }
    });
    let mark_error = move || match mark.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let outcome = move || match sync.value().get() {
        Some(Ok(1)) => Some("1 modelo sincronizado.".to_owned()),
        Some(Ok(n)) => Some(format!("{n} modelos sincronizados.")),
        Some(Err(e)) => Some(e.to_string()),
        None => None,
    };
    view! {
        <section class="admin-section" aria-label="Modelos de mensagem">
            <h2>"Modelos de mensagem"</h2>
            <p class="muted">
                "Os modelos marcados como de atendimento são os oferecidos por Reiniciar e Iniciar atendimento; \
                 enquanto você não escolher, são os de utilidade."
            </p>
            <p role="status">{outcome}</p>
            <p role="alert" class="error">{mark_error}</p>
            {move || data
                .get()
                .channels
                .iter()
                .map(|c| {
                    let id = c.channel.id;
                    let official = c.channel.channel.kind() == ChannelKind::WhatsappOfficial;
                    let label = format!("Sincronizar agora: {}", c.channel.name);
                    view! {
                        <h3>{c.channel.name.clone()}</h3>
                        {if official {
                            view! {
                                <button
                                    type="button"
                                    class="secondary"
                                    aria-label=label
                                    disabled=move || sync.pending().get()
                                    on:click=move |_| {
                                        sync.dispatch(SyncTemplates { channel: id });
                                    }
                                >
                                    "Sincronizar agora"
                                </button>
                                <table>
                                    <thead><tr><th>"Modelo"</th><th>"Idioma"</th><th>"Categoria"</th><th>"Situação"</th><th>"De atendimento"</th><th>"Parâmetros"</th></tr></thead>
                                    <tbody>
                                        {c
                                            .templates
                                            .iter()
                                            .map(|t| {
                                                view! {
                                                    <tr class:muted=!t.sendable>
                                                        <td>{t.name.clone()}</td>
                                                        <td>{t.language.clone()}</td>
                                                        <td>{t.category.clone()}</td>
                                                        <td>{t.status.clone()}</td>
                                                        <td>
                                                            <input
                                                                type="checkbox"
                                                                aria-label=format!("De atendimento: {} ({})", t.name, t.language)
                                                                prop:checked=t.for_service
                                                                disabled=move || mark.pending().get()
                                                                on:change={
                                                                    let (name, language) = (t.name.clone(), t.language.clone());
                                                                    move |ev| {
                                                                        mark.dispatch(SetTemplateService {
                                                                            channel: id,
                                                                            name: name.clone(),
                                                                            language: language.clone(),
                                                                            service: event_target_checked(&ev),
                                                                        });
                                                                    }
                                                                }
                                                            />
                                                        </td>
                                                        <td>
                                                            {(!t.params.is_empty()).then(|| view! {
                                                                <ParamNames
                                                                    channel=id
                                                                    name=t.name.clone()
                                                                    language=t.language.clone()
                                                                    params=t.params.clone()
                                                                    changed
                                                                />
                                                            })}
                                                        </td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                                .into_any()
                        } else {
                            view! { <p class="muted">"Este canal não usa modelos de mensagem."</p> }.into_any()
                        }}
                    }
                })
                .collect_view()}
        </section>
    }
}

/// "Nomear parâmetros": the name each parameter shows in the form ("Nome do cliente") and what fills it by
/// default, saved together.
#[component]
fn ParamNames(
    channel: i64,
    name: String,
    language: String,
    params: Vec<ParamRow>,
    changed: Callback<()>,
) -> impl IntoView {
    use atende_domain::template::{ContactField, ParamLabel};
    let open = RwSignal::new(false);
    let save = ServerAction::<SetTemplateLabels>::new();
    let rows: Vec<(ParamRow, RwSignal<String>, RwSignal<String>)> = params
        .into_iter()
        .map(|p| {
            let typed = RwSignal::new(p.name.clone());
            let fill = RwSignal::new(p.fill.map(|f| f.code().to_owned()).unwrap_or_default());
            (p, typed, fill)
        })
        .collect();
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            open.set(false);
            changed.run(());
        }
    });
    let error = move || match save.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let title = format!("Nomear parâmetros de {name}");
    let submit = {
        let rows = rows.clone();
        let (name, language) = (name.clone(), language.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            // A row with a name or a default is kept; one with only a default keeps the field's own name.
            let labels = rows
                .iter()
                .filter_map(|(p, typed, fill)| {
                    let fill = ContactField::from_code(&fill.get_untracked());
                    let typed = typed.get_untracked();
                    let name = if typed.trim().is_empty() { fill.map(|_| p.field.clone())? } else { typed };
                    Some(ParamLabel { slot: p.slot.clone(), name, fill })
                })
                .collect();
            save.dispatch(SetTemplateLabels {
                channel,
                name: name.clone(),
                language: language.clone(),
                labels,
            });
        }
    };
    view! {
        <button type="button" class="secondary" aria-label=title.clone() on:click=move |_| open.update(|o| *o = !*o)>
            "Nomear"
        </button>
        <Show when=move || open.get()>
            <form class="param-names" aria-label=title.clone() on:submit=submit.clone()>
                {rows
                    .iter()
                    .map(|(p, typed, fill)| {
                        let (typed, fill) = (*typed, *fill);
                        view! {
                            <fieldset>
                                <legend>{p.field.clone()}</legend>
                                <label>"Nome" <input type="text" bind:value=typed placeholder="Nome do cliente" /></label>
                                <label>
                                    "Preencher com"
                                    <select on:change=move |ev| fill.set(event_target_value(&ev))>
                                        <option value="" selected=move || fill.get().is_empty()>"Nada (o agente digita)"</option>
                                        {ContactField::ALL
                                            .into_iter()
                                            .map(|f| view! {
                                                <option value=f.code() selected=move || fill.get() == f.code()>{f.label()}</option>
                                            })
                                            .collect_view()}
                                    </select>
                                </label>
                            </fieldset>
                        }
                    })
                    .collect_view()}
                <p role="alert" class="error">{error}</p>
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || save.pending().get()>"Salvar nomes"</button>
                </div>
            </form>
        </Show>
    }
}

#[component]
fn Prices(data: Signal<AdminData>, changed: Callback<()>) -> impl IntoView {
    let save = ServerAction::<SaveRateCard>::new();
    let text = RwSignal::new(data.get_untracked().rate_card_json);
    let editing = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            changed.run(());
        }
    });
    view! {
        <section class="admin-section" aria-label="Preços">
            <h2>"Preços da Meta"</h2>
            <p class="muted">
                "A tabela usada nas estimativas mostradas antes de enviar um modelo (a Meta publica a atual na sua \
                 página de preços). Edite-a aqui; todas as estimativas passam a usá-la."
            </p>
            <Show
                when=move || editing.get()
                fallback=move || view! {
                    <button type="button" class="secondary" on:click=move |_| editing.set(true)>"Editar tabela"</button>
                }
            >
                <form
                    class="admin-form wide"
                    aria-label="Tabela de preços"
                    on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        save.dispatch(SaveRateCard { text: text.get_untracked() });
                    }
                >
                    <label>"Tabela de preços (JSON)" <textarea rows="14" spellcheck="false" bind:value=text></textarea></label>
                    <p class="field-error" role="alert">{error_of(save)}</p>
                    <div class="form-actions">
                        <button type="button" class="secondary" on:click=move |_| editing.set(false)>"Cancelar"</button>
                        <button type="submit" class="primary" disabled=move || save.pending().get()>"Salvar tabela"</button>
                    </div>
                </form>
            </Show>
            {move || match data.get().rate_card {
                None => view! { <p class="muted">"Nenhuma tabela configurada: o preço não é estimado."</p> }.into_any(),
                Some(card) => view! {
                    <table>
                        <thead><tr><th>"Mercado"</th><th>"Categoria"</th><th>"Preço por mensagem"</th><th>"Desde"</th></tr></thead>
                        <tbody>
                            {card
                                .rates()
                                .iter()
                                .map(|r| {
                                    view! {
                                        <tr>
                                            <td>{r.market.as_str().to_owned()}</td>
                                            <td>{r.category.label()}</td>
                                            <td>{r.price.to_string()}</td>
                                            <td>{r.effective_from.utc_date_label()}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                .into_any(),
            }}
        </section>
    }
}

#[component]
fn Channels(data: Signal<AdminData>, changed: Callback<()>) -> impl IntoView {
    // `None`: the form is closed; `Some(None)`: "Novo canal"; `Some(Some(id))`: editing that channel.
    let editing = RwSignal::new(None::<Option<i64>>);
    view! {
        <section class="admin-section" aria-label="Canais">
            <h2>"Canais"</h2>
            <table>
                <thead>
                    <tr><th>"Nome"</th><th>"Tipo"</th><th>"Identificação"</th><th>"Origem"</th><th></th></tr>
                </thead>
                <tbody>
                    {move || data
                        .get()
                        .channel_rows
                        .iter()
                        .map(|row| {
                            let id = row.id;
                            let label = format!("Editar {}", row.name);
                            view! {
                                <tr>
                                    <td>{row.name.clone()}</td>
                                    <td>{row.kind.label()}</td>
                                    <td>{row.provider_id.clone()}</td>
                                    <td>{if row.from_console { "Console" } else { "Variáveis de ambiente / sandbox" }}</td>
                                    <td>
                                        {row.from_console.then(|| view! {
                                            <button type="button" class="secondary" aria-label=label
                                                on:click=move |_| editing.set(Some(Some(id)))>"Editar"</button>
                                        })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <Show
                when=move || editing.get().is_some()
                fallback=move || view! {
                    <button type="button" class="secondary" on:click=move |_| editing.set(Some(None))>"Novo canal"</button>
                }
            >
                {
                    move || {
                        let id = editing.get().flatten();
                        // Read once: a refresh of the list must not reset what is being typed.
                        let rows = data.get_untracked().channel_rows;
                        let row = id.and_then(|id| rows.into_iter().find(|r| r.id == id));
                        view! { <ChannelForm row on_done=Callback::new(move |saved: bool| {
                            editing.set(None);
                            if saved {
                                changed.run(());
                            }
                        }) /> }
                    }
                }
            </Show>
        </section>
    }
}

#[component]
fn ChannelForm(row: Option<ChannelRow>, on_done: Callback<bool>) -> impl IntoView {
    use atende_domain::conversation::ChannelKind;
    let save = ServerAction::<SaveChannel>::new();
    let id = row.as_ref().map(|r| r.id);
    let kind = RwSignal::new(row.as_ref().map(|r| r.kind));
    let name = RwSignal::new(row.as_ref().map(|r| r.name.clone()).unwrap_or_default());
    let provider_id = RwSignal::new(row.as_ref().map(|r| r.provider_id.clone()).unwrap_or_default());
    let account_id = RwSignal::new(row.as_ref().and_then(|r| r.account_id.clone()).unwrap_or_default());
    let url = RwSignal::new(row.as_ref().and_then(|r| r.url.clone()).unwrap_or_default());
    let token = RwSignal::new(String::new());
    let webhook_secret = RwSignal::new(String::new());
    let verify_token = RwSignal::new(String::new());
    let human_agent_tag = RwSignal::new(row.as_ref().is_some_and(|r| r.human_agent_tag));
    let tried = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            on_done.run(true);
        }
    });
    let form = move || ChannelSetupForm {
        kind: kind.get(),
        name: name.get(),
        provider_id: provider_id.get(),
        account_id: account_id.get(),
        url: url.get(),
        token: token.get(),
        webhook_secret: webhook_secret.get(),
        verify_token: verify_token.get(),
        human_agent_tag: human_agent_tag.get(),
    };
    let problem = move || {
        let local = tried.get().then(|| form().validate(id.is_some()).err().map(|e| e.to_string())).flatten();
        local.or_else(error_of(save))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        let form = form();
        if form.validate(id.is_some()).is_ok() {
            save.dispatch(SaveChannel { channel: id, form });
        }
    };
    let kept = if id.is_some() { "Guardado: deixe em branco para manter" } else { "" };
    let is = move |wanted: &'static [ChannelKind]| move || kind.get().is_some_and(|k| wanted.contains(&k));
    let labels = move || kind.get().map(secret_labels).unwrap_or(("o token de acesso", "a chave secreta"));
    let title = if id.is_some() { "Editar canal" } else { "Novo canal" };
    view! {
        <form class="admin-form" aria-label=title on:submit=submit novalidate>
            <h3>{title}</h3>
            <label>
                "Tipo"
                <select
                    disabled=id.is_some()
                    on:change=move |ev| {
                        let chosen = ChannelKind::from_code(&event_target_value(&ev));
                        // A hidden option must not keep a value the new kind refuses.
                        if !chosen.is_some_and(ChannelKind::offers_human_agent_tag) {
                            human_agent_tag.set(false);
                        }
                        kind.set(chosen);
                    }
                >
                    <option value="" selected=move || kind.get().is_none()>"Escolha o tipo"</option>
                    {ChannelKind::ALL
                        .into_iter()
                        .map(|k| view! { <option value=k.code() selected=move || kind.get() == Some(k)>{k.label()}</option> })
                        .collect_view()}
                </select>
            </label>
            <Show when=move || kind.get().is_some()>
                <label>"Nome do canal" <input type="text" bind:value=name /></label>
                <label>
                    {move || kind.get().map(|k| field_label(provider_id_label(k)))}
                    <input type="text" bind:value=provider_id />
                </label>
                <Show when=is(&[ChannelKind::WhatsappOfficial])>
                    <label>"ID da conta do WhatsApp Business (WABA)" <input type="text" bind:value=account_id /></label>
                </Show>
                <Show when=is(&[ChannelKind::WhatsappUnofficial])>
                    <label>"Endereço da Evolution API" <input type="text" placeholder="https://evolution.suaempresa.com.br" bind:value=url /></label>
                </Show>
                <label>
                    {move || field_label(labels().0)}
                    <input type="password" autocomplete="off" placeholder=kept bind:value=token />
                </label>
                <label>
                    {move || field_label(labels().1)}
                    <input type="password" autocomplete="off" placeholder=kept bind:value=webhook_secret />
                </label>
                <Show when=is(&[ChannelKind::WhatsappOfficial, ChannelKind::Messenger, ChannelKind::Instagram])>
                    <label>
                        "Token de verificação do webhook"
                        <input type="password" autocomplete="off" placeholder=kept bind:value=verify_token />
                    </label>
                </Show>
                <Show when=is(&[ChannelKind::Messenger, ChannelKind::Instagram])>
                    <label class="check">
                        <input type="checkbox" bind:checked=human_agent_tag />
                        "Responder até 7 dias com a etiqueta HUMAN_AGENT (aprovada pela Meta)"
                    </label>
                </Show>
            </Show>
            <p class="field-error" role="alert">{problem}</p>
            <div class="form-actions">
                <button type="button" class="secondary" on:click=move |_| on_done.run(false)>"Cancelar"</button>
                <button type="submit" class="primary" disabled=move || save.pending().get()>"Salvar"</button>
            </div>
        </form>
    }
}

/// A checkbox per team ("Equipes"), ticking and unticking `chosen`.
#[component]
fn TeamChecks(teams: Signal<Vec<crate::admin::TeamRow>>, chosen: RwSignal<Vec<i64>>) -> impl IntoView {
    view! {
        <fieldset>
            <legend>"Equipes"</legend>
            {move || teams
                .get()
                .into_iter()
                .map(|team| {
                    let id = team.id;
                    view! {
                        <label class="check">
                            <input
                                type="checkbox"
                                prop:checked=move || chosen.get().contains(&id)
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    chosen.update(|t| {
                                        t.retain(|x| *x != id);
                                        if on {
                                            t.push(id);
                                        }
                                    });
                                }
                            />
                            {team.name}
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}
