//! "Reiniciar": pick an approved template of the allowed category → "Continuar" → fill its parameters with
//! instant checks, a preview and the price → "Enviar mensagem".

use crate::api::{ConversationDetail, RestartConversation};
use atende_domain::lifecycle::restart_eligibility;
use atende_domain::pricing::{classify, Outgoing};
use atende_domain::template::{ParamSlot, Template, TemplateValues};
use atende_domain::time::Timestamp;
use leptos::prelude::*;

#[component]
pub fn RestartPanel(
    view: ConversationDetail,
    now: Timestamp,
    on_close: Callback<()>,
    on_sent: Callback<()>,
) -> impl IntoView {
    let offer = restart_eligibility(&view.channel, Some(&view.lifecycle), now);
    let templates: Vec<Template> = view
        .templates
        .iter()
        .filter(|t| t.status().is_sendable())
        .filter(|t| offer.as_ref().is_ok_and(|offer| offer.allows(t.category())))
        .cloned()
        .collect();
    let chosen = RwSignal::new(None::<usize>);
    let step = RwSignal::new(1_u8);
    let refusal = offer.as_ref().err().map(ToString::to_string);
    let same_category_note = view
        .lifecycle
        .attempt()
        .map(|a| format!("Para tentar de novo, use um modelo do tipo {}.", a.category().label()));
    let list = templates.clone();
    let form_templates = templates.clone();
    let form_view = view.clone();

    view! {
        <div class="restart-panel" role="dialog" aria-label="Reiniciar atendimento">
            <header class="panel-header">
                <h2>"Reiniciar atendimento"</h2>
                <button type="button" class="icon-button" aria-label="Fechar" on:click=move |_| on_close.run(())>
                    "×"
                </button>
            </header>
            <p class="error" role="alert">{refusal}</p>
            <Show
                when=move || step.get() == 1
                fallback=move || {
                    let index = chosen.get_untracked().unwrap_or_default();
                    form_templates
                        .get(index)
                        .cloned()
                        .map(|template| {
                            view! {
                                <TemplateParamsForm
                                    view=form_view.clone()
                                    template
                                    now
                                    on_back=Callback::new(move |()| step.set(1))
                                    on_sent
                                />
                            }
                        })
                }
            >
                <fieldset class="templates">
                    <legend>"Modelos de mensagem"</legend>
                    <p class="muted">{same_category_note.clone()}</p>
                    {list
                        .iter()
                        .enumerate()
                        .map(|(index, t)| {
                            let label = format!("{} · {}", t.name().as_str(), t.category().label());
                            let body = t.body().to_owned();
                            view! {
                                <label class="template-option">
                                    <input
                                        type="radio"
                                        name="modelo"
                                        on:change=move |_| chosen.set(Some(index))
                                        prop:checked=move || chosen.get() == Some(index)
                                    />
                                    <span>
                                        <strong>{label}</strong>
                                        <span class="muted template-body">{body}</span>
                                    </span>
                                </label>
                            }
                        })
                        .collect_view()}
                    {list.is_empty().then(|| view! { <p class="muted">"Nenhum modelo aprovado disponível."</p> })}
                </fieldset>
                <div class="form-actions">
                    <button
                        type="button"
                        class="primary"
                        disabled=move || chosen.get().is_none()
                        on:click=move |_| step.set(2)
                    >
                        "Continuar"
                    </button>
                </div>
            </Show>
        </div>
    }
}

#[component]
fn TemplateParamsForm(
    view: ConversationDetail,
    template: Template,
    now: Timestamp,
    on_back: Callback<()>,
    on_sent: Callback<()>,
) -> impl IntoView {
    let slots: Vec<ParamSlot> = template.slots();
    let values = RwSignal::new(TemplateValues::new());
    let tried = RwSignal::new(false);
    let send = ServerAction::<RestartConversation>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = send.value().get() {
            on_sent.run(());
        }
    });

    // The price, told before sending: Meta bills templates that leave outside the window.
    let window = view.lifecycle.window(&view.channel, now);
    let price = classify(view.channel.kind(), Outgoing::Template(template.category()), &window, false).map(
        |classification| match (&view.rate_card, &view.summary.contact_phone) {
            (Some(card), Some(phone)) => card.estimate(classification, phone, now).to_string(),
            _ => "Envio cobrado pela Meta; o valor depende da tabela de preços da sua conta.".to_owned(),
        },
    );

    let preview_template = template.clone();
    let preview = move || preview_template.preview(&values.get()).body;
    let fill_template = template.clone();
    let errors = move || fill_template.fill(&values.get()).err().map(|e| e.to_string());
    let conversation = view.summary.id.0;
    let name = template.name().as_str().to_owned();
    let language = template.language().as_str().to_owned();
    let submit_errors = errors.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        if submit_errors().is_none() {
            send.dispatch(RestartConversation {
                conversation,
                template: name.clone(),
                language: language.clone(),
                values: values.get_untracked(),
            });
        }
    };

    view! {
        <form class="template-form" on:submit=submit novalidate>
            <h3>{template.name().as_str().to_owned()}</h3>
            {slots
                .into_iter()
                .map(|slot| {
                    let label = slot.to_string();
                    let check_template = template.clone();
                    let slot_for_input = slot.clone();
                    let slot_for_check = slot.clone();
                    let field_error = move || {
                        let value = values.get().get(&slot_for_check).unwrap_or_default().to_owned();
                        (tried.get() || !value.is_empty())
                            .then(|| check_template.check_value(&slot_for_check, &value).err())
                            .flatten()
                            .map(|e| e.to_string())
                    };
                    view! {
                        <label class="param">
                            {label}
                            <input
                                type="text"
                                autocomplete="off"
                                on:input=move |ev| {
                                    let value = event_target_value(&ev);
                                    values.update(|v| v.set(slot_for_input.clone(), value));
                                }
                            />
                        </label>
                        <p class="field-error" role="alert">{field_error}</p>
                    }
                })
                .collect_view()}
            <div class="preview" aria-label="Prévia da mensagem">
                <p class="label">"Prévia"</p>
                <p>{preview}</p>
            </div>
            <p class="price" role="note">{price}</p>
            <p class="error" role="alert">
                {move || match send.value().get() {
                    Some(Err(e)) => Some(e.to_string()),
                    _ => tried.get().then(errors.clone()).flatten(),
                }}
            </p>
            <div class="form-actions">
                <button type="button" class="secondary" on:click=move |_| on_back.run(())>"Voltar"</button>
                <button type="submit" class="primary" disabled=move || send.pending().get()>"Enviar mensagem"</button>
            </div>
        </form>
    }
}
