//! The sandbox's demo templates and Meta's template checks (§2, §5, §9): which template, which status, how many
//! parameters, which values.

use super::GraphFailure;
use crate::providers::whatsapp::wire::{
    MessageTemplate, Template, TemplateButton, TemplateCategory, TemplateComponent,
    TemplateDefinitionComponent, TemplateParameter, TemplateStatus,
};
use serde_json::json;

fn component(kind: &str, text: &str) -> TemplateDefinitionComponent {
    TemplateDefinitionComponent {
        kind: kind.into(),
        format: None,
        text: Some(text.into()),
        example: None,
        buttons: vec![],
        add_security_recommendation: None,
        code_expiration_minutes: None,
    }
}

fn buttons(buttons: Vec<TemplateButton>) -> TemplateDefinitionComponent {
    TemplateDefinitionComponent { text: None, buttons, ..component("BUTTONS", "") }
}

fn button(kind: &str, text: &str, url: Option<&str>) -> TemplateButton {
    TemplateButton {
        kind: kind.into(),
        text: Some(text.into()),
        url: url.map(Into::into),
        phone_number: None,
        otp_type: None,
        example: None,
    }
}

fn template(
    id: u64,
    name: &str,
    category: TemplateCategory,
    status: TemplateStatus,
    named: bool,
    components: Vec<TemplateDefinitionComponent>,
) -> MessageTemplate {
    MessageTemplate {
        id: id.to_string(),
        name: name.into(),
        language: "pt_BR".into(),
        status,
        category,
        parameter_format: Some(if named { "NAMED" } else { "POSITIONAL" }.into()),
        components,
        rejected_reason: (status == TemplateStatus::Rejected).then(|| "PROMOTIONAL".into()),
        quality_score: None,
    }
}

/// One template of each category, the no-parameter one behind "Reiniciar", and some that must not be sent.
pub(super) fn demo_templates() -> Vec<MessageTemplate> {
    use TemplateCategory::{Authentication, Marketing, Utility};
    use TemplateStatus::{Approved, Disabled, Paused, Pending, Rejected};
    let body_with_example = |text: &str, example: serde_json::Value| TemplateDefinitionComponent {
        example: Some(example),
        ..component("BODY", text)
    };
    vec![
        template(
            1_100_000_000_001,
            "pedido_saiu_para_entrega",
            Utility,
            Approved,
            false,
            vec![
                body_with_example(
                    "Olá {{1}}, seu pedido {{2}} saiu para entrega.",
                    json!({"body_text": [["Maria", "A-10423"]]}),
                ),
                component("FOOTER", "Loja Exemplo"),
            ],
        ),
        template(
            1_100_000_000_002,
            "promocao_aniversario",
            Marketing,
            Approved,
            true,
            vec![
                TemplateDefinitionComponent { format: Some("TEXT".into()), ..component("HEADER", "Feliz aniversário!") },
                body_with_example(
                    "Oi {{nome}}, hoje é o seu dia! Você ganhou 15% de desconto em toda a loja até domingo.",
                    json!({"body_text_named_params": [{"param_name": "nome", "example": "Maria"}]}),
                ),
                buttons(vec![
                    button("QUICK_REPLY", "Quero aproveitar", None),
                    button("QUICK_REPLY", "Não tenho interesse", None),
                ]),
            ],
        ),
        template(
            1_100_000_000_003,
            "codigo_verificacao",
            Authentication,
            Approved,
            false,
            vec![
                TemplateDefinitionComponent {
                    add_security_recommendation: Some(true),
                    ..body_with_example(
                        "*{{1}}* é o seu código de verificação. Para sua segurança, não o compartilhe.",
                        json!({"body_text": [["123456"]]}),
                    )
                },
                TemplateDefinitionComponent {
                    code_expiration_minutes: Some(10),
                    ..component("FOOTER", "Este código expira em 10 minutos.")
                },
                // How Meta lists an authentication copy-code button: a URL button carrying the code.
                buttons(vec![TemplateButton {
                    example: Some(json!([
                        "https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code_expiration_minutes=10&code=otp123456"
                    ])),
                    ..button(
                        "URL",
                        "Copiar código",
                        Some("https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code_expiration_minutes=10&code=otp{{1}}"),
                    )
                }]),
            ],
        ),
        template(
            1_100_000_000_004,
            "retomar_atendimento",
            Utility,
            Approved,
            false,
            vec![component(
                "BODY",
                "Olá! Queremos continuar o seu atendimento. Responda esta mensagem para falar com a nossa equipe.",
            )],
        ),
        template(
            1_100_000_000_005,
            "oferta_relampago",
            Marketing,
            Rejected,
            false,
            vec![body_with_example(
                "COMPRE JÁ {{1}}!!! Só hoje, clique e ganhe!",
                json!({"body_text": [["Maria"]]}),
            )],
        ),
        template(
            1_100_000_000_006,
            "pesquisa_satisfacao",
            Utility,
            Pending,
            false,
            vec![body_with_example(
                "Olá {{1}}, como foi o seu atendimento? Responda com uma nota de 1 a 5.",
                json!({"body_text": [["Maria"]]}),
            )],
        ),
        template(
            1_100_000_000_007,
            "lembrete_pagamento",
            Utility,
            Paused,
            false,
            vec![body_with_example(
                "Olá {{1}}, a fatura {{2}} vence amanhã.",
                json!({"body_text": [["Maria", "2026-11"]]}),
            )],
        ),
        template(
            1_100_000_000_008,
            "novidades_semana",
            Marketing,
            Disabled,
            false,
            vec![component("BODY", "Confira as novidades desta semana na nossa loja.")],
        ),
        template(
            1_100_000_000_009,
            "comprovante_entrega",
            Utility,
            Approved,
            false,
            vec![
                // A media header: its file (a link, or one from the agent's computer) is given at send time.
                TemplateDefinitionComponent {
                    format: Some("IMAGE".into()),
                    text: None,
                    example: Some(json!({"header_handle": ["4::aW1hZ2UvanBlZw==:ARb-sandbox"]})),
                    ..component("HEADER", "")
                },
                body_with_example(
                    "Olá {{1}}, seu pedido {{2}} foi entregue. Veja acima a foto da entrega.",
                    json!({"body_text": [["Maria", "A-10423"]]}),
                ),
            ],
        ),
    ]
}

/// The names inside `{{…}}`, in order of first appearance.
pub(super) fn placeholders(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim().to_owned();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
        rest = &after[end + 2..];
    }
    names
}

const PARAM_TEXT_RULE: &str =
    "Param text cannot have new-line/tab characters or more than 4 consecutive spaces";

fn invalid_text(text: &str) -> bool {
    text.contains('\n') || text.contains('\t') || text.contains("     ")
}

fn mismatch(component: &str, given: usize, expected: usize) -> GraphFailure {
    GraphFailure::template(
        132000,
        "(#132000) Number of parameters does not match the expected number of params",
        format!(
            "{component}: number of localizable_params ({given}) does not match the expected number of params ({expected})"
        ),
    )
}

fn validation(details: impl Into<String>) -> GraphFailure {
    GraphFailure::template(132018, "(#132018) There's an issue with the parameters in your template", details)
}

fn format_mismatch(details: impl Into<String>) -> GraphFailure {
    GraphFailure::template(
        132012,
        "(#132012) Parameter format does not match format in the created template",
        details,
    )
}

/// The id of the uploaded file a template send's media header names, if it names one (not a link).
pub(super) fn header_media_id(requested: &Template) -> Option<&str> {
    let header = requested.components.iter().filter(|c| c.kind.eq_ignore_ascii_case("header"));
    header
        .flat_map(|c| c.parameters.iter())
        .filter_map(TemplateParameter::media)
        .find_map(|m| m.id.as_deref())
}

/// Meta's checks of a template send, in Meta's order: existence and approval (132001, 132015, 132016), then
/// the number of parameters per component (132000), then their values (132012, 132018).
pub(super) fn validate<'a>(
    templates: &'a [MessageTemplate],
    requested: &Template,
) -> Result<&'a MessageTemplate, GraphFailure> {
    let not_found = || {
        GraphFailure::template(
            132001,
            "(#132001) Template name does not exist in the translation",
            format!("template name ({}) does not exist in {}", requested.name, requested.language.code),
        )
    };
    let definition = templates
        .iter()
        .find(|t| t.name == requested.name && t.language == requested.language.code)
        .ok_or_else(not_found)?;
    match definition.status {
        TemplateStatus::Approved => {}
        TemplateStatus::Paused => {
            return Err(GraphFailure::template(
                132015,
                "(#132015) Template is Paused",
                format!("template {} is paused due to low quality", definition.name),
            ))
        }
        TemplateStatus::Disabled => {
            return Err(GraphFailure::template(
                132016,
                "(#132016) Template is Disabled",
                format!("template {} was paused too many times and is permanently disabled", definition.name),
            ))
        }
        _ => return Err(not_found()),
    }

    let definition_text = |kind: &str| {
        definition
            .components
            .iter()
            .find(|c| c.kind.eq_ignore_ascii_case(kind))
            .and_then(|c| c.text.as_deref())
    };
    let given = |kind: &str| -> Vec<&TemplateParameter> {
        requested
            .components
            .iter()
            .filter(|c| c.kind.eq_ignore_ascii_case(kind))
            .flat_map(|c| c.parameters.iter())
            .collect()
    };
    for c in &requested.components {
        if !["header", "body", "button"].contains(&c.kind.to_ascii_lowercase().as_str()) {
            return Err(validation(format!("components: unknown component type {}", c.kind)));
        }
    }

    // Header: a text header's placeholders, or one media parameter for a media header.
    let header = definition.components.iter().find(|c| c.kind.eq_ignore_ascii_case("HEADER"));
    let header_format = header.and_then(|h| h.format.as_deref()).unwrap_or("TEXT").to_ascii_uppercase();
    let expected_header = match header {
        None => 0,
        Some(_) if header_format == "TEXT" => placeholders(definition_text("HEADER").unwrap_or("")).len(),
        Some(_) => 1,
    };
    let header_params = given("header");
    if header_params.len() != expected_header {
        return Err(mismatch("header", header_params.len(), expected_header));
    }

    let body_names = placeholders(definition_text("BODY").unwrap_or(""));
    let body_params = given("body");
    if body_params.len() != body_names.len() {
        return Err(mismatch("body", body_params.len(), body_names.len()));
    }

    let template_buttons: Vec<&TemplateButton> = definition
        .components
        .iter()
        .filter(|c| c.kind.eq_ignore_ascii_case("BUTTONS"))
        .flat_map(|c| c.buttons.iter())
        .collect();
    let button_components: Vec<&TemplateComponent> =
        requested.components.iter().filter(|c| c.kind.eq_ignore_ascii_case("button")).collect();
    for (index, button) in template_buttons.iter().enumerate() {
        let needs_value = match button.kind.as_str() {
            "URL" => button.url.as_deref().is_some_and(|u| !placeholders(u).is_empty()),
            "COPY_CODE" | "OTP" => true,
            _ => false,
        };
        let provided = button_components.iter().any(|c| c.index.as_deref() == Some(&index.to_string()));
        if needs_value && !provided {
            return Err(mismatch(&format!("button at index {index}"), 0, 1));
        }
    }
    for c in &button_components {
        let Some(index) = c.index.as_deref().and_then(|i| i.parse::<usize>().ok()) else {
            return Err(validation("buttons: each button component needs a numeric index"));
        };
        let Some(button) = template_buttons.get(index) else {
            return Err(validation(format!(
                "buttons: Button at index {index} does not exist in the template"
            )));
        };
        let (sub_type, expected_name) = match button.kind.as_str() {
            "QUICK_REPLY" => ("quick_reply", "QuickReply"),
            "URL" | "OTP" => ("url", "Url"),
            "COPY_CODE" => ("copy_code", "CopyCode"),
            "FLOW" => ("flow", "Flow"),
            other => (other, other),
        };
        if !c.sub_type.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(sub_type)) {
            return Err(validation(format!(
                "buttons: Button at index {index} must be of type {expected_name}"
            )));
        }
        let expected = usize::from(sub_type != "quick_reply");
        if sub_type == "quick_reply" {
            if c.parameters.len() > 1 {
                return Err(mismatch(&format!("button at index {index}"), c.parameters.len(), 1));
            }
        } else if c.parameters.len() != expected {
            return Err(mismatch(&format!("button at index {index}"), c.parameters.len(), expected));
        }
    }

    // Values.
    let named = definition.parameter_format.as_deref() == Some("NAMED");
    for parameter in &body_params {
        if !["text", "currency", "date_time"].contains(&parameter.kind.as_str()) {
            return Err(format_mismatch(format!(
                "body: parameter of type {} is not allowed",
                parameter.kind
            )));
        }
        if named {
            match parameter.parameter_name.as_deref() {
                Some(name) if body_names.iter().any(|n| n == name) => {}
                Some(name) => {
                    return Err(validation(format!(
                        "body: parameter name ({name}) does not exist in the template"
                    )))
                }
                None => {
                    return Err(validation("body: a NAMED template needs parameter_name on every parameter"))
                }
            }
        }
    }
    for parameter in header_params.iter() {
        let expected_kind =
            if header_format == "TEXT" { "text".to_owned() } else { header_format.to_ascii_lowercase() };
        if parameter.kind != expected_kind {
            return Err(format_mismatch(format!("header: expected a parameter of type {expected_kind}")));
        }
        if expected_kind != "text" && parameter.media().is_none_or(|m| m.id.is_none() && m.link.is_none()) {
            return Err(validation(format!("header: {expected_kind} requires either id or link")));
        }
    }
    let every_parameter = requested.components.iter().flat_map(|c| c.parameters.iter());
    for parameter in every_parameter {
        if parameter.kind == "text" {
            match parameter.text.as_deref() {
                None | Some("") => return Err(validation("Param text cannot be empty")),
                Some(text) if invalid_text(text) => return Err(validation(PARAM_TEXT_RULE)),
                Some(_) => {}
            }
        }
        if parameter.kind == "payload" && parameter.payload.as_deref().is_none_or(str::is_empty) {
            return Err(validation("buttons: quick reply payload cannot be empty"));
        }
    }
    Ok(definition)
}

/// The body as the contact would read it (placeholders filled), for the simulator page.
pub(super) fn render(definition: &MessageTemplate, requested: &Template) -> String {
    let Some(body) = definition
        .components
        .iter()
        .find(|c| c.kind.eq_ignore_ascii_case("BODY"))
        .and_then(|c| c.text.clone())
    else {
        return definition.name.clone();
    };
    let params: Vec<&TemplateParameter> = requested
        .components
        .iter()
        .filter(|c| c.kind.eq_ignore_ascii_case("body"))
        .flat_map(|c| c.parameters.iter())
        .collect();
    let mut text = body;
    for (position, name) in placeholders(&text.clone()).iter().enumerate() {
        let value = params
            .iter()
            .find(|p| p.parameter_name.as_deref() == Some(name.as_str()))
            .or_else(|| params.get(position))
            .and_then(|p| p.text.clone())
            .unwrap_or_default();
        text = text.replace(&format!("{{{{{name}}}}}"), &value);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(name: &str, components: Vec<TemplateComponent>) -> Template {
        Template { components, ..Template::new(name, "pt_BR") }
    }

    fn code_of(result: Result<&MessageTemplate, GraphFailure>) -> Option<i64> {
        result.err().map(|f| f.error.code)
    }

    #[test]
    fn placeholders_are_found_in_order_once() {
        assert_eq!(placeholders("Olá {{1}}, pedido {{2}} ({{1}})"), ["1", "2"]);
        assert_eq!(placeholders("Oi {{nome}}!"), ["nome"]);
        assert!(placeholders("sem nada").is_empty());
    }

    #[test]
    fn the_demo_templates_cover_every_category_and_the_refusals() {
        let templates = demo_templates();
        for category in
            [TemplateCategory::Marketing, TemplateCategory::Utility, TemplateCategory::Authentication]
        {
            assert!(templates.iter().any(|t| t.category == category && t.status == TemplateStatus::Approved));
        }
        assert!(templates.iter().any(|t| t.status == TemplateStatus::Rejected));
        assert!(templates.iter().any(|t| t.status == TemplateStatus::Pending));
    }

    #[test]
    fn each_demo_template_accepts_a_correct_send() {
        let templates = demo_templates();
        let ok = [
            send(
                "pedido_saiu_para_entrega",
                vec![TemplateComponent::body(vec![
                    TemplateParameter::text("Maria"),
                    TemplateParameter::text("A-1"),
                ])],
            ),
            send(
                "promocao_aniversario",
                vec![
                    TemplateComponent::body(vec![TemplateParameter::named_text("nome", "Maria")]),
                    TemplateComponent::quick_reply(0, "QUERO"),
                ],
            ),
            send(
                "codigo_verificacao",
                vec![
                    TemplateComponent::body(vec![TemplateParameter::text("123456")]),
                    TemplateComponent::url_button(0, "123456"),
                ],
            ),
            send("retomar_atendimento", vec![]),
        ];
        for request in ok {
            assert!(validate(&templates, &request).is_ok(), "{} should be accepted", request.name);
        }
    }

    #[test]
    fn refusals_carry_metas_codes() {
        let templates = demo_templates();
        let one = |text: &str| vec![TemplateComponent::body(vec![TemplateParameter::text(text)])];
        assert_eq!(code_of(validate(&templates, &send("nao_existe", vec![]))), Some(132001));
        let english = Template {
            language: crate::providers::whatsapp::wire::Language { code: "en_US".into(), policy: None },
            ..send("retomar_atendimento", vec![])
        };
        assert_eq!(code_of(validate(&templates, &english)), Some(132001));
        assert_eq!(code_of(validate(&templates, &send("oferta_relampago", one("Maria")))), Some(132001));
        assert_eq!(code_of(validate(&templates, &send("pesquisa_satisfacao", one("Maria")))), Some(132001));
        assert_eq!(code_of(validate(&templates, &send("lembrete_pagamento", one("Maria")))), Some(132015));
        assert_eq!(code_of(validate(&templates, &send("novidades_semana", vec![]))), Some(132016));
        assert_eq!(
            code_of(validate(&templates, &send("pedido_saiu_para_entrega", one("Maria")))),
            Some(132000)
        );
        assert_eq!(code_of(validate(&templates, &send("retomar_atendimento", one("x")))), Some(132000));
        assert_eq!(code_of(validate(&templates, &send("codigo_verificacao", one("123456")))), Some(132000));
        let two = |a: &str, b: &str| {
            vec![TemplateComponent::body(vec![TemplateParameter::text(a), TemplateParameter::text(b)])]
        };
        assert_eq!(
            code_of(validate(&templates, &send("pedido_saiu_para_entrega", two("Maria\nSilva", "A")))),
            Some(132018)
        );
        assert_eq!(
            code_of(validate(&templates, &send("pedido_saiu_para_entrega", two("Maria      Silva", "A")))),
            Some(132018)
        );
        assert_eq!(
            code_of(validate(&templates, &send("pedido_saiu_para_entrega", two("", "A")))),
            Some(132018)
        );
        let unnamed = send("promocao_aniversario", one("Maria"));
        assert_eq!(code_of(validate(&templates, &unnamed)), Some(132018));
        let wrong_button = send(
            "codigo_verificacao",
            vec![
                TemplateComponent::body(vec![TemplateParameter::text("123456")]),
                TemplateComponent::quick_reply(0, "123456"),
            ],
        );
        assert_eq!(code_of(validate(&templates, &wrong_button)), Some(132018));
    }

    #[test]
    fn the_rendered_body_fills_positional_and_named_placeholders() {
        let templates = demo_templates();
        let positional = send(
            "pedido_saiu_para_entrega",
            vec![TemplateComponent::body(vec![
                TemplateParameter::text("Maria"),
                TemplateParameter::text("A-1"),
            ])],
        );
        let definition = validate(&templates, &positional).expect("valid");
        assert_eq!(render(definition, &positional), "Olá Maria, seu pedido A-1 saiu para entrega.");
        let named = send(
            "promocao_aniversario",
            vec![TemplateComponent::body(vec![TemplateParameter::named_text("nome", "Ana")])],
        );
        let definition = validate(&templates, &named).expect("valid");
        assert!(render(definition, &named).starts_with("Oi Ana, hoje"));
    }
}
