//! "Simulador de contato": a plain server-rendered page where a person writes to the business as a contact.
//! Every string that came from a person is HTML-escaped.

use super::{unix_now, SandboxError, SandboxState, SimulatedContent, SimulatedInbound, DEMO_OLD_NUMBER};
use atende_domain::conversation::ChannelKind;
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::header;
use axum::response::Html;
use axum::Form;
use serde::Deserialize;
use std::fmt::Write as _;

const EMOJIS: &[&str] = &["👍", "😀", "🙏", "❤️", "😢", "🎉", "👋"];

/// Most contacts the page lists.
const CONTACTS_LISTED: usize = 50;

/// Contacts offered on an empty sandbox: a São Paulo mobile and an old Belo Horizonte one (no ninth digit).
const SUGGESTED: &[(&str, &str)] =
    &[("Maria Silva", "5511987654321"), ("João Souza (número antigo)", DEMO_OLD_NUMBER)];

/// `&`, `<`, `>`, `"` and `'` as entities.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[derive(Debug, Deserialize)]
pub(super) struct PageQuery {
    #[serde(default)]
    numero: Option<String>,
    #[serde(default)]
    canal: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct SimulatorForm {
    #[serde(default)]
    numero: String,
    #[serde(default)]
    nome: String,
    /// `texto`, `emoji`, `imagem`, `documento`, `video`, `audio` or `localizacao`.
    #[serde(default)]
    tipo: String,
    #[serde(default)]
    texto: String,
    #[serde(default)]
    emoji: String,
    /// How many hours ago the contact wrote: `0` (now) or, to try a closed window, `25`.
    #[serde(default)]
    horas_atras: String,
    /// `oficial` (default), `nao_oficial`, `messenger` or `instagram`.
    #[serde(default)]
    canal: String,
    /// Multipart only: the chosen file (name, MIME type, bytes).
    #[serde(skip)]
    arquivo: Option<(String, String, Vec<u8>)>,
}

/// Reads the form, sent as `multipart/form-data` by the page (it may carry a file) or urlencoded (scripts).
async fn read_form(request: Request) -> Result<SimulatorForm, String> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_multipart {
        let Form(form) =
            Form::<SimulatorForm>::from_request(request, &()).await.map_err(|e| e.body_text())?;
        return Ok(form);
    }
    let mut multipart = Multipart::from_request(request, &()).await.map_err(|e| e.body_text())?;
    let mut form = SimulatorForm::default();
    while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "arquivo" {
            let filename = field.file_name().unwrap_or("arquivo").to_owned();
            let mime_type = field.content_type().unwrap_or("application/octet-stream").to_owned();
            let bytes = field.bytes().await.map_err(|e| e.body_text())?;
            if !bytes.is_empty() {
                form.arquivo = Some((filename, mime_type, bytes.to_vec()));
            }
            continue;
        }
        let value = field.text().await.map_err(|e| e.body_text())?;
        match name.as_str() {
            "numero" => form.numero = value,
            "nome" => form.nome = value,
            "tipo" => form.tipo = value,
            "texto" => form.texto = value,
            "emoji" => form.emoji = value,
            "horas_atras" => form.horas_atras = value,
            "canal" => form.canal = value,
            _ => {}
        }
    }
    Ok(form)
}

enum Notice {
    Sent(String),
    Failed(String),
}

pub(super) async fn page(State(state): State<SandboxState>, Query(query): Query<PageQuery>) -> Html<String> {
    let number = query.numero.unwrap_or_default();
    Html(render(&state, &number, "", &query.canal.unwrap_or_default(), None).await)
}

pub(super) async fn submit(State(state): State<SandboxState>, request: Request) -> Html<String> {
    let form = match read_form(request).await {
        Ok(form) => form,
        Err(why) => {
            let notice = Notice::Failed(format!("Não foi possível ler o formulário: {why}"));
            return Html(render(&state, "", "", "", Some(notice)).await);
        }
    };
    let caption = (!form.texto.trim().is_empty()).then(|| form.texto.trim().to_owned());
    let content = match (form.tipo.as_str(), form.arquivo) {
        ("emoji", _) => SimulatedContent::Text(form.emoji.clone()),
        (kind @ ("imagem" | "documento"), Some((filename, mime_type, bytes))) => {
            SimulatedContent::Upload { as_image: kind == "imagem", filename, mime_type, bytes, caption }
        }
        ("imagem", None) => SimulatedContent::Image { caption },
        ("documento", None) => SimulatedContent::Document { caption },
        ("video", _) => SimulatedContent::Video { caption },
        ("audio", _) => SimulatedContent::VoiceNote,
        ("localizacao", _) => SimulatedContent::Location { name: caption },
        ("contato", _) => SimulatedContent::SharedContact,
        ("reacao", _) => SimulatedContent::Reaction { emoji: form.emoji.clone() },
        _ => SimulatedContent::Text(form.texto.clone()),
    };
    let hours_ago: i64 = form.horas_atras.trim().parse().unwrap_or(0).clamp(0, 24 * 30);
    let other = match form.canal.as_str() {
        "nao_oficial" => Some(ChannelKind::WhatsappUnofficial),
        "messenger" => Some(ChannelKind::Messenger),
        "instagram" => Some(ChannelKind::Instagram),
        _ => None,
    };
    if let Some(kind) = other {
        let notice = match state.others() {
            Some(others) => {
                match others.simulate_content(kind, &form.numero, &form.nome, content, hours_ago * 3600).await
                {
                    Ok(id) => {
                        Notice::Sent(format!("Mensagem entregue ao Atende pelo {} ({id}).", kind.label()))
                    }
                    Err(error) => Notice::Failed(error.to_string()),
                }
            }
            None => Notice::Failed("Este canal não está ligado no sandbox.".into()),
        };
        return Html(render(&state, &form.numero, &form.nome, &form.canal, Some(notice)).await);
    }
    let inbound = SimulatedInbound { number: form.numero.clone(), name: form.nome.clone(), content };
    let notice = match state.simulate_inbound_at(inbound, hours_ago * 3600).await {
        Ok(receipt) => Notice::Sent(format!("Mensagem entregue ao Atende ({}).", receipt.message_id)),
        Err(error @ SandboxError::Delivery(_)) => Notice::Failed(format!(
            "{error} A mensagem conta para a janela de 24 horas, mas o Atende não a recebeu."
        )),
        Err(error) => Notice::Failed(error.to_string()),
    };
    Html(render(&state, &form.numero, &form.nome, &form.canal, Some(notice)).await)
}

/// The channels the page offers: (form value, label, kind). The first is the default.
const CHANNELS: [(&str, &str, ChannelKind); 4] = [
    ("oficial", "WhatsApp Oficial", ChannelKind::WhatsappOfficial),
    ("nao_oficial", "WhatsApp Não Oficial (Evolution API)", ChannelKind::WhatsappUnofficial),
    ("messenger", "Messenger", ChannelKind::Messenger),
    ("instagram", "Instagram", ChannelKind::Instagram),
];

fn clock(at: i64) -> String {
    let seconds = at.rem_euclid(86_400);
    format!("{:02}:{:02} UTC", seconds / 3600, (seconds % 3600) / 60)
}

async fn render(
    state: &SandboxState,
    number: &str,
    typed_name: &str,
    canal: &str,
    notice: Option<Notice>,
) -> String {
    // The channel last used stays chosen; an unknown value reads as the first.
    let (canal, _, kind) =
        CHANNELS.iter().copied().find(|(value, _, _)| *value == canal).unwrap_or(CHANNELS[0]);
    let now = unix_now();
    let window = i64::try_from(state.config().service_window.as_secs()).unwrap_or(i64::MAX);
    let wa_id = (!number.trim().is_empty()).then(|| state.wa_id_for(number));
    let data = state.inner.data.lock().await;

    // The most recently active first, and only so many: the page stays small (and the fake's lock is held
    // briefly) when a load test has made thousands of contacts.
    let mut contacts: Vec<(String, String, Option<i64>)> =
        data.contacts.iter().map(|(id, c)| (c.name.clone(), id.clone(), c.last_inbound)).collect();
    contacts.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
    let more = contacts.len().saturating_sub(CONTACTS_LISTED);
    contacts.truncate(CONTACTS_LISTED);
    for (name, suggested) in SUGGESTED {
        let id = state.wa_id_for(suggested);
        if !data.contacts.contains_key(&id) {
            contacts.push(((*name).to_owned(), (*suggested).to_owned(), None));
        }
    }
    let selected = wa_id.as_ref().and_then(|id| data.contacts.get(id));
    let name = if typed_name.trim().is_empty() {
        selected
            .map(|c| c.name.clone())
            .or_else(|| {
                SUGGESTED
                    .iter()
                    .find(|(_, n)| Some(state.wa_id_for(n)) == wa_id)
                    .map(|(n, _)| (*n).to_owned())
            })
            .unwrap_or_default()
    } else {
        typed_name.to_owned()
    };

    let window_text = |last: Option<i64>| match last {
        Some(t) if now.saturating_sub(t) < window => {
            let left = window - now.saturating_sub(t);
            format!("janela aberta, fecha em {}h{:02}min", left / 3600, (left % 3600) / 60)
        }
        _ => "janela fechada".to_owned(),
    };

    let mut html = String::with_capacity(8 * 1024);
    html.push_str(
        r#"<!doctype html>
<html lang="pt-BR">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Simulador de contato · Atende (sandbox)</title>
<link rel="icon" href="data:,">
<style>
body { font-family: system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1f2328; }
main { max-width: 46rem; margin: 0 auto; padding: 1.5rem; }
h1 { margin-top: 0; }
form, section { background: #fff; border-radius: .5rem; padding: 1rem 1.25rem; margin-bottom: 1rem; }
label { display: block; margin: .5rem 0; }
input[type=text], textarea, select { display: block; width: 100%; box-sizing: border-box; padding: .4rem; font: inherit; }
fieldset { border: 1px solid #d0d7de; border-radius: .4rem; }
fieldset label { display: inline-block; margin-right: 1rem; }
button { font: inherit; padding: .5rem 1rem; background: #1a7f37; color: #fff; border: 0; border-radius: .4rem; cursor: pointer; }
.aviso { padding: .75rem 1rem; border-radius: .4rem; }
.ok { background: #dafbe1; }
.erro { background: #ffebe9; }
ol.conversa { list-style: none; padding: 0; }
ol.conversa li { margin: .4rem 0; padding: .5rem .75rem; border-radius: .4rem; max-width: 80%; }
li.contato { background: #ddf4ff; }
li.empresa { background: #eef1f4; margin-left: auto; }
small { color: #57606a; }
</style>
</head>
<body>
<main>
<h1>Simulador de contato</h1>
<p>Escreva como se fosse o contato no WhatsApp. Cada mensagem chega ao Atende por um webhook assinado, como os da Meta, e abre (ou renova) a janela de atendimento de 24 horas.</p>
"#,
    );
    match notice {
        Some(Notice::Sent(text)) => {
            let _ = writeln!(html, r#"<p class="aviso ok" role="status">{}</p>"#, escape(&text));
        }
        Some(Notice::Failed(text)) => {
            let _ = writeln!(html, r#"<p class="aviso erro" role="alert">{}</p>"#, escape(&text));
        }
        None => {}
    }

    html.push_str("<section aria-labelledby=\"contatos\">\n<h2 id=\"contatos\">Contatos</h2>\n<ul>\n");
    for (contact_name, id, last) in &contacts {
        let _ = writeln!(
            html,
            r#"<li><a href="?numero={}">{}</a> <small>{} · {}</small></li>"#,
            escape(&super::digits(id)),
            escape(contact_name),
            escape(id),
            escape(&window_text(*last)),
        );
    }
    html.push_str("</ul>\n");
    if more > 0 {
        let _ = writeln!(html, "<p><small>e mais {more} contatos (digite o número abaixo)</small></p>");
    }
    html.push_str("</section>\n");

    let _ = write!(
        html,
        r#"<form method="post" enctype="multipart/form-data">
<h2>Enviar como contato</h2>
<label>Número do contato (com DDI e DDD)
<input type="text" name="numero" inputmode="tel" autocomplete="off" required value="{}"></label>
<label>Nome do contato
<input type="text" name="nome" autocomplete="off" value="{}"></label>
<label>Canal
<select name="canal">
{}</select></label>
<fieldset>
<legend>Tipo de mensagem</legend>
<label><input type="radio" name="tipo" value="texto" checked> Texto</label>
<label><input type="radio" name="tipo" value="emoji"> Emoji</label>
<label><input type="radio" name="tipo" value="imagem"> Imagem</label>
<label><input type="radio" name="tipo" value="documento"> Arquivo</label>
<label><input type="radio" name="tipo" value="video"> Vídeo</label>
<label><input type="radio" name="tipo" value="audio"> Áudio</label>
<label><input type="radio" name="tipo" value="localizacao"> Localização</label>
<label><input type="radio" name="tipo" value="contato"> Contato</label>
<label><input type="radio" name="tipo" value="reacao"> Reação (à última mensagem do Atende)</label>
</fieldset>
<label>Imagem ou arquivo (opcional: sem escolher, o simulador envia um de exemplo; nos outros canais, sempre o de exemplo)
<input type="file" name="arquivo"></label>
<label>Mensagem (ou legenda da imagem, arquivo ou vídeo; nome do lugar da localização)
<textarea name="texto" rows="3"></textarea></label>
<label>Quando o contato escreveu
<select name="horas_atras">
<option value="0">Agora</option>
<option value="25">Há 25 horas (janela de 24 horas já fechada)</option>
</select></label>
<label>Emoji
<select name="emoji">
"#,
        escape(number),
        escape(&name),
        CHANNELS
            .iter()
            .map(|(value, label, _)| {
                let selected = if *value == canal { " selected" } else { "" };
                format!("<option value=\"{value}\"{selected}>{label}</option>\n")
            })
            .collect::<String>(),
    );
    for emoji in EMOJIS {
        let _ = writeln!(html, r#"<option value="{0}">{0}</option>"#, escape(emoji));
    }
    html.push_str("</select></label>\n<button type=\"submit\">Enviar como contato</button>\n</form>\n");

    // On Instagram and Messenger the person is known by the id Meta gives them there, not by a WhatsApp id; the
    // conversation itself is read in Atende.
    if let (Some(_), ChannelKind::Messenger | ChannelKind::Instagram | ChannelKind::WhatsappUnofficial) =
        (&wa_id, kind)
    {
        let person = match kind {
            ChannelKind::WhatsappUnofficial => format!("{}@s.whatsapp.net", super::digits(number)),
            _ => super::others::OthersSandbox::scoped_id(kind, number),
        };
        let title = if name.trim().is_empty() { person.clone() } else { name.clone() };
        let _ = writeln!(
            html,
            "<section aria-labelledby=\"conversa\">\n<h2 id=\"conversa\">Conversa com {}</h2>\n<p><small>Identificação no {}: {}</small></p>\n<p>As mensagens desta conversa aparecem no Atende.</p>\n</section>",
            escape(&title),
            kind.label(),
            escape(&person),
        );
    } else if let Some(id) = &wa_id {
        let contact = data.contacts.get(id);
        let title = contact.map(|c| c.name.clone()).unwrap_or_else(|| id.clone());
        let _ = writeln!(
            html,
            "<section aria-labelledby=\"conversa\">\n<h2 id=\"conversa\">Conversa com {}</h2>\n<p><small>WhatsApp ID {} · {}</small></p>",
            escape(&title),
            escape(id),
            escape(&window_text(contact.and_then(|c| c.last_inbound))),
        );
        let mut lines: Vec<(i64, bool, String)> = contact
            .map(|c| {
                // What the contact's phone shows once the business read a message: that one and every one
                // before it read (blue ticks).
                let last_read = c
                    .log
                    .iter()
                    .rposition(|l| data.read_by_business.iter().any(|(id, _)| *id == l.message_id));
                c.log
                    .iter()
                    .enumerate()
                    .map(|(index, l)| {
                        let seen = if last_read.is_some_and(|last| index <= last) {
                            " (lida pela empresa)"
                        } else {
                            ""
                        };
                        (l.at, true, format!("{} · {}{seen}", clock(l.at), l.text))
                    })
                    .collect()
            })
            .unwrap_or_default();
        for sent in data.sent.iter().filter(|m| &m.wa_id == id) {
            let status = match sent.status.as_str() {
                "accepted" => "aceita",
                "sent" => "enviada",
                "delivered" => "entregue",
                "read" => "lida",
                "failed" => "falhou",
                other => other,
            };
            lines.push((sent.at, false, format!("{} · {} ({status})", clock(sent.at), sent.summary)));
        }
        lines.sort_by_key(|(at, _, _)| *at);
        if lines.is_empty() {
            html.push_str("<p>Nenhuma mensagem ainda.</p>\n");
        } else {
            html.push_str("<ol class=\"conversa\">\n");
            for (_, inbound, text) in lines {
                let (class, who) = if inbound { ("contato", "Contato") } else { ("empresa", "Empresa") };
                let _ =
                    writeln!(html, r#"<li class="{class}"><small>{who}</small><br>{}</li>"#, escape(&text));
            }
            html.push_str("</ol>\n");
        }
        html.push_str("</section>\n");
    }
    html.push_str("</main>\n</body>\n</html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape(r#"<script>alert("x&'y")</script>"#),
            "&lt;script&gt;alert(&quot;x&amp;&#39;y&quot;)&lt;/script&gt;"
        );
    }

    #[test]
    fn the_clock_shows_utc_hours_and_minutes() {
        assert_eq!(clock(1_749_416_383), "20:59 UTC");
    }

    #[tokio::test]
    async fn the_page_keeps_the_channel_chosen_and_names_an_instagram_person_by_their_id_there() {
        let state = SandboxState::new(super::super::SandboxConfig::default());
        let html = render(&state, "5511987654321", "Ana", "instagram", None).await;
        assert!(html.contains(r#"<option value="instagram" selected>Instagram</option>"#), "{html}");
        assert_eq!(html.matches(" selected>").count(), 1);
        assert!(html.contains("Identificação no Instagram: 1705511987654321"), "{html}");
        assert!(!html.contains("WhatsApp ID"));
        assert!(html.contains(r#"<link rel="icon" href="data:,">"#), "no request for /favicon.ico");
        let html = render(&state, "5511987654321", "Ana", "", None).await;
        assert!(html.contains(r#"<option value="oficial" selected>WhatsApp Oficial</option>"#));
        assert!(html.contains("WhatsApp ID"));
        for kind in ["Vídeo", "Áudio", "Localização"] {
            assert!(html.contains(&format!("> {kind}</label>")), "{kind}");
        }
    }

    #[tokio::test]
    async fn the_page_escapes_what_people_typed() {
        let state = SandboxState::new(super::super::SandboxConfig::default());
        state.set_last_inbound("5511987654321", unix_now()).await;
        let html =
            render(&state, "5511987654321", "<b>Ana</b>", "", Some(Notice::Failed("<i>x</i>".into()))).await;
        assert!(html.contains("&lt;b&gt;Ana&lt;/b&gt;"));
        assert!(html.contains("&lt;i&gt;x&lt;/i&gt;"));
        assert!(!html.contains("<b>Ana"));
        assert!(html.contains("janela aberta"));
        assert!(html.contains("Simulador de contato"));
    }
}
