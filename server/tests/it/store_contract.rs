//! One contract for the store port, run over SQLite and PostgreSQL.

use atende_domain::contact::{ContactForm, NewContact};
use atende_domain::conversation::{AgentId, ChannelKind, ConversationId, ConversationStatus, Tab};
use atende_domain::label::ListFilter;
use atende_domain::listing::ListRange;
use atende_domain::phone::Phone;
use atende_domain::ports::{ContactQuery, Store, StoreError};
use atende_domain::time::Timestamp;
use atende_server::store::channels::ChannelConfig;

const NOW: Timestamp = Timestamp::from_millis(1_764_000_000_000);

fn new_contact(name: &str, phone: &str) -> NewContact {
    ContactForm { name: name.into(), phone: phone.into() }.validate().expect("valid contact")
}

fn query(text: &str) -> ContactQuery {
    ContactQuery { text: text.into(), limit: 50, label: None }
}

fn names(contacts: &[atende_domain::contact::Contact]) -> Vec<&str> {
    contacts.iter().map(|c| c.name.as_str()).collect()
}

/// An agent (not an admin) to create, with a placeholder password hash.
fn agent(email: &str, name: &str) -> atende_server::store::agents::NewAgent {
    use atende_domain::access::{Email, Role};
    atende_server::store::agents::NewAgent {
        email: Email::parse(email).expect("valid"),
        name: name.into(),
        password_hash: "hash".into(),
        role: Role::Agent,
    }
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
    let page = store
        .search_contacts(&ContactQuery { text: "cliente".into(), limit: 3, label: None })
        .await
        .expect("s");
    assert_eq!(names(&page), ["Cliente 0", "Cliente 1", "Cliente 2"]);
});

contract!(contacts_past_the_first_two_thousand_in_name_order_are_found_by_name_and_number, |db| {
    use sqlx::Connection;
    // SQLite tests the first 2,000 contacts in name order, then asks its trigram index for the rest
    // (`search_contacts`): 2,100 contacts put some of them past those.
    let store = db.store().await;
    let mut conn = sqlx::AnyConnection::connect(&db.database.url()).await.expect("connect");
    let rows: Vec<String> =
        (0..2_100).map(|i| format!("('Cliente {i:04}', 'cliente {i:04}', '55219{i:08}', 0)")).collect();
    sqlx::query(&format!(
        "INSERT INTO contact (name, name_folded, phone, created_at) VALUES {}",
        rows.join(",")
    ))
    .execute(&mut conn)
    .await
    .expect("contacts");
    let zelia = store.create_contact(new_contact("Zélia Rara", "(11) 99999-0000"), NOW).await.expect("saved");
    store.create_contact(new_contact("Zoe_x", "(11) 98888-0001"), NOW).await.expect("saved");
    store.create_contact(new_contact("Zoeax", "(11) 98888-0002"), NOW).await.expect("saved");
    let search = |text: &str, limit: u32| {
        let store = &store;
        let query = ContactQuery { text: text.into(), limit, label: None };
        async move { names(&store.search_contacts(&query).await.expect("searched")).join("|") }
    };
    assert_eq!(search("rara", 50).await, "Zélia Rara", "past the first 2,000, through the index");
    assert_eq!(search("ZELIA", 50).await, "Zélia Rara", "case and accents aside");
    assert_eq!(search("99999", 50).await, "Zélia Rara", "by number");
    assert_eq!(search("ra", 50).await, "Zélia Rara", "two letters: the contacts read one by one");
    assert_eq!(search("oe_x", 50).await, "Zoe_x", "'_' is a letter, not any letter");
    assert_eq!(search("cliente 2099", 50).await, "Cliente 2099");
    // By name ("cliente 20…") or by number (…0120): in name order.
    assert_eq!(search("cliente 20", 3).await, "Cliente 0020|Cliente 0120|Cliente 0200");
    // Two of the first 2,000 (by number: 552190000{0,1}209) and ten past them, in one list, in name order.
    let expected: Vec<String> =
        [209, 1_209].into_iter().chain(2_090..2_100).map(|i| format!("Cliente {i:04}")).collect();
    assert_eq!(search("cliente 209", 20).await, expected.join("|"));
    // Past the first 2,000 with more than 1,000 matches in the index: the contacts after them, in name order.
    let many = search("cliente", 2_050).await;
    assert_eq!(many.split('|').count(), 2_050);
    assert!(many.ends_with("|Cliente 2048|Cliente 2049"), "{}", &many[many.len() - 60..]);
    store.update_contact(zelia.id, new_contact("Zélia Nova", "(11) 99999-0000")).await.expect("renamed");
    assert_eq!(search("rara", 50).await, "", "the index follows a new name");
    assert_eq!(search("nova", 50).await, "Zélia Nova");
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
    use atende_domain::access::Role;
    use atende_domain::conversation::ConversationId;
    let store = db.store().await;
    let sales = store.ensure_team("Vendas", NOW).await.expect("team");
    let finance = store.ensure_team("Financeiro", NOW).await.expect("team");
    let channel = gateway_channel(&store).await;
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
                .list_visible(
                    Tab::All,
                    teams.as_deref(),
                    AgentId(1),
                    &ListFilter::default(),
                    &ListRange::first(),
                )
                .await
                .expect("list")
                .rows
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

    let id = store.create_agent(&agent("ana@loja.com.br", "Ana"), &[sales], NOW).await.expect("agent");
    store.create_session(id, "h1", NOW, NOW.plus_millis(1_000)).await.expect("session");
    let viewer = store.session_viewer("h1", NOW).await.expect("read").expect("signed in");
    assert_eq!((viewer.agent, viewer.role, viewer.teams.clone()), (id, Role::Agent, vec![sales]));
    assert_eq!(store.session_viewer("h1", NOW.plus_millis(1_000)).await.expect("read"), None, "expired");
    assert_eq!(store.session_viewer("outro", NOW).await.expect("read"), None);
    store.create_session(id, "h2", NOW, NOW.plus_millis(60_000)).await.expect("session");
    store.delete_session("h2", NOW).await.expect("signed out");
    assert_eq!(store.session_viewer("h2", NOW).await.expect("read"), None);
});

contract!(a_tab_reads_page_by_page_and_a_live_update_reads_only_what_it_names, |db| {
    use atende_domain::listing::{ListPage, ListRange, PAGE};
    let store = db.store().await;
    let sales = store.ensure_team("Vendas", NOW).await.expect("team");
    let finance = store.ensure_team("Financeiro", NOW).await.expect("team");
    let channel = gateway_channel(&store).await;
    // 130 conversations, four updated at each millisecond (ties are broken by the newer conversation), a
    // third of them Financeiro's, which a Vendas agent does not see.
    let mut visible = Vec::new();
    let mut hidden = Vec::new();
    for i in 0..130_i64 {
        let team = [Some(sales), Some(finance), None][(i % 3) as usize];
        let phone = format!("(11) 9{:04}-{:04}", 2000 + i / 10_000, i % 10_000);
        let contact = store.create_contact(new_contact("Cliente", &phone), NOW).await.expect("contact");
        let at = NOW.plus_millis(i / 4);
        let id = store.open_conversation_on(contact.id.0, channel, team, at).await.expect("opened");
        if team == Some(finance) {
            hidden.push(id)
        } else {
            visible.push((at, id))
        }
    }
    visible.sort_by(|a, b| b.cmp(a));
    let expected: Vec<i64> = visible.iter().map(|(_, id)| *id).collect();
    let read = |range: ListRange| {
        let store = store.clone();
        async move {
            store
                .list_visible(Tab::All, Some(&[sales]), AgentId(1), &ListFilter::default(), &range)
                .await
                .expect("page")
        }
    };
    let mut shown = read(ListRange::first()).await;
    assert_eq!(shown.rows.len(), PAGE as usize);
    assert!(shown.next.is_some());
    let mut pages = 1;
    while let Some(after) = shown.next {
        shown.append(read(ListRange::after(after)).await);
        pages += 1;
        assert!(pages <= 3, "a page read twice");
    }
    assert_eq!(pages, 2);
    assert_eq!(shown.rows.iter().map(|c| c.id.0).collect::<Vec<_>>(), expected, "every row once, in order");

    // A live update names two the agent sees and one of Financeiro: only those two come back.
    let named = vec![ConversationId(expected[70]), ConversationId(hidden[0]), ConversationId(expected[3])];
    let ListPage { rows, next } = read(ListRange::Only(named)).await;
    let mut got: Vec<i64> = rows.iter().map(|c| c.id.0).collect();
    got.sort_unstable();
    let mut want = vec![expected[70], expected[3]];
    want.sort_unstable();
    assert_eq!((got, next), (want, None));
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
    use atende_domain::conversation::Assignee;
    use atende_domain::ports::Outbox;
    let store = db.store().await;
    let sales = store.ensure_team("Vendas", NOW).await.expect("team");
    assert_eq!(store.create_team("Vendas", NOW).await.expect("read"), None, "one team per name");
    let support = store.create_team("Suporte", NOW).await.expect("created").expect("new name");
    let channel = store
        .upsert_channel(&ChannelConfig::plain(ChannelKind::WhatsappUnofficial, "Gateway", "loja"), NOW)
        .await
        .expect("channel");
    let ana = store.create_agent(&agent("ana@loja.com.br", "Ana"), &[sales], NOW).await.expect("ana");
    let bia = store.create_agent(&agent("bia@loja.com.br", "Bia"), &[sales], NOW).await.expect("bia");
    let caio = store.create_agent(&agent("caio@loja.com.br", "Caio"), &[support], NOW).await.expect("caio");
    let contact =
        store.create_contact(new_contact("Cliente", "(11) 97777-0001"), NOW).await.expect("contact");
    let id =
        store.open_for(contact.id, channel, sales, Some(AgentId(ana)), None, NOW).await.expect("opened").id;
    let tab = |tab: Tab, me: i64| {
        let store = store.clone();
        async move {
            store
                .list_visible(tab, Some(&[sales]), AgentId(me), &ListFilter::default(), &ListRange::first())
                .await
                .expect("list")
                .rows
                .iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(tab(Tab::Mine, ana).await, [id], "Meus of the agent who started it");
    assert!(tab(Tab::Mine, bia).await.is_empty(), "not in a colleague's Meus");
    assert_eq!(tab(Tab::All, bia).await, [id]);
    assert!(tab(Tab::Unassigned, bia).await.is_empty());

    assert_eq!(store.assign(id, Assignee::Unassigned, None, NOW).await, Ok(Assignee::Agent(AgentId(ana))));
    assert_eq!(tab(Tab::Unassigned, ana).await, [id], "back to the team's queue");
    assert!(tab(Tab::Mine, ana).await.is_empty());
    let reopened = store
        .open_for(contact.id, channel, sales, None, Some((id, Some(sales))), NOW)
        .await
        .expect("reopened");
    assert_eq!((reopened.id, reopened.moved), (id, None), "the same team: no move");
    assert_eq!(tab(Tab::Unassigned, ana).await, [id], "reopening without an agent keeps who had it");

    store.set_agent_active(bia, false, NOW).await.expect("deactivated");
    store.create_session(caio, "s-caio", NOW, NOW.plus_millis(60_000)).await.expect("session");
    store.create_session(bia, "s-bia", NOW, NOW.plus_millis(60_000)).await.expect("session");
    store.set_agent_active(caio, false, NOW).await.expect("deactivated");
    assert_eq!(store.session_viewer("s-caio", NOW).await.expect("read"), None, "signed out at once");
    assert_eq!(store.assign(id, Assignee::Agent(AgentId(bia)), None, NOW).await, Err(StoreError::NotFound));
    assert_eq!(store.summary(id).await.expect("summary").assignee, Assignee::Unassigned, "unchanged");
    assert_eq!(
        store.assign(ConversationId(9_999), Assignee::Unassigned, None, NOW).await,
        Err(StoreError::NotFound)
    );
    let names: Vec<String> =
        store.assignable_agents(Some(sales)).await.expect("agents").into_iter().map(|a| a.name).collect();
    assert_eq!(names, ["Ana"], "active members only");
    assert_eq!(store.assign(id, Assignee::Agent(AgentId(ana)), None, NOW).await, Ok(Assignee::Unassigned));

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

    let token = store.create_api_token("ERP", "hash-do-token", ana, None, NOW).await.expect("token");
    let (record, viewer) = store.api_token_viewer("hash-do-token").await.expect("read").expect("valid");
    assert_eq!((record.name.as_str(), viewer.agent), ("ERP", ana));
    store.revoke_api_token(token, NOW.plus_millis(5)).await.expect("revoked");
    assert_eq!(store.api_token_viewer("hash-do-token").await.expect("read"), None);
    let listed = store.api_tokens().await.expect("tokens");
    assert_eq!(listed.iter().map(|t| t.revoked_at).collect::<Vec<_>>(), [Some(NOW.plus_millis(5))]);
    assert_eq!(store.revoke_api_token(9_999, NOW).await, Err(StoreError::NotFound));
    store.create_api_token("Loja", "hash-limitado", ana, Some(&[sales, sales]), NOW).await.expect("token");
    let (record, viewer) = store.api_token_viewer("hash-limitado").await.expect("read").expect("valid");
    assert_eq!(record.teams, Some(vec![sales]), "the team given twice is kept once");
    assert_eq!((viewer.agent, viewer.teams), (ana, vec![sales]), "the token's team, not the agent's");
    assert_eq!(store.api_tokens().await.expect("tokens")[1].teams, None, "the first token reaches all");

    store.assign(id, Assignee::Agent(AgentId(ana)), None, NOW).await.expect("assigned");
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

contract!(a_conversation_started_for_another_team_moves_there_with_only_a_member_of_it_answering, |db| {
    use atende_domain::conversation::Assignee;
    use atende_domain::ports::{Outbox, TeamMove};
    let store = db.store().await;
    let sales = store.ensure_team("Vendas", NOW).await.expect("team");
    let support = store.ensure_team("Suporte", NOW).await.expect("team");
    let channel = store
        .upsert_channel(&ChannelConfig::plain(ChannelKind::WhatsappUnofficial, "Gateway", "loja"), NOW)
        .await
        .expect("channel");
    let ana = store.create_agent(&agent("ana@loja.com.br", "Ana"), &[sales], NOW).await.expect("ana");
    let bia =
        store.create_agent(&agent("bia@loja.com.br", "Bia"), &[sales, support], NOW).await.expect("bia");
    let contact =
        store.create_contact(new_contact("Cliente", "(11) 97777-0002"), NOW).await.expect("contact");
    let opened =
        store.open_for(contact.id, channel, sales, Some(AgentId(ana)), None, NOW).await.expect("opened");
    assert_eq!(opened.moved, None, "new");
    let id = opened.id;

    let moved = store
        .open_for(contact.id, channel, support, None, Some((id, Some(sales))), NOW)
        .await
        .expect("moved");
    assert_eq!(moved.id, id);
    assert_eq!(moved.moved, Some(TeamMove { from: Some(sales), unassigned: Some(AgentId(ana)) }));
    assert_eq!(store.conversation_team(id).await.expect("team"), Some(support));
    assert_eq!(store.summary(id).await.expect("summary").assignee, Assignee::Unassigned);
    let waiting = store
        .list_visible(
            Tab::Unassigned,
            Some(&[support]),
            AgentId(bia),
            &ListFilter::default(),
            &ListRange::first(),
        )
        .await
        .expect("list")
        .rows;
    assert_eq!(waiting.iter().map(|c| c.id).collect::<Vec<_>>(), [id], "in Suporte's Não atribuídos");

    store.assign(id, Assignee::Agent(AgentId(bia)), None, NOW).await.expect("assigned");
    let back = store
        .open_for(contact.id, channel, sales, None, Some((id, Some(support))), NOW)
        .await
        .expect("moved back");
    assert_eq!(back.moved, Some(TeamMove { from: Some(support), unassigned: None }), "Bia is of Vendas too");
    assert_eq!(store.summary(id).await.expect("summary").assignee, Assignee::Agent(AgentId(bia)));

    // A conversation of the shared inbox (no team) taken for a team moves too.
    let other = store.create_contact(new_contact("Outro", "(11) 97777-0003"), NOW).await.expect("contact");
    let inbox = store.open_conversation_on(other.id.0, channel, None, NOW).await.expect("inbox");
    let inbox_id = atende_domain::conversation::ConversationId(inbox);
    // Seen as it was before someone else took it: refused, nothing changed.
    assert_eq!(
        store.open_for(other.id, channel, support, None, Some((inbox_id, Some(sales))), NOW).await,
        Err(StoreError::Changed)
    );
    assert_eq!(
        store.open_for(other.id, channel, support, None, None, NOW).await,
        Err(StoreError::Changed),
        "one exists, none was seen"
    );
    assert_eq!(store.conversation_team(inbox_id).await.expect("team"), None);
    let taken =
        store.open_for(other.id, channel, support, None, Some((inbox_id, None)), NOW).await.expect("taken");
    assert_eq!((taken.id.0, taken.moved), (inbox, Some(TeamMove { from: None, unassigned: None })));
});

contract!(the_latest_conversation_of_a_contact_is_the_latest_the_agent_may_see, |db| {
    let store = db.store().await;
    let sales = store.ensure_team("Vendas", NOW).await.expect("team");
    let support = store.ensure_team("Suporte", NOW).await.expect("team");
    let kinds = [
        (ChannelKind::WhatsappUnofficial, "loja"),
        (ChannelKind::Messenger, "pagina"),
        (ChannelKind::Instagram, "conta"),
    ];
    let mut channels = Vec::new();
    for (kind, provider) in kinds {
        let config = ChannelConfig::plain(kind, provider, provider);
        channels.push(store.upsert_channel(&config, NOW).await.expect("channel"));
    }
    let contact =
        store.create_contact(new_contact("Cliente", "(11) 97777-0004"), NOW).await.expect("contact");
    let c = contact.id;
    assert_eq!(store.latest_conversation(c, None).await.expect("read"), None);
    let inbox = store.open_conversation_on(c.0, channels[0], None, NOW).await.expect("inbox");
    let of_sales =
        store.open_conversation_on(c.0, channels[1], Some(sales), NOW.plus_millis(1)).await.expect("sales");
    let of_support = store
        .open_conversation_on(c.0, channels[2], Some(support), NOW.plus_millis(2))
        .await
        .expect("support");
    let latest = |found: Option<ConversationId>| found.map(|id| id.0);
    assert_eq!(latest(store.latest_conversation(c, None).await.expect("read")), Some(of_support), "an admin");
    let of_team = store.latest_conversation(c, Some(&[sales])).await.expect("read");
    assert_eq!(latest(of_team), Some(of_sales), "Vendas: its own and the shared inbox's, not Suporte's");
    let no_team = store.latest_conversation(c, Some(&[])).await.expect("read");
    assert_eq!(latest(no_team), Some(inbox), "no team: the shared inbox only");
    let mut teams = store.unfinished_conversation_teams(c).await.expect("teams");
    teams.sort_unstable();
    assert_eq!(teams, [None, Some(sales), Some(support)]);
});

contract!(passwords_sessions_and_failed_sign_ins_are_kept_per_agent_and_email, |db| {
    use atende_domain::access::{Email, Role};
    use atende_server::store::agents::NewAgent;
    let store = db.store().await;
    let team = store.ensure_team("Geral", NOW).await.expect("team");
    let new = NewAgent {
        email: Email::parse("ana@loja.com.br").expect("valid"),
        name: "Ana".into(),
        password_hash: "hash-antigo".into(),
        role: Role::Agent,
    };
    let ana = store.create_agent(&new, &[team, team], NOW).await.expect("a team given twice is one");
    assert_eq!(store.agent_by_id(ana).await.expect("read").map(|a| a.teams), Some(vec![team]));
    let later = NOW.plus_millis(60_000);
    for session in ["aqui", "celular", "notebook"] {
        store.create_session(ana, session, NOW, later).await.expect("session");
    }
    store.create_session(ana, "vencida", NOW.plus_millis(-2), NOW.plus_millis(-1)).await.expect("session");
    assert_eq!(store.session_count().await.expect("count"), 4);
    store.create_session(ana, "nova", NOW, later).await.expect("session");
    assert_eq!(store.session_count().await.expect("count"), 4, "the expired one was forgotten");

    store.set_password(ana, "hash-novo", Some("aqui")).await.expect("changed");
    assert_eq!(
        store.agent_by_id(ana).await.expect("read").map(|a| a.password_hash),
        Some("hash-novo".into())
    );
    assert!(store.session_viewer("aqui", NOW).await.expect("read").is_some(), "kept");
    assert_eq!(store.session_viewer("celular", NOW).await.expect("read"), None, "ended");
    store.set_password(ana, "hash-do-admin", None).await.expect("reset");
    assert_eq!(store.session_viewer("aqui", NOW).await.expect("read"), None, "every session ended");
    assert_eq!(store.set_password(9_999, "x", None).await, Err(StoreError::NotFound));

    let minute = 60_000;
    for age in [20, 3, 2, 1] {
        let claimed = store
            .claim_sign_in_attempt(
                "ana@loja.com.br",
                NOW.plus_millis(-age * minute),
                NOW.plus_millis(-60 * minute),
                |_| None,
            )
            .await
            .expect("stored");
        assert_eq!(claimed, None, "not locked: the attempt is counted");
    }
    store
        .claim_sign_in_attempt("bia@loja.com.br", NOW, NOW.plus_millis(-60 * minute), |_| None)
        .await
        .expect("stored");
    // Locked: nothing is counted, and the lock's end comes back.
    let until = NOW.plus_millis(minute);
    let locked = store
        .claim_sign_in_attempt("bia@loja.com.br", NOW, NOW.plus_millis(-60 * minute), |seen| {
            assert_eq!(seen, [NOW], "the failures of this e-mail only");
            Some(until)
        })
        .await
        .expect("read");
    assert_eq!(locked, Some(until));
    let since = NOW.plus_millis(-15 * minute);
    let failures = store.sign_in_failures("ana@loja.com.br", since, 10).await.expect("read");
    assert_eq!(failures, [1, 2, 3].map(|m| NOW.plus_millis(-m * minute)), "newest first, inside the window");
    assert_eq!(store.sign_in_failures("ana@loja.com.br", since, 2).await.expect("read").len(), 2);
    store.clear_sign_in_failures("ana@loja.com.br").await.expect("cleared");
    assert!(store.sign_in_failures("ana@loja.com.br", since, 10).await.expect("read").is_empty());
    assert_eq!(
        store.sign_in_failures("bia@loja.com.br", since, 10).await.expect("read").len(),
        1,
        "per e-mail"
    );
});

contract!(an_answer_is_stored_with_what_it_changes_in_one_transaction_or_not_at_all, |db| {
    use atende_domain::conversation::Assignee;
    use atende_domain::ports::{Answer, AuditAction, FreeForm, Outbox};
    use atende_domain::queue::{Delivery, MessageText};
    let store = db.store().await;
    let sales = store.ensure_team("Vendas", NOW).await.expect("team");
    let channel = store
        .upsert_channel(&ChannelConfig::plain(ChannelKind::WhatsappUnofficial, "Gateway", "loja"), NOW)
        .await
        .expect("channel");
    let ana =
        AgentId(store.create_agent(&agent("ana@loja.com.br", "Ana"), &[sales], NOW).await.expect("ana"));
    let bia =
        AgentId(store.create_agent(&agent("bia@loja.com.br", "Bia"), &[sales], NOW).await.expect("bia"));
    let contact =
        store.create_contact(new_contact("Cliente", "(11) 97777-0002"), NOW).await.expect("contact");
    let id = store.open_for(contact.id, channel, sales, None, None, NOW).await.expect("opened").id;
    let concluded = store.conversation_state(id).await.expect("state").lifecycle.conclude().expect("open");
    store.set_status(id, &concluded, None, NOW).await.expect("concluded");
    let text = MessageText::parse("Voltei a falar com você").expect("text");
    let answer = |agent: AgentId, reopened| Answer {
        conversation: id,
        message: FreeForm::Text(&text),
        delivery: Delivery::Now { tag: None },
        reopened,
        agent,
        reply_to: None,
    };

    // Ana answers the concluded conversation nobody had: it opens again and is hers, both said in its history.
    let taken = store.answer(&answer(ana, Some(concluded.reopened_by_agent())), NOW).await.expect("answered");
    assert!(taken);
    let summary = store.summary(id).await.expect("summary");
    assert_eq!((summary.status, summary.assignee), (ConversationStatus::Open, Assignee::Agent(ana)));
    let trail: Vec<_> =
        store.audit_trail(id).await.expect("trail").into_iter().map(|e| (e.action, e.detail)).collect();
    assert_eq!(trail, [(AuditAction::Reopened, None), (AuditAction::Assigned, Some("para Ana".to_owned()))]);
    // Bia answers too: the message is stored, the conversation stays Ana's, no new line.
    assert!(!store.answer(&answer(bia, None), NOW.plus_millis(1)).await.expect("answered"));
    assert_eq!(store.summary(id).await.expect("summary").assignee, Assignee::Agent(ana));
    assert_eq!(store.audit_trail(id).await.expect("trail").len(), 2);
    let messages = store.conversation_messages(id.0).await.expect("messages");
    assert_eq!(messages.len(), 2);

    // An answer to a conversation that does not exist is refused and leaves nothing behind.
    let nowhere = Answer { conversation: ConversationId(9_999), ..answer(ana, None) };
    assert_eq!(store.answer(&nowhere, NOW).await, Err(StoreError::NotFound));
    let claimed = store.claim_jobs(NOW, 60_000, 10).await.expect("claim");
    let conversations: Vec<i64> = claimed.iter().map(|job| job.conversation_id).collect();
    assert_eq!(conversations, [id.0], "one conversation's oldest job, nothing elsewhere");
});

contract!(a_restart_is_stored_with_its_audit_lines_and_assignment_or_not_at_all, |db| {
    use atende_domain::conversation::Assignee;
    use atende_domain::ports::{AuditAction, AuditLine, Outbox, TemplateSend};
    use atende_domain::template::{Template, TemplateCategory, TemplateSpec, TemplateValues};
    let store = db.store().await;
    let sales = store.ensure_team("Vendas", NOW).await.expect("team");
    let channel = store
        .upsert_channel(&ChannelConfig::plain(ChannelKind::WhatsappOfficial, "Oficial", "5511"), NOW)
        .await
        .expect("channel");
    let ana =
        AgentId(store.create_agent(&agent("ana@loja.com.br", "Ana"), &[sales], NOW).await.expect("ana"));
    let bia = store.create_agent(&agent("bia@loja.com.br", "Bia"), &[sales], NOW).await.expect("bia");
    store.set_agent_active(bia, false, NOW).await.expect("deactivated");
    let contact =
        store.create_contact(new_contact("Cliente", "(11) 97777-0003"), NOW).await.expect("contact");
    let id = store.open_for(contact.id, channel, sales, None, None, NOW).await.expect("opened").id;
    let entry = serde_json::json!({"name": "retomada", "language": "pt_BR", "category": "UTILITY",
        "status": "APPROVED", "components": [{"type": "BODY", "text": "Podemos continuar?"}]});
    let template = Template::new(TemplateSpec::from_graph_api(&entry).expect("spec")).expect("valid");
    let filled = template.fill(&TemplateValues::default()).expect("filled");
    let state = store.conversation_state(id).await.expect("state");
    let waiting =
        state.lifecycle.template_sent(&state.channel, TemplateCategory::Utility, NOW).expect("sent");
    let line = |agent: i64| AuditLine {
        agent: Some(agent),
        action: AuditAction::Restarted,
        detail: Some("retomada"),
    };
    let send = |after| TemplateSend { filled: &filled, before: &state.lifecycle, after };

    // Given to an agent who cannot answer: refused, and neither the template nor the attempt nor a line is kept.
    let refused = store.enqueue_template(id, send(&waiting), Some(line(bia)), Some(AgentId(bia)), NOW).await;
    assert_eq!(refused, Err(StoreError::NotFound));
    assert!(store.claim_jobs(NOW, 60_000, 10).await.expect("claim").is_empty());
    assert_eq!(store.summary(id).await.expect("summary").status, ConversationStatus::Open);
    assert!(store.audit_trail(id).await.expect("trail").is_empty());

    store.enqueue_template(id, send(&waiting), Some(line(ana.0)), Some(ana), NOW).await.expect("restarted");
    let summary = store.summary(id).await.expect("summary");
    assert_eq!(
        (summary.status, summary.assignee),
        (ConversationStatus::WaitingForContact, Assignee::Agent(ana))
    );
    let trail: Vec<_> =
        store.audit_trail(id).await.expect("trail").into_iter().map(|e| (e.action, e.detail)).collect();
    assert_eq!(
        trail,
        [
            (AuditAction::Restarted, Some("retomada".to_owned())),
            (AuditAction::Assigned, Some("para Ana".to_owned()))
        ]
    );
    assert_eq!(store.claim_jobs(NOW, 60_000, 10).await.expect("claim").len(), 1);
    // A second restart decided on what was seen before the first: refused, nothing more stored.
    assert_eq!(
        store.enqueue_template(id, send(&waiting), Some(line(ana.0)), Some(ana), NOW).await,
        Err(StoreError::Changed)
    );
    assert_eq!(store.conversation_messages(id.0).await.expect("messages").len(), 1);
    assert_eq!(store.audit_trail(id).await.expect("trail").len(), 2);
});

contract!(a_start_is_stored_with_its_move_assignment_template_and_lines_or_not_at_all, |db| {
    use atende_domain::conversation::Assignee;
    use atende_domain::ports::{AuditAction, Outbox, Start, TemplateSend};
    use atende_domain::template::{Template, TemplateCategory, TemplateSpec, TemplateValues};
    let store = db.store().await;
    let sales = store.ensure_team("Vendas", NOW).await.expect("team");
    let support = store.ensure_team("Suporte", NOW).await.expect("team");
    let channel = store
        .upsert_channel(&ChannelConfig::plain(ChannelKind::WhatsappOfficial, "Oficial", "5511"), NOW)
        .await
        .expect("channel");
    let ana = store.create_agent(&agent("ana@loja.com.br", "Ana"), &[sales], NOW).await.expect("ana");
    let bia =
        AgentId(store.create_agent(&agent("bia@loja.com.br", "Bia"), &[support], NOW).await.expect("bia"));
    let contact =
        store.create_contact(new_contact("Cliente", "(11) 97777-0004"), NOW).await.expect("contact");
    let id =
        store.open_for(contact.id, channel, sales, Some(AgentId(ana)), None, NOW).await.expect("opened").id;
    let template = |category: &str| {
        let entry = serde_json::json!({"name": "retomada", "language": "pt_BR", "category": category,
            "status": "APPROVED", "components": [{"type": "BODY", "text": "Podemos continuar?"}]});
        Template::new(TemplateSpec::from_graph_api(&entry).expect("spec")).expect("valid")
    };
    let utility = template("UTILITY").fill(&TemplateValues::default()).expect("filled");
    let state = store.conversation_state(id).await.expect("state");
    let waiting =
        state.lifecycle.template_sent(&state.channel, TemplateCategory::Utility, NOW).expect("sent");
    let trail = || {
        let store = store.clone();
        async move {
            let trail = store.audit_trail(id).await.expect("trail");
            trail.into_iter().map(|e| (e.action, e.detail)).collect::<Vec<_>>()
        }
    };

    // Started by Bia for Suporte through the API: moved, hers, the template queued, three lines.
    let start = Start {
        contact: contact.id,
        channel_id: channel,
        team_id: support,
        seen: Some((id, Some(sales))),
        taker: Some(bia),
        template: Some(TemplateSend { filled: &utility, before: &state.lifecycle, after: &waiting }),
        by: bia.0,
        api_token: Some("CRM"),
    };
    let opened = store.start(&start, NOW).await.expect("started");
    assert_eq!(opened.id, id);
    let summary = store.summary(id).await.expect("summary");
    assert_eq!(
        (summary.status, summary.assignee),
        (ConversationStatus::WaitingForContact, Assignee::Agent(bia))
    );
    assert_eq!(store.conversation_team(id).await.expect("team"), Some(support));
    let lines = vec![
        (
            AuditAction::Transferred,
            Some("de Vendas para Suporte; sem responsável (Ana não é da equipe) · API “CRM”".to_owned()),
        ),
        (AuditAction::Assigned, Some("para Bia".to_owned())),
        (AuditAction::Started, Some("retomada · API “CRM”".to_owned())),
    ];
    assert_eq!(trail().await, lines);
    assert_eq!(store.claim_jobs(NOW, 60_000, 10).await.expect("claim").len(), 1);

    // Seen before that start: refused, nothing changed.
    let stale = Start { team_id: sales, seen: Some((id, Some(sales))), template: None, ..start };
    assert_eq!(store.start(&stale, NOW).await, Err(StoreError::Changed));
    // A marketing template on the utility attempt, moving it back to Vendas: the move, the new hands and the
    // lines would come first, and are undone with the refused template.
    let marketing = template("MARKETING").fill(&TemplateValues::default()).expect("filled");
    let other =
        state.lifecycle.template_sent(&state.channel, TemplateCategory::Marketing, NOW).expect("sent");
    let late = Start {
        team_id: sales,
        seen: Some((id, Some(support))),
        taker: Some(AgentId(ana)),
        // Decided on the lifecycle before the first start: it changed since (a template went out).
        template: Some(TemplateSend { filled: &marketing, before: &state.lifecycle, after: &other }),
        by: ana,
        api_token: None,
        ..start
    };
    assert_eq!(store.start(&late, NOW.plus_millis(1)).await, Err(StoreError::Changed));
    assert_eq!(store.conversation_team(id).await.expect("team"), Some(support));
    assert_eq!(store.summary(id).await.expect("summary").assignee, Assignee::Agent(bia));
    assert_eq!(trail().await, lines);
    let templates = store.conversation_messages(id.0).await.expect("messages");
    assert_eq!(templates.len(), 1, "only the first start's template was stored: {templates:?}");

    // A new conversation with no template is the taker's from its first line: no move, no assignment line.
    let other = store.create_contact(new_contact("Outro", "(11) 97777-0005"), NOW).await.expect("contact");
    let fresh = Start {
        contact: other.id,
        team_id: sales,
        seen: None,
        taker: Some(AgentId(ana)),
        template: None,
        by: ana,
        api_token: None,
        ..start
    };
    let opened = store.start(&fresh, NOW).await.expect("started");
    assert_eq!(opened.moved, None);
    assert_eq!(store.summary(opened.id).await.expect("summary").assignee, Assignee::Agent(AgentId(ana)));
    let trail = store.audit_trail(opened.id).await.expect("trail");
    assert_eq!(
        trail.into_iter().map(|e| (e.action, e.detail)).collect::<Vec<_>>(),
        [(AuditAction::Started, None)]
    );
});

contract!(a_read_receipt_is_claimed_once_per_message_of_the_contact, |db| {
    let store = db.store().await;
    let channel = store
        .upsert_channel(&ChannelConfig::plain(ChannelKind::WhatsappOfficial, "Oficial", "5511"), NOW)
        .await
        .expect("channel");
    let contact =
        store.create_contact(new_contact("Cliente", "(11) 97777-0006"), NOW).await.expect("contact");
    let id = store.open_conversation_on(contact.id.0, channel, None, NOW).await.expect("opened");
    // Two agents opening it at once: one tells the provider.
    assert!(store.claim_read_receipt(id, "wamid.1").await.expect("claim"));
    assert!(!store.claim_read_receipt(id, "wamid.1").await.expect("claim"));
    // The contact's next message is acknowledged anew.
    assert!(store.claim_read_receipt(id, "wamid.2").await.expect("claim"));
});

contract!(an_assignment_is_stored_with_its_line_only_when_it_changes_who_answers, |db| {
    use atende_domain::conversation::Assignee;
    use atende_domain::ports::{AuditAction, Outbox};
    let store = db.store().await;
    let sales = store.ensure_team("Vendas", NOW).await.expect("team");
    let channel = store
        .upsert_channel(&ChannelConfig::plain(ChannelKind::WhatsappUnofficial, "Gateway", "loja"), NOW)
        .await
        .expect("channel");
    let ana =
        AgentId(store.create_agent(&agent("ana@loja.com.br", "Ana"), &[sales], NOW).await.expect("ana"));
    let bia = store.create_agent(&agent("bia@loja.com.br", "Bia"), &[sales], NOW).await.expect("bia");
    store.set_agent_active(bia, false, NOW).await.expect("deactivated");
    let contact =
        store.create_contact(new_contact("Cliente", "(11) 97777-0007"), NOW).await.expect("contact");
    let id = store.open_for(contact.id, channel, sales, None, None, NOW).await.expect("opened").id;
    let trail = || {
        let store = store.clone();
        async move {
            let trail = store.audit_trail(id).await.expect("trail");
            trail.into_iter().map(|e| (e.action, e.detail, e.agent_name)).collect::<Vec<_>>()
        }
    };
    let line = |detail: &str| (AuditAction::Assigned, Some(detail.to_owned()), Some("Ana".to_owned()));
    store.assign(id, Assignee::Agent(ana), Some(ana.0), NOW).await.expect("assigned");
    store.assign(id, Assignee::Agent(ana), Some(ana.0), NOW).await.expect("again");
    assert_eq!(trail().await, [line("para Ana")], "the same hands: no second line");
    store.assign(id, Assignee::Unassigned, Some(ana.0), NOW).await.expect("unassigned");
    assert_eq!(trail().await, [line("para Ana"), line("sem responsável")]);
    assert_eq!(
        store.assign(id, Assignee::Agent(AgentId(bia)), Some(ana.0), NOW).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(trail().await.len(), 2, "refused: no line");
});

contract!(quick_answers_are_unique_by_title_in_their_team_and_listed_for_the_teams_asked, |db| {
    use atende_domain::ports::QuickAnswers;
    use atende_domain::quick_answer::{QuickAnswer, Scope};
    let store = db.store().await;
    let sales = store.ensure_team("Vendas", NOW).await.expect("team");
    let finance = store.ensure_team("Financeiro", NOW).await.expect("team");
    let admin =
        AgentId(store.create_agent(&agent("ana@teste.local", "Ana"), &[sales], NOW).await.expect("agent"));
    let answer = |title: &str, text: &str| QuickAnswer::parse(title, text).expect("valid");
    let global = store
        .save_quick_answer(None, Scope::Global, &answer("Saudação", "Olá!"), admin, NOW)
        .await
        .expect("s");
    let pix = store
        .save_quick_answer(None, Scope::Team(sales), &answer("Chave PIX", "CNPJ"), admin, NOW)
        .await
        .expect("saved");
    // The same title in another team, or globally, is another answer.
    store
        .save_quick_answer(None, Scope::Team(finance), &answer("Chave PIX", "Outro CNPJ"), admin, NOW)
        .await
        .expect("another team's");
    // The same title in the same scope, case and accents aside, is refused and changes nothing.
    assert_eq!(
        store.save_quick_answer(None, Scope::Team(sales), &answer("chave  pix", "x"), admin, NOW).await,
        Err(StoreError::NameTaken)
    );
    assert_eq!(
        store.save_quick_answer(None, Scope::Global, &answer("SAUDACAO", "x"), admin, NOW).await,
        Err(StoreError::NameTaken)
    );
    let titles = |list: Vec<atende_domain::quick_answer::SavedQuickAnswer>| {
        list.into_iter().map(|s| (s.answer.title().to_owned(), s.scope)).collect::<Vec<_>>()
    };
    assert_eq!(
        titles(store.quick_answers(Some(&[sales])).await.expect("list")),
        [("Chave PIX".to_owned(), Scope::Team(sales)), ("Saudação".to_owned(), Scope::Global)]
    );
    assert_eq!(
        titles(store.quick_answers(Some(&[])).await.expect("list")),
        [("Saudação".to_owned(), Scope::Global)]
    );
    assert_eq!(store.quick_answers(None).await.expect("all").len(), 3);

    // A change keeps the id; renaming onto another answer's title is refused and changes nothing.
    let changed = store
        .save_quick_answer(Some(pix.id), Scope::Team(sales), &answer("PIX", "CNPJ 1"), admin, NOW)
        .await
        .expect("changed");
    assert_eq!(changed.id, pix.id);
    assert_eq!(
        store.save_quick_answer(Some(pix.id), Scope::Global, &answer("Saudação", "y"), admin, NOW).await,
        Err(StoreError::NameTaken)
    );
    assert_eq!(store.quick_answer(pix.id).await.expect("read").answer.text(), "CNPJ 1");
    assert_eq!(
        store.save_quick_answer(Some(9_999), Scope::Global, &answer("Nova", "z"), admin, NOW).await,
        Err(StoreError::NotFound)
    );
    store.delete_quick_answer(global.id).await.expect("deleted");
    assert_eq!(store.quick_answer(global.id).await, Err(StoreError::NotFound));
    assert_eq!(store.delete_quick_answer(global.id).await, Err(StoreError::NotFound));

    // "Anexo": the file is kept with the answer (a size past 32 bits too), and a change without it drops it.
    let file = atende_domain::quick_answer::AnswerFile {
        sha256: "ab".repeat(32),
        name: "Tabela de preços.pdf".into(),
        size: 5_000_000_000,
    };
    let with_file = QuickAnswer::parse_with("Tabela", "", Some(file.clone())).expect("valid");
    let saved =
        store.save_quick_answer(None, Scope::Team(sales), &with_file, admin, NOW).await.expect("saved");
    assert_eq!(store.quick_answer(saved.id).await.expect("read").answer.file(), Some(&file));
    let listed = store.quick_answers(Some(&[sales])).await.expect("list");
    assert_eq!(listed.iter().find(|s| s.id == saved.id).and_then(|s| s.answer.file()), Some(&file));
    store
        .save_quick_answer(Some(saved.id), Scope::Team(sales), &answer("Tabela", "Sem anexo"), admin, NOW)
        .await
        .expect("changed");
    assert_eq!(store.quick_answer(saved.id).await.expect("read").answer.file(), None);
});

contract!(a_conversation_carries_when_it_began_for_its_protocol, |db| {
    let store = db.store().await;
    let maria = store.create_contact(new_contact("Maria", "(11) 98765-4321"), NOW).await.expect("saved");
    let opened = store.open_conversation(maria.id, ChannelKind::WhatsappOfficial, NOW).await.expect("opened");
    let listed = store.list_conversations(Tab::All).await.expect("list");
    assert_eq!(listed[0].created_at, NOW);
    assert_eq!(opened.created_at, NOW);
    assert_eq!(opened.protocol().to_string(), format!("2025-{:06}", opened.id.0));
});

contract!(notes_are_kept_in_order_with_their_author_and_the_agents_they_name, |db| {
    use atende_domain::note::NoteText;
    use atende_domain::ports::Notes;
    let store = db.store().await;
    let ana = AgentId(store.create_agent(&agent("ana@teste.local", "Ana"), &[], NOW).await.expect("agent"));
    let bia = AgentId(store.create_agent(&agent("bia@teste.local", "Bia"), &[], NOW).await.expect("agent"));
    let maria = store.create_contact(new_contact("Maria", "(11) 98765-4321"), NOW).await.expect("saved");
    let id = store.open_conversation(maria.id, ChannelKind::WhatsappOfficial, NOW).await.expect("opened").id;
    let text = |t: &str| NoteText::parse(t).expect("note");
    let first = store.add_note(id, ana, &text("Conferir o boleto, @Bia"), &[bia], NOW).await.expect("kept");
    assert_eq!((first.author.as_deref(), first.mentions.clone()), (Some("Ana"), vec!["Bia".to_owned()]));
    store.add_note(id, bia, &text("Conferido."), &[], NOW.plus_millis(1)).await.expect("kept");
    let notes = store.notes(id).await.expect("notes");
    assert_eq!(
        notes.iter().map(|n| n.text.as_str()).collect::<Vec<_>>(),
        ["Conferir o boleto, @Bia", "Conferido."]
    );
    assert_eq!(notes[0], first);
    assert_eq!(notes[1].written_at, NOW.plus_millis(1));
    assert_eq!(
        store.add_note(ConversationId(999_999), ana, &text("x"), &[], NOW).await,
        Err(StoreError::NotFound)
    );
    assert!(store.notes(ConversationId(999_999)).await.expect("none").is_empty());
});

contract!(a_contacts_conversations_are_listed_for_the_teams_asked_most_recent_first, |db| {
    let store = db.store().await;
    let maria = store.create_contact(new_contact("Maria", "(11) 98765-4321"), NOW).await.expect("saved");
    let ana = store.create_contact(new_contact("Ana", "(11) 98765-1111"), NOW).await.expect("saved");
    let first = store.open_conversation(maria.id, ChannelKind::WhatsappOfficial, NOW).await.expect("o").id;
    let second =
        store.open_conversation(maria.id, ChannelKind::Messenger, NOW.plus_millis(1)).await.expect("o").id;
    store.open_conversation(ana.id, ChannelKind::Messenger, NOW).await.expect("another contact's");
    let ids = |list: Vec<atende_domain::conversation::ConversationSummary>| {
        list.into_iter().map(|c| c.id).collect::<Vec<_>>()
    };
    assert_eq!(ids(store.contact_conversations(maria.id, None).await.expect("all")), [second, first]);
    // Both are in the shared inbox: an agent of any team (or of none) sees them.
    assert_eq!(ids(store.contact_conversations(maria.id, Some(&[])).await.expect("inbox")), [second, first]);
    let nobody = atende_domain::contact::ContactId(999_999);
    assert!(store.contact_conversations(nobody, None).await.expect("none").is_empty());
});

contract!(labels_are_unique_by_name_go_on_conversations_once_and_filter_the_lists, |db| {
    use atende_domain::label::{Color, Label, ListFilter, TeamChoice};
    use atende_domain::ports::Labels;
    let store = db.store().await;
    let label = |name: &str, color: Color| Label::parse(name, color).expect("valid");
    let vip = store.save_label(None, &label("VIP", Color::Yellow), NOW).await.expect("saved");
    let late = store.save_label(None, &label("Atrasado", Color::Red), NOW).await.expect("saved");
    // A name already used, case and accents aside, is refused and changes nothing; so is a missing id.
    assert_eq!(store.save_label(None, &label(" vip ", Color::Blue), NOW).await, Err(StoreError::NameTaken));
    assert_eq!(
        store.save_label(Some(late.id), &label("Vip", Color::Blue), NOW).await,
        Err(StoreError::NameTaken)
    );
    assert_eq!(
        store.save_label(Some(999_999), &label("Outra", Color::Blue), NOW).await,
        Err(StoreError::NotFound)
    );
    let renamed =
        store.save_label(Some(late.id), &label("Em atraso", Color::Orange), NOW).await.expect("saved");
    assert_eq!(renamed.id, late.id);
    assert_eq!(
        store
            .labels()
            .await
            .expect("labels")
            .iter()
            .map(|s| (s.label.name(), s.label.color()))
            .collect::<Vec<_>>(),
        [("Em atraso", Color::Orange), ("VIP", Color::Yellow)]
    );

    let sales = store.ensure_team("Vendas", NOW).await.expect("team");
    let maria = store.create_contact(new_contact("Maria", "(11) 98765-4321"), NOW).await.expect("saved");
    let joao = store.create_contact(new_contact("João", "(11) 98765-1111"), NOW).await.expect("saved");
    let first = store.open_conversation(maria.id, ChannelKind::WhatsappOfficial, NOW).await.expect("o").id;
    let second =
        store.open_conversation(joao.id, ChannelKind::Instagram, NOW.plus_millis(1)).await.expect("o").id;
    store.set_conversation_label(first, vip.id, true, NOW).await.expect("on");
    store.set_conversation_label(first, late.id, true, NOW).await.expect("on");
    store.set_conversation_label(second, late.id, true, NOW).await.expect("on");
    assert_eq!(store.set_conversation_label(first, vip.id, true, NOW).await, Err(StoreError::NameTaken));
    assert_eq!(store.set_conversation_label(first, 999_999, true, NOW).await, Err(StoreError::NotFound));
    assert_eq!(
        store.set_conversation_label(ConversationId(999_999), vip.id, true, NOW).await,
        Err(StoreError::NotFound)
    );
    let mut on_first = store.conversation_labels(first).await.expect("labels");
    on_first.sort_unstable();
    let mut both = vec![vip.id, late.id];
    both.sort_unstable();
    assert_eq!(on_first, both);

    let listed = |filter: ListFilter| {
        let store = &store;
        async move {
            store
                .list_visible(Tab::All, None, AgentId(1), &filter, &ListRange::first())
                .await
                .expect("list")
                .rows
                .into_iter()
                .map(|c| (c.id, c.labels.len()))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        listed(ListFilter::default()).await,
        [(second, 1), (first, 2)],
        "every row carries its labels"
    );
    assert_eq!(listed(ListFilter { label: Some(vip.id), ..ListFilter::default() }).await, [(first, 2)]);
    assert_eq!(
        listed(ListFilter { channel: Some(ChannelKind::Instagram), ..ListFilter::default() }).await,
        [(second, 1)]
    );
    assert_eq!(
        listed(ListFilter { team: Some(TeamChoice::NoTeam), ..ListFilter::default() }).await.len(),
        2,
        "neither has a team yet"
    );
    assert!(listed(ListFilter { team: Some(TeamChoice::Team(sales)), ..ListFilter::default() })
        .await
        .is_empty());
    assert!(listed(ListFilter { status: Some(ConversationStatus::Concluded), ..ListFilter::default() })
        .await
        .is_empty());

    // The same labels go on contacts, once each, and filter the contacts' search.
    store.set_contact_label(joao.id, late.id, true, NOW).await.expect("on");
    store.set_contact_label(joao.id, vip.id, true, NOW).await.expect("on");
    store.set_contact_label(maria.id, vip.id, true, NOW).await.expect("on");
    assert_eq!(store.set_contact_label(joao.id, vip.id, true, NOW).await, Err(StoreError::NameTaken));
    assert_eq!(store.set_contact_label(joao.id, 999_999, true, NOW).await, Err(StoreError::NotFound));
    assert_eq!(
        store.set_contact_label(atende_domain::contact::ContactId(999_999), vip.id, true, NOW).await,
        Err(StoreError::NotFound)
    );
    let mut pairs = store.contact_labels(&[maria.id, joao.id]).await.expect("labels");
    pairs.sort_unstable_by_key(|(contact, label)| (contact.0, *label));
    let mut expected = vec![(maria.id, vip.id), (joao.id, vip.id), (joao.id, late.id)];
    expected.sort_unstable_by_key(|(contact, label)| (contact.0, *label));
    assert_eq!(pairs, expected);
    assert!(store.contact_labels(&[]).await.expect("none asked").is_empty());
    let with = |label: i64, text: &str| {
        let store = &store;
        let query = ContactQuery { text: text.into(), limit: 50, label: Some(label) };
        async move {
            store.search_contacts(&query).await.expect("search").into_iter().map(|c| c.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(with(late.id, "").await, [joao.id]);
    assert_eq!(with(vip.id, "").await, [joao.id, maria.id], "by name");
    assert_eq!(with(vip.id, "mar").await, [maria.id], "and the text still narrows");
    assert!(with(late.id, "maria").await.is_empty());
    store.set_contact_label(joao.id, vip.id, false, NOW).await.expect("off");
    assert_eq!(store.set_contact_label(joao.id, vip.id, false, NOW).await, Err(StoreError::NotFound));

    // Off once; a deleted label leaves every conversation and contact.
    store.set_conversation_label(first, vip.id, false, NOW).await.expect("off");
    assert_eq!(store.set_conversation_label(first, vip.id, false, NOW).await, Err(StoreError::NotFound));
    store.delete_label(late.id).await.expect("deleted");
    assert_eq!(store.delete_label(late.id).await, Err(StoreError::NotFound));
    assert!(store.conversation_labels(first).await.expect("labels").is_empty());
    assert!(store.conversation_labels(second).await.expect("labels").is_empty());
    assert_eq!(store.contact_labels(&[joao.id]).await.expect("labels"), []);
    assert_eq!(store.contact_labels(&[maria.id]).await.expect("labels"), [(maria.id, vip.id)]);
    assert_eq!(store.labels().await.expect("labels").len(), 1);
});

contract!(
    a_reply_and_a_reaction_keep_the_message_they_point_at_and_a_message_is_read_in_its_own_conversation,
    |db| {
        use atende_domain::content::{Extras, Rich};
        use atende_domain::ports::{Answer, FreeForm, Outbox};
        use atende_domain::queue::{Delivery, MessageText};
        use atende_domain::reply::{Quoted, Reaction};
        let store = db.store().await;
        let sales = store.ensure_team("Vendas", NOW).await.expect("team");
        let channel = gateway_channel(&store).await;
        let ana =
            AgentId(store.create_agent(&agent("ana@loja.com.br", "Ana"), &[sales], NOW).await.expect("ana"));
        let first =
            store.create_contact(new_contact("Cliente", "(11) 97777-0031"), NOW).await.expect("contact");
        let other =
            store.create_contact(new_contact("Outro", "(11) 97777-0032"), NOW).await.expect("contact");
        let id = store.open_for(first.id, channel, sales, None, None, NOW).await.expect("opened").id;
        let elsewhere = store.open_for(other.id, channel, sales, None, None, NOW).await.expect("opened").id;
        contact_wrote(&db, id, "Tem em azul?", NOW).await;
        let asked = store.messages(id).await.expect("messages")[0].clone();
        assert_eq!(store.message(id, asked.id).await.expect("read").body.as_deref(), Some("Tem em azul?"));
        assert_eq!(
            store.message(elsewhere, asked.id).await,
            Err(StoreError::NotFound),
            "not that conversation's"
        );
        assert_eq!(store.message(id, 9_999).await, Err(StoreError::NotFound));

        let quoted = Quoted { provider_id: "3EB0AZUL".into(), from_me: false };
        let text = MessageText::parse("Temos, sim!").expect("text");
        let reaction = Reaction { to: quoted.clone(), emoji: Some("👍".into()) };
        for (message, reply_to) in
            [(FreeForm::Text(&text), Some(&quoted)), (FreeForm::Reaction(&reaction), None)]
        {
            let answer = Answer {
                conversation: id,
                message,
                delivery: Delivery::WhenContactWrites,
                reopened: None,
                agent: ana,
                reply_to,
            };
            store.answer(&answer, NOW).await.expect("answered");
        }
        let messages = store.messages(id).await.expect("messages");
        let (answer, reacted) = (&messages[1], &messages[2]);
        assert_eq!((answer.status.as_str(), answer.extras.reply_to.as_deref()), ("held", Some("3EB0AZUL")));
        assert_eq!((reacted.kind.as_str(), reacted.body.as_deref()), ("reaction", None));
        assert_eq!(
            reacted.extras,
            Extras {
                rich: Some(Rich::Reaction { to: "3EB0AZUL".into(), emoji: Some("👍".into()) }),
                ..Extras::default()
            }
        );
        assert_eq!(store.message(id, reacted.id).await.expect("read"), *reacted);
    }
);

contract!(hours_are_kept_per_team_and_the_inbox_and_an_automatic_answer_is_written_once_per_decision, |db| {
    use atende_domain::hours::OpeningHours;
    use atende_domain::ports::{Hours, Outbox};
    use atende_domain::queue::MessageText;
    let store = db.store().await;
    let sales = store.ensure_team("Vendas", NOW).await.expect("team");
    let shop = OpeningHours { auto_answer: Some("Voltamos às 8h.".into()), ..OpeningHours::default() };
    store.save_team_hours(None, Some(&shop), NOW).await.expect("inbox");
    store.save_team_hours(Some(sales), Some(&OpeningHours::default()), NOW).await.expect("sales");
    assert_eq!(store.save_team_hours(Some(9_999), Some(&shop), NOW).await, Err(StoreError::NotFound));
    let kept = store.team_hours().await.expect("hours");
    assert_eq!(kept, [(None, shop.clone()), (Some(sales), OpeningHours::default())]);
    let answering = store.teams_answering_automatically().await.expect("answering");
    assert_eq!(answering, [(None, shop.clone())], "only the inbox answers automatically");

    let channel = gateway_channel(&store).await;
    let contact =
        store.create_contact(new_contact("Cliente", "(11) 97777-0041"), NOW).await.expect("contact");
    let in_sales = store.open_for(contact.id, channel, sales, None, None, NOW).await.expect("opened").id;
    let other = store.create_contact(new_contact("Outro", "(11) 97777-0042"), NOW).await.expect("contact");
    let in_inbox =
        store.open_conversation(other.id, ChannelKind::WhatsappUnofficial, NOW).await.expect("open").id;
    let candidates = store.answer_candidates(&[in_sales.0, in_inbox.0], &[None]).await.expect("candidates");
    assert_eq!(candidates.len(), 1, "only the inbox's conversation");
    let candidate = candidates[0].clone();
    assert_eq!((candidate.team_id, candidate.answered), (None, None));
    let text = MessageText::parse("Voltamos às 8h.").expect("text");
    let inbox_channel = store.conversation_channel(in_inbox).await.unwrap_or(channel);
    assert!(store.write_automatic_answer(&candidate, inbox_channel, &text, NOW).await.expect("written"));
    // Decided on the same reading again (a second processor): not written twice.
    assert!(!store.write_automatic_answer(&candidate, inbox_channel, &text, NOW).await.expect("refused"));
    let messages = store.messages(in_inbox).await.expect("messages");
    assert_eq!(messages.len(), 1);
    assert!(messages[0].extras.automatic);
    assert_eq!(
        (messages[0].status.as_str(), messages[0].body.as_deref()),
        ("queued", Some("Voltamos às 8h."))
    );
    let again = store.answer_candidates(&[in_inbox.0], &[None]).await.expect("candidates");
    assert_eq!(again[0].answered, Some(NOW));

    store.save_team_hours(None, None, NOW).await.expect("always open");
    assert_eq!(store.team_hours().await.expect("hours").len(), 1);
});

/// A contact's message, written as the inbox writes it (the read side is what is under test).
async fn contact_wrote(db: &crate::common::TestDb, conversation: ConversationId, text: &str, at: Timestamp) {
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(&db.database.url()).await.expect("connect");
    sqlx::query(
        "INSERT INTO message (conversation_id, direction, kind, body, status, status_rank, created_at) \
         VALUES ($1, 'in', 'text', $2, 'received', 0, $3)",
    )
    .bind(conversation.0)
    .bind(text)
    .bind(at.as_millis())
    .execute(&mut conn)
    .await
    .expect("inbound");
}

contract!(what_an_agent_has_not_seen_counts_from_when_they_last_opened_the_conversation, |db| {
    use atende_domain::note::NoteText;
    use atende_domain::ports::{Notes, Seen};
    let store = db.store().await;
    let ana = AgentId(store.create_agent(&agent("ana@teste.local", "Ana"), &[], NOW).await.expect("agent"));
    let bia = AgentId(store.create_agent(&agent("bia@teste.local", "Bia"), &[], NOW).await.expect("agent"));
    let maria = store.create_contact(new_contact("Maria", "(11) 98765-4321"), NOW).await.expect("saved");
    let id = store.open_conversation(maria.id, ChannelKind::WhatsappOfficial, NOW).await.expect("opened").id;
    contact_wrote(&db, id, "Oi", NOW).await;
    contact_wrote(&db, id, "Tem alguém?", NOW.plus_millis(1)).await;
    let facts = |agent: AgentId| {
        let store = &store;
        async move {
            store
                .unseen_facts(agent, None)
                .await
                .expect("facts")
                .into_iter()
                .map(|f| (f.conversation, f.contact_name, f.messages, f.notes))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(facts(ana).await, [(id, "Maria".to_owned(), 2, vec![])], "never opened: all of it");
    store.mark_seen(ana, id, NOW).await.expect("seen");
    assert_eq!(facts(ana).await, [(id, "Maria".to_owned(), 0, vec![])]);
    assert_eq!(facts(bia).await[0].2, 2, "each agent's own");
    contact_wrote(&db, id, "Alô?", NOW.plus_millis(2)).await;
    store.add_note(id, bia, &NoteText::parse("@Ana veja").expect("note"), &[ana], NOW).await.expect("note");
    store.add_note(id, bia, &NoteText::parse("só para mim").expect("note"), &[], NOW).await.expect("note");
    assert_eq!(facts(ana).await, [(id, "Maria".to_owned(), 1, vec![(vec![ana], "@Ana veja".to_owned())])]);
    store.mark_seen(ana, id, NOW.plus_millis(3)).await.expect("seen again");
    assert_eq!(facts(ana).await, [(id, "Maria".to_owned(), 0, vec![])]);
});

contract!(messages_are_found_by_their_words_plurals_and_accents_aside_in_the_teams_asked, |db| {
    use atende_domain::ports::MessageSearches;
    use atende_domain::search::{hits, MessageSearch};
    let store = db.store().await;
    let maria = store.create_contact(new_contact("Maria", "(11) 98765-4321"), NOW).await.expect("saved");
    let id = store.open_conversation(maria.id, ChannelKind::WhatsappOfficial, NOW).await.expect("opened").id;
    contact_wrote(&db, id, "Meus pedidos não chegaram", NOW).await;
    contact_wrote(&db, id, "Três ações pendentes", NOW.plus_millis(1)).await;
    contact_wrote(&db, id, "Pedi um café", NOW.plus_millis(2)).await;
    contact_wrote(&db, id, "Acabou o estoque", NOW.plus_millis(2)).await;
    let found = |typed: &str, teams: Option<Vec<i64>>| {
        let store = &store;
        let search = MessageSearch::parse(typed).expect("a word");
        async move {
            let candidates =
                store.search_messages(&search, teams.as_deref(), None, 20).await.expect("searched");
            hits(&search, candidates, 20)
                .into_iter()
                .map(|hit| hit.pieces.into_iter().map(|(text, _)| text).collect::<String>())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("pedido", None).await, ["Meus pedidos não chegaram"], "the plural, not 'Pedi'");
    assert_eq!(found("PEDIDOS chegaram", None).await, ["Meus pedidos não chegaram"]);
    assert_eq!(found("acao", None).await, ["Três ações pendentes"], "without its accents, and not 'Acabou'");
    // Pages: what is older than a message found.
    let acabou = MessageSearch::parse("acabou").expect("a word");
    let newest = store.search_messages(&acabou, None, None, 1).await.expect("searched");
    assert_eq!(newest.len(), 1);
    let older = store.search_messages(&acabou, None, Some(newest[0].message), 5).await.expect("searched");
    assert!(older.is_empty(), "nothing older matches: {older:?}");
    assert!(found("pedido reembolso", None).await.is_empty(), "every word");
    // The shared inbox's conversation is found by an agent of any team; another team's would not be.
    assert_eq!(found("pedido", Some(vec![])).await.len(), 1);
    let sales = store.ensure_team("Vendas", NOW).await.expect("team");
    let channel = gateway_channel(&store).await;
    let joao = store.create_contact(new_contact("João", "(11) 98765-1111"), NOW).await.expect("contact");
    let theirs = store.open_conversation_on(joao.id.0, channel, Some(sales), NOW).await.expect("opened");
    contact_wrote(&db, ConversationId(theirs), "Outro pedido de Vendas", NOW.plus_millis(3)).await;
    assert_eq!(found("pedido", Some(vec![])).await, ["Meus pedidos não chegaram"], "not Vendas' message");
    assert_eq!(
        found("pedido", Some(vec![sales])).await,
        ["Outro pedido de Vendas", "Meus pedidos não chegaram"],
        "newest first"
    );
});

/// The next message written gets the id `next` (ids further on than the newest messages a search walks).
async fn next_message_id(db: &crate::common::TestDb, next: i64) {
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(&db.database.url()).await.expect("connect");
    let sql = match db.database {
        atende_server::Database::Postgres(_) => {
            format!("ALTER TABLE message ALTER COLUMN message_id RESTART WITH {next}")
        }
        atende_server::Database::Sqlite(_) => {
            format!("UPDATE sqlite_sequence SET seq = {} WHERE name = 'message'", next - 1)
        }
    };
    sqlx::query(&sql).execute(&mut conn).await.expect("message ids moved on");
}

contract!(a_search_finds_matches_near_and_far_from_the_newest_messages_newest_first, |db| {
    use atende_domain::ports::MessageSearches;
    use atende_domain::search::MessageSearch;
    // On PostgreSQL the store walks the newest 2,000 message ids, then up to 10,000, before it reads the rest
    // from its index (server/src/store/search.rs): ids far apart put a match in each of the three.
    let store = db.store().await;
    let maria = store.create_contact(new_contact("Maria", "(11) 98765-4321"), NOW).await.expect("saved");
    let id = store.open_conversation(maria.id, ChannelKind::WhatsappOfficial, NOW).await.expect("opened").id;
    contact_wrote(&db, id, "Boleto antigo", NOW).await;
    next_message_id(&db, 20_000).await;
    contact_wrote(&db, id, "Boleto do meio", NOW.plus_millis(1)).await;
    contact_wrote(&db, id, "Só no meio", NOW.plus_millis(2)).await;
    next_message_id(&db, 25_000).await;
    contact_wrote(&db, id, "Boleto novo", NOW.plus_millis(3)).await;
    contact_wrote(&db, id, "Nada a ver", NOW.plus_millis(4)).await;
    let found = |typed: &str, before: Option<i64>, limit: u32| {
        let store = &store;
        let search = MessageSearch::parse(typed).expect("a word");
        async move {
            let found = store.search_messages(&search, None, before, limit).await.expect("searched");
            found.into_iter().map(|found| (found.message, found.body)).collect::<Vec<_>>()
        }
    };
    let bodies = |found: Vec<(i64, String)>| found.into_iter().map(|(_, body)| body).collect::<Vec<_>>();
    let all = found("boleto", None, 10).await;
    assert_eq!(
        bodies(all.clone()),
        ["Boleto novo", "Boleto do meio", "Boleto antigo"],
        "from all three reaches"
    );
    assert_eq!(bodies(found("boleto", None, 1).await), ["Boleto novo"]);
    assert_eq!(bodies(found("boleto", None, 2).await), ["Boleto novo", "Boleto do meio"]);
    assert_eq!(
        bodies(found("boleto", Some(all[0].0), 10).await),
        ["Boleto do meio", "Boleto antigo"],
        "older"
    );
    assert_eq!(bodies(found("boleto", Some(all[1].0), 10).await), ["Boleto antigo"]);
    assert_eq!(bodies(found("meio", None, 10).await), ["Só no meio", "Boleto do meio"], "none of the newest");
    assert_eq!(bodies(found("antigo", None, 10).await), ["Boleto antigo"]);
    assert!(found("reembolso", None, 10).await.is_empty());
});

/// A console channel on the unofficial gateway, for conversations opened in a team.
async fn gateway_channel(store: &atende_server::store::SqlStore) -> i64 {
    store
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
        .expect("channel")
}
