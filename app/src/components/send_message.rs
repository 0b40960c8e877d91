//! "Enviar mensagem": opened by "Conversar" or by a contact's start icon. Confirms the contact, asks the type
//! of send ("Iniciar atendimento"), the channel and the team; on the official API the mandatory template and
//! its parameters, with the price; on a channel without templates the conversation opens at once.

use crate::api::{start_options, StartChannel, StartChoices, StartConversation, UpdateContact};
use crate::components::contacts::NewContactForm;
use crate::components::restart::{offered, price_note, TemplateParamsForm, TemplatePicker};
use atende_domain::contact::{Contact, ContactForm};
use atende_domain::conversation::ChannelKind;
use atende_domain::lifecycle::{start_plan, Lifecycle, StartPlan};
use atende_domain::phone::Phone;
use atende_domain::reach::Unreachable;
use atende_domain::template::Template;
use leptos::prelude::*;

/// "Enviar mensagem" from its own file: a split point, loaded as the panel first opens (the Atendimentos screen's
/// first load does not carry it).
#[leptos::lazy]
pub(crate) fn send_message_panel(
    contact: Option<Contact>,
    typed: String,
    on_close: Callback<()>,
    on_started: Callback<i64>,
) -> AnyView {
    view! { <SendMessagePanel contact typed on_close on_started /> }.into_any()
}

#[component]
fn SendMessagePanel(
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
    let options = crate::wire::load(move || id, start_options);
    // A number added here ("Adicionar número") changes which channels reach the contact: asked again.
    let renumbered = Callback::new(move |_: Contact| options.refetch());
    // Kept above the steps: asked again after "Adicionar número", the panel keeps what was chosen.
    let kind_chosen = RwSignal::new(false);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Carregando…"</p> }>
            {move || Suspend::new(async move {
                match options.await {
                    Ok(options) => view! { <StartSteps options on_started renumbered kind_chosen /> }.into_any(),
                    Err(error) => view! { <p role="alert" class="error">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// "Adicionar número": a contact known only on Instagram or Messenger gets the number WhatsApp needs, checked
/// as typed by the rules "Novo contato" uses.
#[component]
fn AddNumber(contact: Contact, on_saved: Callback<Contact>) -> impl IntoView {
    let open = RwSignal::new(false);
    let phone = RwSignal::new(String::new());
    let tried = RwSignal::new(false);
    let save = ServerAction::<UpdateContact>::new();
    let name = contact.name.as_str().to_owned();
    let id = contact.id.0;
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            open.set(false);
            on_saved.run(saved);
        }
    });
    let phone_error = move || Phone::parse(&phone.get()).err().map(|e| e.to_string());
    let server_error = move || match save.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        let form = ContactForm { name: name.clone(), phone: phone.get_untracked() };
        if form.validate().is_ok() {
            save.dispatch(UpdateContact { contact: id, form });
        }
    };
    view! {
        <Show
            when=move || open.get()
            fallback=move || view! {
                <button type="button" class="secondary" on:click=move |_| open.set(true)>"Adicionar número"</button>
            }
        >
            <form class="add-number" on:submit=submit.clone() novalidate>
                <label class="param">
                    "Número com DDD"
                    <input type="tel" inputmode="tel" autocomplete="off" bind:value=phone
                        aria-invalid=move || (tried.get() && phone_error().is_some()).to_string() />
                </label>
                <p class="field-error" role="alert">{move || tried.get().then(phone_error).flatten().or_else(server_error)}</p>
                <div class="form-actions">
                    <button type="button" class="secondary" on:click=move |_| open.set(false)>"Cancelar"</button>
                    <button type="submit" class="primary" disabled=move || save.pending().get()>"Salvar número"</button>
                </div>
            </form>
        </Show>
    }
}

#[component]
fn StartSteps(
    options: StartChoices,
    on_started: Callback<i64>,
    renumbered: Callback<Contact>,
    kind_chosen: RwSignal<bool>,
) -> impl IntoView {
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
    let reach = options.reach.clone();
    let now = crate::clock::now();
    let plan = {
        let reach = reach.clone();
        move |c: &StartChannel| {
            start_plan(&c.info.channel, Some(&Lifecycle::started_by_business(c.last_inbound)), &reach, now)
        }
    };
    // Only the channels on which the contact can be written to are offered; the others say why.
    let mut reachable: Vec<usize> = Vec::new();
    let mut unreachable: Vec<(String, String)> = Vec::new();
    let mut lacks_number = false;
    for (index, c) in channels.iter().enumerate() {
        match reach.on(c.info.channel.kind()) {
            Ok(()) => reachable.push(index),
            Err(why) => {
                lacks_number |= matches!(why, Unreachable::NoNumber { .. });
                unreachable.push((channel_label(c), why.to_string()));
            }
        }
    }
    let contact = options.contact.clone();
    let contact_name = contact.name.as_str().to_owned();
    let add_number_for = contact.clone();

    // API Não Oficial: "Selecione a equipe … O atendimento será aberto automaticamente." Once per choice.
    let opened_for = RwSignal::new(None::<(usize, i64)>);
    {
        let channels = channels.clone();
        let plan = plan.clone();
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

    let none_reachable = reachable.is_empty();
    let channel_step = {
        let channels = channels.clone();
        move || {
            reachable
                .iter()
                .filter_map(|&index| {
                    let label = channel_label(channels.get(index)?);
                    Some(view! {
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
                    })
                })
                .collect_view()
        }
    };
    let unreachable_view = move || {
        let unreachable = unreachable.clone();
        (!unreachable.is_empty()).then(|| view! {
            <ul class="unreachable" aria-label="Canais indisponíveis para este contato">
                {unreachable
                    .into_iter()
                    .map(|(label, why)| view! { <li><strong>{label}</strong>" — "{why}</li> })
                    .collect_view()}
            </ul>
            {lacks_number.then(|| view! { <AddNumber contact=add_number_for.clone() on_saved=renumbered /> })}
        })
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
                    let price = price_note(
                        &chosen.info.channel,
                        &picked,
                        &window,
                        rate_card.as_ref(),
                        chosen.account_currency,
                        phone.as_ref(),
                        now,
                    );
                    let name = picked.name().as_str().to_owned();
                    let language = picked.language().as_str().to_owned();
                    view! {
                        <TemplateParamsForm
                            template=picked
                            price
                            submit_label="Iniciar atendimento"
                            contact_name=contact_name.clone()
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

    // The steps in the order the help page gives them, each choice on screen and changeable: contato (the
    // card above) → tipo de envio → canal → equipe → modelo → parâmetros.
    view! {
        <ol class="start-steps">
            <li class="step">
                <div class="contact-card">
                    <p class="label">"Contato encontrado"</p>
                    <p class="row-name">{contact.name.as_str().to_owned()}</p>
                    <p class="row-phone">{contact.phone.as_ref().map(ToString::to_string).unwrap_or_default()}</p>
                </div>
            </li>
            <li class="step">
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
            </li>
            <Show when=move || kind_chosen.get()>
                <li class="step">
                    <fieldset class="send-kind">
                        <legend>"Selecione o canal"</legend>
                        {channel_step.clone()}
                        {none_reachable.then(|| view! {
                            <p class="muted">"Nenhum canal alcança este contato por enquanto."</p>
                        })}
                        {unreachable_view.clone()}
                    </fieldset>
                </li>
                <li class="step">
                    <label class="send-kind team-step">
                        <span class="legend">"Selecione a equipe"</span>
                        <select on:change=move |ev| team.set(event_target_value(&ev).parse().ok())>
                            <option value="" selected=move || team.get().is_none()>"Escolha a equipe"</option>
                            {teams
                                .iter()
                                .map(|t| {
                                    let id = t.id;
                                    view! {
                                        <option value=id.to_string() selected=move || team.get() == Some(id)>
                                            {t.name.clone()}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </label>
                </li>
                {
                    let final_step = final_step.clone();
                    move || final_step().map(|step| view! { <li class="step">{step}</li> })
                }
            </Show>
        </ol>
    }
}

fn channel_label(c: &StartChannel) -> String {
    format!("{} · {}", c.info.name, c.info.channel.kind().label())
}
