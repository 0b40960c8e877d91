//! "Enviar mensagem": opened by "Conversar" or by a contact's start icon. Confirms the contact, asks the type
//! of send ("Iniciar atendimento"), the channel and the team; on the official API the mandatory template and
//! its parameters, with the price; on a channel without templates the conversation opens at once.

use crate::api::{start_options, StartChannel, StartChoices, StartConversation};
use crate::components::contacts::NewContactForm;
use crate::components::restart::{offered, price_note, TemplateParamsForm, TemplatePicker};
use atende_domain::contact::Contact;
use atende_domain::conversation::ChannelKind;
use atende_domain::lifecycle::{start_plan, Lifecycle, StartPlan};
use atende_domain::template::Template;
use leptos::prelude::*;

#[component]
pub fn SendMessagePanel(
    contact: Option<Contact>,
    typed: String,
    on_close: Callback<()>,
    on_started: Callback<i64>,
) -> impl IntoView {
    let contact = RwSignal::new(contact);
    view! {
        <section class="send-message" role="dialog" aria-label="Enviar mensagem" on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    on_close.run(());
                }
            }>
            <header class="panel-header">
                <h2>"Enviar mensagem"</h2>
                <button type="button" class="icon-button" aria-label="Fechar" on:click=move |_| on_close.run(())>
                    "×"
                </button>
            </header>
            {move || match contact.get() {
                Some(found) => view! { <StartFlow contact=found on_started /> }.into_any(),
                None => {
                    let typed = typed.clone();
                    view! {
                        <div class="contact-card">
                            <p class="label">"Nenhum contato com este número"</p>
                            <p class="row-phone">{typed.clone()}</p>
                        </div>
                        <NewContactForm
                            initial_phone=typed
                            on_saved=Callback::new(move |saved: Contact| contact.set(Some(saved)))
                            on_cancel=on_close
                        />
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

#[component]
fn StartFlow(contact: Contact, on_started: Callback<i64>) -> impl IntoView {
    let id = contact.id.0;
    let options = Resource::new(move || id, start_options);
    view! {
        <div class="contact-card">
            <p class="label">"Contato encontrado"</p>
            <p class="row-name">{contact.name.as_str().to_owned()}</p>
            <p class="row-phone">{contact.phone.as_ref().map(ToString::to_string).unwrap_or_default()}</p>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Carregando…"</p> }>
            {move || Suspend::new(async move {
                match options.await {
                    Ok(options) => view! { <StartSteps options on_started /> }.into_any(),
                    Err(error) => view! { <p role="alert" class="error">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn StartSteps(options: StartChoices, on_started: Callback<i64>) -> impl IntoView {
    let kind_chosen = RwSignal::new(false);
    let channel = RwSignal::new(None::<usize>);
    // Chosen by the agent (spec: "Selecione a equipe"); on the unofficial gateway choosing it opens the
    // conversation.
    let team = RwSignal::new(None::<i64>);
    let template = RwSignal::new(None::<Template>);
    let start = ServerAction::<StartConversation>::new();
    Effect::new(move |_| {
        if let Some(Ok(conversation)) = start.value().get() {
            on_started.run(conversation);
        }
    });
    let server_error = Signal::derive(move || match start.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    });
    let contact_id = options.contact.id.0;
    let phone = options.contact.phone.clone();
    let rate_card = options.rate_card.clone();
    let channels = options.channels.clone();
    let teams = options.teams.clone();
    let now = crate::clock::now();
    let plan = move |c: &StartChannel| {
        start_plan(&c.info.channel, Some(&Lifecycle::started_by_business(c.last_inbound)), now)
    };

    // API Não Oficial: "Selecione a equipe … O atendimento será aberto automaticamente." Once per choice.
    let opened_for = RwSignal::new(None::<(usize, i64)>);
    {
        let channels = channels.clone();
        Effect::new(move |_| {
            let (Some(index), Some(team_id)) = (channel.get(), team.get()) else { return };
            let Some(chosen) = channels.get(index) else { return };
            let unofficial = chosen.info.channel.kind() == ChannelKind::WhatsappUnofficial;
            if !unofficial
                || !matches!(plan(chosen), Ok(StartPlan::OpenDirectly))
                || opened_for.get_untracked() == Some((index, team_id))
            {
                return;
            }
            opened_for.set(Some((index, team_id)));
            start.dispatch(StartConversation {
                contact: contact_id,
                channel: chosen.info.id,
                team: team_id,
                template: None,
                values: Default::default(),
            });
        });
    }

    let channel_step = {
        let channels = channels.clone();
        move || {
            channels
                .iter()
                .enumerate()
                .map(|(index, c)| {
                    let label = format!("{} · {}", c.info.name, c.info.channel.kind().label());
                    view! {
                        <label>
                            <input
                                type="radio"
                                name="canal"
                                on:change=move |_| {
                                    channel.set(Some(index));
                                    template.set(None);
                                }
                                prop:checked=move || channel.get() == Some(index)
                            />
                            {label}
                        </label>
                    }
                })
                .collect_view()
        }
    };

    let final_step = move || {
        let index = channel.get()?;
        let team_id = team.get()?;
        let chosen = channels.get(index)?.clone();
        let channel_id = chosen.info.id;
        // Only the unofficial gateway opens as soon as the team is chosen (spec); elsewhere the agent confirms.
        let opens_by_itself = chosen.info.channel.kind() == ChannelKind::WhatsappUnofficial;
        Some(match plan(&chosen) {
            Err(refusal) => view! { <p class="error" role="alert">{refusal.to_string()}</p> }.into_any(),
            Ok(StartPlan::OpenDirectly) => view! {
                <p class="muted" role="status">
                    {move || match (start.pending().get(), opens_by_itself) {
                        (true, _) => "Abrindo o atendimento…",
                        (false, true) => "Neste canal o atendimento abre ao escolher a equipe, sem modelo de mensagem.",
                        (false, false) => "Neste canal não há modelo de mensagem: confirme para abrir o atendimento.",
                    }}
                </p>
                <Show when=move || server_error.get().is_some() || !opens_by_itself>
                    <p class="error" role="alert">{move || server_error.get()}</p>
                    <div class="form-actions">
                        <button
                            type="button"
                            class="primary"
                            disabled=move || start.pending().get()
                            on:click=move |_| {
                                start.dispatch(StartConversation {
                                    contact: contact_id,
                                    channel: channel_id,
                                    team: team_id,
                                    template: None,
                                    values: Default::default(),
                                });
                            }
                        >
                            {if opens_by_itself { "Tentar de novo" } else { "Iniciar atendimento" }}
                        </button>
                    </div>
                </Show>
            }
            .into_any(),
            Ok(StartPlan::Template(offer)) => match template.get() {
                None => view! {
                    <TemplatePicker
                        templates=offered(&chosen.templates, Some(offer))
                        note="Na API Oficial o atendimento começa com um modelo de mensagem aprovado.".to_owned()
                        on_continue=Callback::new(move |t| template.set(Some(t)))
                    />
                }
                .into_any(),
                Some(picked) => {
                    let window = Lifecycle::started_by_business(chosen.last_inbound).window(&chosen.info.channel, now);
                    let price = price_note(&chosen.info.channel, &picked, &window, rate_card.as_ref(), phone.as_ref(), now);
                    let name = picked.name().as_str().to_owned();
                    let language = picked.language().as_str().to_owned();
                    view! {
                        <TemplateParamsForm
                            template=picked
                            price
                            submit_label="Iniciar atendimento"
                            pending=start.pending().into()
                            server_error
                            on_submit=Callback::new(move |values| {
                                start.dispatch(StartConversation {
                                    contact: contact_id,
                                    channel: channel_id,
                                    team: team_id,
                                    template: Some((name.clone(), language.clone())),
                                    values,
                                });
                            })
                            on_back=Callback::new(move |()| template.set(None))
                        />
                    }
                    .into_any()
                }
            },
        })
    };

    view! {
        <fieldset class="send-kind">
            <legend>"Selecione o tipo de envio"</legend>
            <label>
                <input
                    type="radio"
                    name="tipo-envio"
                    value="iniciar"
                    on:change=move |_| kind_chosen.set(true)
                    prop:checked=move || kind_chosen.get()
                />
                "Iniciar atendimento"
            </label>
        </fieldset>
        <Show when=move || kind_chosen.get()>
            <fieldset class="send-kind">
                <legend>"Selecione o canal"</legend>
                {channel_step.clone()}
            </fieldset>
            <label class="param">
                "Selecione a equipe"
                <select on:change=move |ev| team.set(event_target_value(&ev).parse().ok())>
                    <option value="" selected=move || team.get().is_none()>"Escolha a equipe"</option>
                    {teams
                        .iter()
                        .map(|t| view! { <option value=t.id.to_string()>{t.name.clone()}</option> })
                        .collect_view()}
                </select>
            </label>
            {final_step.clone()}
        </Show>
    }
}
