//! One contract for the store port, run over SQLite and PostgreSQL.

use atende_domain::contact::{ContactForm, NewContact};
use atende_domain::conversation::{AgentId, ChannelKind, ConversationId, ConversationStatus, Tab};
use atende_domain::phone::Phone;
use atende_domain::ports::{ContactQuery, Store, StoreError};
use atende_domain::time::Timestamp;

const NOW: Timestamp = Timestamp::from_millis(1_764_000_000_000);

fn new_contact(name: &str, phone: &str) -> NewContact {
    ContactForm { name: name.into(), phone: phone.into() }.validate().expect("valid contact")
}

fn query(text: &str) -> ContactQuery {
    ContactQuery { text: text.into(), limit: 50 }
}

fn names(contacts: &[atende_domain::contact::Contact]) -> Vec<&str> {
    contacts.iter().map(|c| c.name.as_str()).collect()
}

contract!(a_saved_contact_is_listed_and_found_by_name_or_number, |db| {
    let store = db.store().await;
    let maria =
        store.create_contact(new_contact("Maria da Silva", "(11) 98765-4321"), NOW).await.expect("saved");
    store.create_contact(new_contact("Ana Souza", "(21) 3456-7890"), NOW).await.expect("saved");

    assert_eq!(
        names(&store.search_contacts(&query("")).await.expect("list")),
        ["Ana Souza", "Maria da Silva"]
    );
    assert_eq!(names(&store.search_contacts(&query("maria")).await.expect("by name")), ["Maria da Silva"]);
    assert_eq!(names(&store.search_contacts(&query("98765")).await.expect("by number")), ["Maria da Silva"]);
    let found =
        store.find_contact_by_phone(&Phone::parse("11987654321").expect("phone")).await.expect("find");
    assert_eq!(found, Some(maria));
});

contract!(a_number_already_known_even_without_the_ninth_digit_is_refused_and_nothing_changes, |db| {
    let store = db.store().await;
    let maria = store.create_contact(new_contact("Maria", "(11) 98765-4321"), NOW).await.expect("saved");
    let twin = store.create_contact(new_contact("Outra Maria", "+55 11 8765-4321"), NOW).await;
    assert_eq!(twin, Err(StoreError::DuplicatePhone { existing: maria.id, name: "Maria".into() }));
    assert_eq!(names(&store.search_contacts(&query("")).await.expect("list")), ["Maria"]);
});

contract!(search_ignores_case_and_accents_and_reads_wildcards_as_letters, |db| {
    let store = db.store().await;
    store.create_contact(new_contact("João Conceição", "(31) 99999-0001"), NOW).await.expect("saved");
    store.create_contact(new_contact("100% Pneus", "(31) 3333-0002"), NOW).await.expect("saved");
    store.create_contact(new_contact("Joana_Paz", "(31) 3333-0003"), NOW).await.expect("saved");

    assert_eq!(names(&store.search_contacts(&query("JOAO")).await.expect("s")), ["João Conceição"]);
    assert_eq!(names(&store.search_contacts(&query("conceicao")).await.expect("s")), ["João Conceição"]);
    assert_eq!(names(&store.search_contacts(&query("%")).await.expect("s")), ["100% Pneus"]);
    assert_eq!(names(&store.search_contacts(&query("_")).await.expect("s")), ["Joana_Paz"]);
    assert!(store.search_contacts(&query("'; DROP TABLE contact; --")).await.expect("s").is_empty());
    assert_eq!(store.search_contacts(&query("")).await.expect("s").len(), 3);
});

contract!(the_search_returns_at_most_the_limit_in_name_order, |db| {
    let store = db.store().await;
    for n in 0..5 {
        store
            .create_contact(new_contact(&format!("Cliente {n}"), &format!("(41) 3333-000{n}")), NOW)
            .await
            .expect("s");
    }
    let page = store.search_contacts(&ContactQuery { text: "cliente".into(), limit: 3 }).await.expect("s");
    assert_eq!(names(&page), ["Cliente 0", "Cliente 1", "Cliente 2"]);
});

contract!(a_conversation_opens_only_for_a_known_contact_and_is_listed_under_meus, |db| {
    let store = db.store().await;
    let maria = store.create_contact(new_contact("Maria", "(11) 98765-4321"), NOW).await.expect("saved");
    let opened = store.open_conversation(maria.id, ChannelKind::WhatsappOfficial, NOW).await.expect("opened");
    assert_eq!(opened.contact_name.as_str(), "Maria");
    assert_eq!(opened.status, ConversationStatus::Open);
    assert_eq!(opened.channel, ChannelKind::WhatsappOfficial);
    assert_eq!(opened.last_inbound_at, None);

    let missing = store
        .open_conversation(atende_domain::contact::ContactId(999_999), ChannelKind::Instagram, NOW)
        .await;
    assert_eq!(missing, Err(StoreError::NotFound));

    assert_eq!(store.list_conversations(Tab::All).await.expect("todos"), vec![opened]);
    assert!(store.list_conversations(Tab::Concluded).await.expect("concluidos").is_empty());
});

contract!(what_was_saved_survives_a_restart_and_migrations_run_once, |db| {
    let store = db.store().await;
    store.create_contact(new_contact("Maria", "(11) 98765-4321"), NOW).await.expect("saved");
    store.close().await;
    let reopened = db.store().await;
    assert_eq!(names(&reopened.search_contacts(&query("")).await.expect("list")), ["Maria"]);
    reopened.close().await;
});

contract!(a_contact_is_edited_but_never_onto_another_contacts_number, |db| {
    let store = db.store().await;
    let maria = store.create_contact(new_contact("Maria", "(11) 98765-4321"), NOW).await.expect("saved");
    let ana = store.create_contact(new_contact("Ana", "(21) 3456-7890"), NOW).await.expect("saved");
    let edited =
        store.update_contact(ana.id, new_contact("Ana Paula", "(21) 3456-7891")).await.expect("edited");
    assert_eq!(edited.name.as_str(), "Ana Paula");
    assert_eq!(store.contact(ana.id).await.expect("read"), edited);
    let taken = store.update_contact(ana.id, new_contact("Ana", "+55 11 8765-4321")).await;
    assert_eq!(taken, Err(StoreError::DuplicatePhone { existing: maria.id, name: "Maria".into() }));
    assert_eq!(store.contact(ana.id).await.expect("unchanged"), edited);
    let missing = store
        .update_contact(atende_domain::contact::ContactId(999_999), new_contact("X", "(31) 3333-0000"))
        .await;
    assert_eq!(missing, Err(StoreError::NotFound));
});

contract!(the_first_admin_is_created_once_in_geral_and_a_restart_changes_nobody, |db| {
    use atende_domain::access::{Email, Role};
    use atende_server::store::agents::NewAgent;
    let store = db.store().await;
    let geral = store.ensure_team("Geral", NOW).await.expect("team");
    let admin = |email: &str, hash: &str| NewAgent {
        email: Email::parse(email).expect("valid"),
        name: "Dona da Loja".into(),
        password_hash: hash.into(),
        role: Role::Admin,
    };
    let created =
        store.ensure_first_admin(&admin("dona@loja.com.br", "hash-1"), geral, NOW).await.expect("ok");
    assert!(created.is_some());
    // A restart with other values (or the same e-mail and a new password) changes nothing.
    let again = store.ensure_first_admin(&admin("dona@loja.com.br", "hash-2"), geral, NOW).await.expect("ok");
    assert_eq!(again, None);
    let other =
        store.ensure_first_admin(&admin("outro@loja.com.br", "hash-3"), geral, NOW).await.expect("ok");
    assert_eq!(other, None);
    assert_eq!(store.agent_count().await.expect("count"), 1);
    let stored = store
        .agent_by_email(&Email::parse("DONA@loja.com.br").expect("valid"))
        .await
        .expect("read")
        .expect("the admin");
    assert_eq!(Some(stored.id), created);
    assert_eq!((stored.role, stored.active, stored.password_hash.as_str()), (Role::Admin, true, "hash-1"));
    assert_eq!(stored.teams, [geral]);
});

contract!(lists_narrow_to_the_viewers_teams_and_sessions_expire_and_end, |db| {
    use atende_domain::access::{Email, Role};
    use atende_domain::conversation::ConversationId;
    use atende_server::store::agents::NewAgent;
    use atende_server::store::channels::ChannelConfig;
    let store = db.store().await;
    let sales = store.ensure_team("Vendas", NOW).await.expect("team");
    let finance = store.ensure_team("Financeiro", NOW).await.expect("team");
    let channel = store
        .upsert_channel(
            &ChannelConfig {
                kind: ChannelKind::WhatsappUnofficial,
                name: "WhatsApp Não Oficial".into(),
                provider_id: "loja".into(),
                account_id: None,
                display_phone: None,
                secret_config: "{}".into(),
                human_agent_tag: false,
            },
            NOW,
        )
        .await
        .expect("channel");
    let mut ids = Vec::new();
    for (team, phone) in
        [(Some(sales), "(11) 91111-0001"), (Some(finance), "(11) 91111-0002"), (None, "(11) 91111-0003")]
    {
        let contact = store.create_contact(new_contact("Cliente", phone), NOW).await.expect("contact");
        ids.push(store.open_conversation_on(contact.id.0, channel, team, NOW).await.expect("opened"));
    }
    let listed = |teams: Option<Vec<i64>>| {
        let store = store.clone();
        async move {
            let mut ids: Vec<i64> = store
                .list_visible(Tab::All, teams.as_deref(), AgentId(1))
                .await
                .expect("list")
                .iter()
                .map(|c| c.id.0)
                .collect();
            ids.sort_unstable();
            ids
        }
    };
    assert_eq!(listed(None).await, ids, "everything for an admin");
    assert_eq!(listed(Some(vec![sales])).await, [ids[0], ids[2]], "their team and the shared inbox");
    assert_eq!(listed(Some(vec![])).await, [ids[2]]);
    assert_eq!(store.conversation_team(ConversationId(ids[1])).await.expect("team"), Some(finance));
    assert_eq!(store.conversation_team(ConversationId(9_999)).await, Err(StoreError::NotFound));

    let agent = NewAgent {
        email: Email::parse("ana@loja.com.br").expect("valid"),
        name: "Ana".into(),
        password_hash: "hash".into(),
        role: Role::Agent,
    };
    let id = store.create_agent(&agent, &[sales], NOW).await.expect("agent");
    store.create_session(id, "h1", NOW, NOW.plus_millis(1_000)).await.expect("session");
    let viewer = store.session_viewer("h1", NOW).await.expect("read").expect("signed in");
    assert_eq!((viewer.agent, viewer.role, viewer.teams.clone()), (id, Role::Agent, vec![sales]));
    assert_eq!(store.session_viewer("h1", NOW.plus_millis(1_000)).await.expect("read"), None, "expired");
    assert_eq!(store.session_viewer("outro", NOW).await.expect("read"), None);
    store.create_session(id, "h2", NOW, NOW.plus_millis(60_000)).await.expect("session");
    store.delete_session("h2", NOW).await.expect("signed out");
    assert_eq!(store.session_viewer("h2", NOW).await.expect("read"), None);
});

contract!(the_audit_trail_keeps_who_did_what_in_order, |db| {
    use atende_domain::ports::{AuditAction, Outbox};
    let store = db.store().await;
    let contact =
        store.create_contact(new_contact("Cliente", "(11) 95555-0001"), NOW).await.expect("contact");
    let conversation =
        store.open_conversation(contact.id, ChannelKind::WhatsappOfficial, NOW).await.expect("opened").id;
    store.record_audit(conversation, None, AuditAction::Started, Some("boas_vindas"), NOW).await.expect("a");
    store
        .record_audit(conversation, None, AuditAction::Concluded, None, NOW.plus_millis(1))
        .await
        .expect("b");
    let trail = store.audit_trail(conversation).await.expect("trail");
    let actions: Vec<_> = trail.iter().map(|e| (e.action, e.detail.clone(), e.at)).collect();
    assert_eq!(
        actions,
        [
            (AuditAction::Started, Some("boas_vindas".to_owned()), NOW),
            (AuditAction::Concluded, None, NOW.plus_millis(1))
        ]
    );
});

contract!(assignment_moves_conversations_between_tabs_and_admin_changes_are_kept, |db| {
    use atende_domain::access::{Email, Role};
    use atende_domain::conversation::Assignee;
    use atende_domain::ports::Outbox;
    use atende_server::store::agents::NewAgent;
    use atende_server::store::channels::ChannelConfig;
    let store = db.store().await;
    let sales = store.ensure_team("Vendas", NOW).await.expect("team");
    assert_eq!(store.create_team("Vendas", NOW).await.expect("read"), None, "one team per name");
    let support = store.create_team("Suporte", NOW).await.expect("created").expect("new name");
    let channel = store
        .upsert_channel(&ChannelConfig::plain(ChannelKind::WhatsappUnofficial, "Gateway", "loja"), NOW)
        .await
        .expect("channel");
    let agent = |email: &str, name: &str| NewAgent {
        email: Email::parse(email).expect("valid"),
        name: name.into(),
        password_hash: "hash".into(),
        role: Role::Agent,
    };
    let ana = store.create_agent(&agent("ana@loja.com.br", "Ana"), &[sales], NOW).await.expect("ana");
    let bia = store.create_agent(&agent("bia@loja.com.br", "Bia"), &[sales], NOW).await.expect("bia");
    let caio = store.create_agent(&agent("caio@loja.com.br", "Caio"), &[support], NOW).await.expect("caio");
    let contact =
        store.create_contact(new_contact("Cliente", "(11) 97777-0001"), NOW).await.expect("contact");
    let id = store.open_for(contact.id, channel, sales, Some(AgentId(ana)), NOW).await.expect("opened");
    let tab = |tab: Tab, me: i64| {
        let store = store.clone();
        async move {
            store
                .list_visible(tab, Some(&[sales]), AgentId(me))
                .await
                .expect("list")
                .iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(tab(Tab::Mine, ana).await, [id], "Meus of the agent who started it");
    assert!(tab(Tab::Mine, bia).await.is_empty(), "not in a colleague's Meus");
    assert_eq!(tab(Tab::All, bia).await, [id]);
    assert!(tab(Tab::Unassigned, bia).await.is_empty());

    assert_eq!(store.assign(id, Assignee::Unassigned, NOW).await, Ok(Assignee::Agent(AgentId(ana))));
    assert_eq!(tab(Tab::Unassigned, ana).await, [id], "back to the team's queue");
    assert!(tab(Tab::Mine, ana).await.is_empty());
    store.open_for(contact.id, channel, sales, None, NOW).await.expect("reopened");
    assert_eq!(tab(Tab::Unassigned, ana).await, [id], "reopening without an agent keeps who had it");

    store.set_agent_active(bia, false, NOW).await.expect("deactivated");
    store.create_session(caio, "s-caio", NOW, NOW.plus_millis(60_000)).await.expect("session");
    store.create_session(bia, "s-bia", NOW, NOW.plus_millis(60_000)).await.expect("session");
    store.set_agent_active(caio, false, NOW).await.expect("deactivated");
    assert_eq!(store.session_viewer("s-caio", NOW).await.expect("read"), None, "signed out at once");
    assert_eq!(store.assign(id, Assignee::Agent(AgentId(bia)), NOW).await, Err(StoreError::NotFound));
    assert_eq!(store.summary(id).await.expect("summary").assignee, Assignee::Unassigned, "unchanged");
    assert_eq!(
        store.assign(ConversationId(9_999), Assignee::Unassigned, NOW).await,
        Err(StoreError::NotFound)
    );
    let names: Vec<String> =
        store.assignable_agents(Some(sales)).await.expect("agents").into_iter().map(|a| a.name).collect();
    assert_eq!(names, ["Ana"], "active members only");
    assert_eq!(store.assign(id, Assignee::Agent(AgentId(ana)), NOW).await, Ok(Assignee::Unassigned));

    store.set_agent_teams(ana, &[support], NOW).await.expect("moved");
    assert_eq!(
        store.summary(id).await.expect("summary").assignee,
        Assignee::Unassigned,
        "left the team: given back"
    );
    let trail = store.audit_trail(id).await.expect("trail");
    assert_eq!(
        trail.last().and_then(|e| e.detail.clone()).as_deref(),
        Some("sem responsável (saiu da equipe)")
    );
    assert_eq!(
        store.session_viewer("s-bia", NOW).await.expect("read"),
        None,
        "deactivated: no session works"
    );
    assert_eq!(
        store.all_agents().await.expect("agents").iter().find(|a| a.id == ana).map(|a| a.teams.clone()),
        Some(vec![support])
    );
    assert_eq!(store.set_agent_teams(9_999, &[], NOW).await, Err(StoreError::NotFound));

    let token = store.create_api_token("ERP", "hash-do-token", ana, NOW).await.expect("token");
    let (record, viewer) = store.api_token_viewer("hash-do-token").await.expect("read").expect("valid");
    assert_eq!((record.name.as_str(), viewer.agent), ("ERP", ana));
    store.revoke_api_token(token, NOW.plus_millis(5)).await.expect("revoked");
    assert_eq!(store.api_token_viewer("hash-do-token").await.expect("read"), None);
    let listed = store.api_tokens().await.expect("tokens");
    assert_eq!(listed.iter().map(|t| t.revoked_at).collect::<Vec<_>>(), [Some(NOW.plus_millis(5))]);
    assert_eq!(store.revoke_api_token(9_999, NOW).await, Err(StoreError::NotFound));

    store.assign(id, Assignee::Agent(AgentId(ana)), NOW).await.expect("assigned");
    store.set_agent_active(ana, false, NOW).await.expect("deactivated");
    assert_eq!(store.summary(id).await.expect("summary").assignee, Assignee::Unassigned, "back to the queue");
    let trail = store.audit_trail(id).await.expect("trail");
    assert_eq!(
        trail.last().and_then(|e| e.detail.clone()).as_deref(),
        Some("sem responsável (agente desativado)")
    );
});

contract!(console_channels_are_saved_edited_and_never_clash_with_others, |db| {
    use atende_server::store::channels::{ChannelConfig, SaveChannelError};
    let store = db.store().await;
    let from_env = store
        .upsert_channel(&ChannelConfig::plain(ChannelKind::WhatsappUnofficial, "Ambiente", "inst-a"), NOW)
        .await
        .expect("environment channel");
    let console = ChannelConfig {
        secret_config: r#"{"token":"k"}"#.into(),
        ..ChannelConfig::plain(ChannelKind::WhatsappUnofficial, "Console", "inst-b")
    };
    let (_, before) = store.console_channels_stamp().await.expect("stamp");
    let id = store.save_console_channel(None, &console, NOW).await.expect("saved");
    assert_eq!(store.console_channels_stamp().await.expect("stamp"), (NOW.as_millis(), before + 1));
    let same_instance = ChannelConfig { name: "Outro".into(), ..console.clone() };
    assert_eq!(store.save_console_channel(None, &same_instance, NOW).await, Err(SaveChannelError::Taken));
    let same_name =
        ChannelConfig { name: "Ambiente".into(), provider_id: "inst-c".into(), ..console.clone() };
    assert_eq!(store.save_console_channel(Some(id), &same_name, NOW).await, Err(SaveChannelError::Taken));
    assert_eq!(
        store.save_console_channel(Some(from_env), &console, NOW).await,
        Err(SaveChannelError::FromEnvironment)
    );
    assert_eq!(
        store.save_console_channel(Some(9_999), &console, NOW).await,
        Err(SaveChannelError::Store(StoreError::NotFound))
    );
    let renamed = ChannelConfig { name: "Console Centro".into(), ..console };
    let later = NOW.plus_millis(10);
    assert_eq!(store.save_console_channel(Some(id), &renamed, later).await, Ok(id));
    let records = store.channel_records().await.expect("records");
    let saved = records.iter().find(|r| r.id == id).expect("listed");
    assert!(
        saved.from_console
            && saved.config.name == "Console Centro"
            && saved.config.secret_config.contains("\"k\"")
    );
    assert!(!records.iter().find(|r| r.id == from_env).expect("listed").from_console);
    assert_eq!(store.console_channels_stamp().await.expect("stamp").0, later.as_millis());
});
