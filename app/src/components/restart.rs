//! Templates in the console: the picker (approved templates of the allowed category → "Continuar") and the
//! parameter form (instant checks by the domain, preview, Meta's price). "Reiniciar" and "Iniciar atendimento"
//! both use them.

use crate::api::{ConversationDetail, RestartConversation};
use crate::components::files::{revoke_picture, HeaderFilePicker};
use atende_domain::channel::Channel;
use atende_domain::contact::fold_for_search;
use atende_domain::lifecycle::{restart_eligibility, RestartOffer};
use atende_domain::phone::Phone;
use atende_domain::pricing::{account_currency_note, classify, Charge, Currency, Outgoing, RateCard};
use atende_domain::template::{HeaderFile, HeaderMedia, ParamSlot, PreviewHeader, Template, TemplateValues};
use atende_domain::time::Timestamp;
use leptos::prelude::*;

/// The templates an agent may choose: approved, "de atendimento", and of the category the attempt allows.
pub(crate) fn offered(templates: &[Template], offer: Option<RestartOffer>) -> Vec<Template> {
    templates.iter().filter(|t| offer.is_some_and(|offer| offer.offers(t))).cloned().collect()
}

/// What the agent is told about the price before a template goes out.
pub(crate) fn price_note(
    channel: &Channel,
    template: &Template,
    window: &atende_domain::window::ServiceWindow,
    rate_card: Option<&RateCard>,
    account_currency: Option<Currency>,
    phone: Option<&Phone>,
    now: Timestamp,
) -> Option<String> {
    let classification = classify(channel.kind(), Outgoing::Template(template.category()), window, false)?;
    Some(match (rate_card, phone) {
        (Some(card), Some(phone)) => {
            let estimate = card.estimate(classification, phone, now);
            let charged = matches!(estimate.charge, Charge::Price(_));
            match account_currency_note(card.currency(), account_currency).filter(|_| charged) {
                Some(note) => format!("{estimate} {note}"),
                None => estimate.to_string(),
            }
        }
        _ => "Envio cobrado pela Meta; o valor depende da tabela de preços da sua conta.".to_owned(),
    })
}

/// "Modelos de mensagem": one choice among `templates`, then "Continuar".
#[component]
pub(crate) fn TemplatePicker(
    templates: Vec<Template>,
    #[prop(optional)] note: Option<String>,
    on_continue: Callback<Template>,
) -> impl IntoView {
    let chosen = RwSignal::new(None::<usize>);
    let empty = templates.is_empty();
    let picked = templates.clone();
    // With dozens of templates the list stays usable: a search by name or text (accents and case ignored).
    let search = RwSignal::new(String::new());
    let searchable: Vec<String> = templates
        .iter()
        .map(|t| {
            fold_for_search(&format!(
                "{} {} {}",
                t.name().as_str().replace('_', " "),
                t.name().as_str(),
                t.body()
            ))
        })
        .collect();
    let shown = move |index: usize| {
        let query = fold_for_search(&search.get());
        query.is_empty() || searchable.get(index).is_some_and(|text| text.contains(&query))
    };
    let searchable_list = !templates.is_empty();
    // A choice the search hides is no choice: "Continuar" waits for one the agent can see.
    let visible_choice = {
        let shown = shown.clone();
        move || chosen.get().filter(|index| shown(*index))
    };
    let continue_with = visible_choice.clone();
    view! {
        <fieldset class="templates">
            <legend>"Modelos de mensagem"</legend>
            <p class="muted">{note}</p>
            {searchable_list.then(|| view! {
                <input
                    type="search"
                    class="template-search"
                    aria-label="Pesquisar modelo"
                    placeholder="Pesquisar modelo"
                    autocomplete="off"
                    bind:value=search
                />
            })}
            {templates
                .iter()
                .enumerate()
                .map(|(index, t)| {
                    let label = t.name().as_str().to_owned();
                    let about = format!("{} · {}", t.category().label(), t.language().as_str());
                    let body = t.body().to_owned();
                    let shown = shown.clone();
                    view! {
                        <label class="template-option" class:hidden=move || !shown(index)>
                            <input
                                type="radio"
                                name="modelo"
                                on:change=move |_| chosen.set(Some(index))
                                prop:checked=move || chosen.get() == Some(index)
                            />
                            <span>
                                <strong>{label}</strong>
                                <span class="template-about">{about}</span>
                                <span class="muted template-body">{body}</span>
                            </span>
                        </label>
                    }
                })
                .collect_view()}
            {empty.then(|| view! { <p class="muted">"Nenhum modelo aprovado disponível."</p> })}
        </fieldset>
        <div class="form-actions picker-actions">
            <button
                type="button"
                class="primary"
                disabled=move || visible_choice().is_none()
                on:click=move |_| {
                    if let Some(template) = continue_with().and_then(|i| picked.get(i).cloned()) {
                        on_continue.run(template);
                    }
                }
            >
                "Continuar"
            </button>
        </div>
    }
}

/// The template's parameters, checked as the agent types, with the preview and the price.
#[component]
pub(crate) fn TemplateParamsForm(
    template: Template,
    price: Option<String>,
    submit_label: &'static str,
    pending: Signal<bool>,
    server_error: Signal<Option<String>>,
    on_submit: Callback<TemplateValues>,
    on_back: Callback<()>,
    /// The contact's name: fills the parameters an admin set to be filled from it.
    #[prop(optional)]
    contact_name: Option<String>,
) -> impl IntoView {
    let slots: Vec<ParamSlot> = template.slots();
    let mut initial = TemplateValues::new();
    if let Some(name) = &contact_name {
        for slot in &slots {
            if let Some(field) = template.hint(slot).fill {
                initial = initial.with(slot.clone(), field.value_for(name));
            }
        }
    }
    let values = RwSignal::new(initial);
    let tried = RwSignal::new(false);
    // A picture chosen from the computer for the header, shown in the preview.
    let picture = RwSignal::new(None::<String>);
    let preview_template = template.clone();
    // What the contact will see: the header (its text, or what the file or link is), the body and the footer.
    let preview = move || {
        let preview = preview_template.preview(&values.get());
        let header = preview.header.map(|header| match header {
            PreviewHeader::Text(text) => text,
            PreviewHeader::Media { format, link } => match link.as_deref().map(HeaderMedia::parse) {
                Some(HeaderMedia::File(file)) => format!("[{}] {}", format.label(), file.name),
                Some(HeaderMedia::Link(link)) if !link.is_empty() => format!("[{}] {link}", format.label()),
                _ => format!("[{}] ____", format.label()),
            },
        });
        [header, Some(preview.body), preview.footer].into_iter().flatten().collect::<Vec<_>>().join("\n\n")
    };
    on_cleanup(move || {
        if let Some(Some(url)) = picture.try_get_untracked() {
            revoke_picture(&url);
        }
    });
    // The picture shows while the header's value is still its file (not a link typed since).
    let header_slot = template.slots().into_iter().find(|slot| matches!(slot, ParamSlot::HeaderMedia(_)));
    let shown_picture = move || {
        let file =
            values.with(|v| header_slot.as_ref().and_then(|slot| v.get(slot)).and_then(HeaderFile::parse));
        picture.get().filter(|_| file.is_some())
    };
    let fill_template = template.clone();
    let errors = move || fill_template.fill(&values.get()).err().map(|e| e.to_string());
    let submit_errors = errors.clone();
    let summary_template = template.clone();
    let summary_slots = template.slots();
    let summary_error = move || {
        let values = values.get();
        let shown_by_a_field = summary_slots
            .iter()
            .any(|slot| summary_template.check_value(slot, values.get(slot).unwrap_or_default()).is_err());
        if shown_by_a_field {
            None
        } else {
            summary_template.fill(&values).err().map(|e| e.to_string())
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        if submit_errors().is_none() {
            on_submit.run(values.get_untracked());
        }
    };

    view! {
        <form class="template-form" on:submit=submit novalidate>
            <h3>{template.name().as_str().to_owned()}</h3>
            {slots
                .into_iter()
                .enumerate()
                .map(|(n, slot)| {
                    let hint = template.hint(&slot);
                    let label = hint.label.clone();
                    let hint_id = format!("parametro-{n}");
                    let check_template = template.clone();
                    let slot_for_input = slot.clone();
                    let field_error = move || {
                        let value = values.get().get(&slot).unwrap_or_default().to_owned();
                        (tried.get() || !value.is_empty())
                            .then(|| check_template.check_value(&slot, &value).err())
                            .flatten()
                            .map(|e| e.to_string())
                    };
                    // The sentence around the blank, as the contact reads it, and Meta's example for it.
                    let context = hint.context.map(|(before, after)| view! {
                        <span class="param-context">{before}<mark>"____"</mark>{after}</span>
                    });
                    let example = hint.example.map(|e| view! { <span class="param-example">"Exemplo: "{e}</span> });
                    // A media header takes a link, or a file from the computer (the link's box is then empty).
                    let from_computer = match slot_for_input {
                        ParamSlot::HeaderMedia(format) => {
                            let slot = slot_for_input.clone();
                            let chosen = Signal::derive(move || {
                                values.with(|v| v.get(&slot).and_then(HeaderFile::parse).map(|file| file.name))
                            });
                            let slot = slot_for_input.clone();
                            let kept = Callback::new(move |kept: Option<(String, Option<String>)>| {
                                let (value, shown) = kept.unzip();
                                if let Some(Some(old)) = picture.try_get_untracked() {
                                    revoke_picture(&old);
                                }
                                picture.set(shown.flatten());
                                values.update(|v| v.set(slot.clone(), value.unwrap_or_default()));
                            });
                            Some(view! { <HeaderFilePicker format chosen on_kept=kept /> })
                        }
                        _ => None,
                    };
                    let shown_slot = slot_for_input.clone();
                    let shown = move || {
                        values.with(|v| v.get(&shown_slot).filter(|v| HeaderFile::parse(v).is_none()).unwrap_or_default().to_owned())
                    };
                    view! {
                        <label class="param">
                            {label}
                            <input
                                type="text"
                                autocomplete="off"
                                aria-describedby=hint_id.clone()
                                prop:value=shown
                                on:input=move |ev| {
                                    let value = event_target_value(&ev);
                                    values.update(|v| v.set(slot_for_input.clone(), value));
                                }
                            />
                        </label>
                        {from_computer}
                        <p class="param-hint" id=hint_id>{context}{example}</p>
                        <p class="field-error" role="alert">{field_error}</p>
                    }
                })
                .collect_view()}
            <div class="preview" aria-label="Prévia da mensagem">
                <p class="label">"Prévia"</p>
                <img class="preview-picture" alt="Imagem do cabeçalho" src=shown_picture />
                <p class="preview-text">{preview}</p>
            </div>
            <p class="price" role="note">{price}</p>
            // Each error once: a value's error is said by its field; this line says the server's, and a fill error
            // no field shows (a template the domain refuses as a whole).
            <p class="error" role="alert">
                {move || server_error.get().or_else(|| tried.get().then(summary_error.clone()).flatten())}
            </p>
            <div class="form-actions">
                <button type="button" class="secondary" on:click=move |_| on_back.run(())>"Voltar"</button>
                <button type="submit" class="primary" disabled=move || pending.get()>{submit_label}</button>
            </div>
        </form>
    }
}

/// "Reiniciar atendimento" from its own file: a split point, loaded as the panel first opens.
#[leptos::lazy]
pub(crate) fn restart_panel(
    view: ConversationDetail,
    now: Timestamp,
    on_close: Callback<()>,
    on_sent: Callback<()>,
) -> AnyView {
    view! { <RestartPanel view now on_close on_sent /> }.into_any()
}

/// "Reiniciar": picker → "Continuar" → parameters → "Enviar mensagem".
#[component]
fn RestartPanel(
    view: ConversationDetail,
    now: Timestamp,
    on_close: Callback<()>,
    on_sent: Callback<()>,
) -> impl IntoView {
    let offer = restart_eligibility(&view.channel, Some(&view.lifecycle), now);
    let templates = offered(&view.templates, offer.as_ref().ok().copied());
    let refusal = offer.as_ref().err().map(ToString::to_string);
    let note = view
        .lifecycle
        .attempt()
        .map(|a| format!("Para tentar de novo, use um modelo do tipo {}.", a.category().label()));
    let chosen = RwSignal::new(None::<Template>);
    let send = ServerAction::<RestartConversation>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = send.value().get() {
            on_sent.run(());
        }
    });
    let server_error = Signal::derive(move || match send.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    });
    let window = view.lifecycle.window(&view.channel, now);

    view! {
        <div class="restart-panel" role="dialog" aria-label="Reiniciar atendimento" on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    on_close.run(());
                }
            }>
            <header class="panel-header">
                <h2>"Reiniciar atendimento"</h2>
                <button type="button" class="icon-button" aria-label="Fechar" on:click=move |_| on_close.run(())>
                    "×"
                </button>
            </header>
            <p class="error" role="alert">{refusal}</p>
            {move || match chosen.get() {
                None => {
                    view! {
                        <TemplatePicker
                            templates=templates.clone()
                            note=note.clone().unwrap_or_default()
                            on_continue=Callback::new(move |t| chosen.set(Some(t)))
                        />
                    }
                        .into_any()
                }
                Some(template) => {
                    let price = price_note(
                        &view.channel,
                        &template,
                        &window,
                        view.rate_card.as_ref(),
                        view.account_currency,
                        view.summary.contact_phone.as_ref(),
                        now,
                    );
                    let conversation = view.summary.id.0;
                    let name = template.name().as_str().to_owned();
                    let language = template.language().as_str().to_owned();
                    view! {
                        <TemplateParamsForm
                            template
                            price
                            submit_label="Enviar mensagem"
                            contact_name=view.summary.contact_name.as_str().to_owned()
                            pending=send.pending().into()
                            server_error
                            on_submit=Callback::new(move |values| {
                                send.dispatch(RestartConversation {
                                    conversation,
                                    template: name.clone(),
                                    language: language.clone(),
                                    values,
                                });
                            })
                            on_back=Callback::new(move |()| chosen.set(None))
                        />
                    }
                        .into_any()
                }
            }}
        </div>
    }
}
