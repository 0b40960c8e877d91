//! The same rules, run inside WebAssembly (`cargo test -p atende-domain --target wasm32-unknown-unknown
//! --test wasm`, with wasm-bindgen's test runner under Node): the browser must answer exactly as the server.
#![cfg(target_arch = "wasm32")]

use atende_domain::channel::{Channel, ChannelKind};
use atende_domain::contact::ContactForm;
use atende_domain::conversation::ConversationStatus;
use atende_domain::lifecycle::{restart_eligibility, Lifecycle, RestartOffer};
use atende_domain::phone::Phone;
use atende_domain::pricing::{classify, Outgoing, PricingType};
use atende_domain::queue::{compose_decision, ComposeDecision, ComposeRefusal};
use atende_domain::template::{
    ParamSlot, Placeholder, Template, TemplateCategory, TemplateSpec, TemplateValues,
};
use atende_domain::time::Timestamp;
use wasm_bindgen_test::wasm_bindgen_test;

const T0: Timestamp = Timestamp::from_millis(1_767_225_600_000);
const HOUR: i64 = 3_600_000;

fn template() -> Template {
    let entry = serde_json::json!({
        "name": "pedido_saiu_para_entrega", "language": "pt_BR", "category": "UTILITY", "status": "APPROVED",
        "components": [{ "type": "BODY", "text": "Olá {{1}}, seu pedido {{2}} saiu para entrega." }]
    });
    Template::new(TemplateSpec::from_graph_api(&entry).expect("readable")).expect("valid")
}

#[wasm_bindgen_test]
fn a_number_typed_in_the_browser_is_the_same_number_on_the_server() {
    let phone = Phone::parse("(11) 8765-4321").expect("a mobile without its ninth digit");
    assert_eq!(phone.digits(), "5511987654321");
    assert_eq!(phone.to_string(), "+55 (11) 98765-4321");
    let refused = ContactForm { name: "Maria".into(), phone: "98765-4321".into() }.validate();
    assert_eq!(
        refused.map_err(|e| e.to_string()),
        Err("Informe o número com DDD, por exemplo (11) 98765-4321.".to_owned())
    );
}

#[wasm_bindgen_test]
fn the_window_closes_24_hours_after_the_contacts_last_message() {
    let channel = Channel::from(ChannelKind::WhatsappOfficial);
    let lifecycle = Lifecycle::started_by_contact(T0);
    assert!(lifecycle.window(&channel, T0.plus_millis(23 * HOUR)).is_open());
    assert!(!lifecycle.window(&channel, T0.plus_millis(25 * HOUR)).is_open());
}

#[wasm_bindgen_test]
fn after_a_template_the_agents_messages_wait_in_the_queue() {
    let channel = Channel::from(ChannelKind::WhatsappOfficial);
    let later = T0.plus_millis(30 * HOUR);
    let closed = Lifecycle::started_by_contact(T0);
    assert_eq!(
        compose_decision(&channel, &closed, later),
        ComposeDecision::Refuse(ComposeRefusal::TemplateRequired)
    );
    assert!(matches!(restart_eligibility(&channel, Some(&closed), later), Ok(RestartOffer::AnyTemplate)));
    let waiting = closed.template_sent(&channel, TemplateCategory::Utility, later).expect("template sent");
    assert_eq!(waiting.status(), ConversationStatus::WaitingForContact);
    assert_eq!(compose_decision(&channel, &waiting, later), ComposeDecision::Hold);
    assert!(!waiting.window(&channel, later).is_open(), "a template opened the window");
}

#[wasm_bindgen_test]
fn instagram_cannot_be_restarted_after_its_window_closed() {
    let channel = Channel::from(ChannelKind::Instagram);
    let closed = Lifecycle::started_by_contact(T0);
    assert!(restart_eligibility(&channel, Some(&closed), T0.plus_millis(25 * HOUR)).is_err());
}

#[wasm_bindgen_test]
fn template_parameters_are_checked_and_the_payload_is_metas() {
    let template = template();
    let missing = template.fill(&TemplateValues::new()).expect_err("parameters are required");
    assert!(missing.to_string().contains("Preencha o campo"), "{missing}");
    let values = TemplateValues::new()
        .with(ParamSlot::Body(Placeholder::Positional(1)), "Maria")
        .with(ParamSlot::Body(Placeholder::Positional(2)), "A-10423");
    let filled = template.fill(&values).expect("filled");
    assert_eq!(filled.preview().body, "Olá Maria, seu pedido A-10423 saiu para entrega.");
    assert_eq!(
        serde_json::to_value(filled.components()).expect("json"),
        serde_json::json!([{ "type": "body", "parameters": [
            { "type": "text", "text": "Maria" }, { "type": "text", "text": "A-10423" }
        ]}])
    );
}

#[wasm_bindgen_test]
fn a_template_outside_the_window_is_billed_and_a_reply_inside_it_is_not() {
    let kind = ChannelKind::WhatsappOfficial;
    let channel = Channel::from(kind);
    let closed = Lifecycle::started_by_contact(T0).window(&channel, T0.plus_millis(30 * HOUR));
    let billed =
        classify(kind, Outgoing::Template(TemplateCategory::Marketing), &closed, false).expect("billed");
    assert_eq!(billed.pricing_type, PricingType::Regular);
    let open = Lifecycle::started_by_contact(T0).window(&channel, T0.plus_millis(HOUR));
    let free = classify(kind, Outgoing::FreeForm, &open, false).expect("classified");
    assert_ne!(free.pricing_type, PricingType::Regular);
}
