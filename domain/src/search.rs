//! "Busca" by message text (issue #19): what the agent types in the Atendimentos search finds the messages
//! that have every word of it, case and accents aside and a plural for its singular ("pedido" finds
//! "pedidos", "acao" finds "Ações"), in the conversations the agent may see. The store finds candidates
//! with its full-text index (SQLite FTS5, PostgreSQL's 'simple' configuration: both by prefix, neither
//! stemming nor dropping words, so both find the same); this decides what matches (its Portuguese plurals)
//! and which words are marked in the result.

use crate::contact::fold_for_search;
use serde::{Deserialize, Serialize};

/// Fewest letters a word needs to be searched for (shorter ones, "de", "o", are left out).
pub const WORD_MIN_CHARS: usize = 3;
/// Fewest letters a stem keeps ("acao" is looked for as "ac", to find "ações").
const STEM_MIN_CHARS: usize = 2;
/// Most words searched for at once.
pub const WORDS_MAX: usize = 8;
/// How many messages a search answers with.
pub const RESULTS_MAX: u32 = 30;

/// A search for messages: the words typed, folded, and the stem each is looked for by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSearch {
    stems: Vec<String>,
}

/// A folded word in the singular, as a plural and its singular share it: "pedidos" → "pedido", "acoes" and
/// "acaes" → "acao", "maos" → "mao", "flores" → "flor", "itens" → "item". A word of three letters or fewer is
/// left as it is.
fn stem(word: &str) -> String {
    let cut = |suffix: &str| word.strip_suffix(suffix);
    let singular = if word.chars().count() <= 3 {
        None
    } else if let Some(base) = cut("oes").or_else(|| cut("aes")).or_else(|| cut("aos")) {
        Some(format!("{base}ao"))
    } else if let Some(base) = cut("ns") {
        Some(format!("{base}m"))
    } else if ["res", "zes", "ses"].iter().any(|end| word.ends_with(end)) {
        cut("es").map(str::to_owned)
    } else {
        cut("s").map(str::to_owned)
    };
    singular.filter(|base| base.chars().count() >= STEM_MIN_CHARS).unwrap_or_else(|| word.to_owned())
}

/// What the index is asked for, as a prefix: the stem, less the ending its plural changes ("acao" → "ac", for
/// "acoes"; "item" → "ite", for "itens").
fn index_prefix(stem: &str) -> &str {
    let cut = stem.strip_suffix("ao").or_else(|| stem.strip_suffix('m'));
    cut.filter(|base| base.chars().count() >= STEM_MIN_CHARS).unwrap_or(stem)
}

/// The words of `text`, folded (lower case, no accents), as the index sees them.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(move |word| (word.as_ptr() as usize - text.as_ptr() as usize, word))
}

impl MessageSearch {
    /// The search typed, or `None` when it has no word long enough to look for.
    pub fn parse(typed: &str) -> Option<Self> {
        let folded = fold_for_search(typed);
        let mut stems: Vec<String> = Vec::new();
        for (_, word) in words(&folded) {
            if word.chars().count() < WORD_MIN_CHARS {
                continue;
            }
            let stem = stem(word);
            if !stems.contains(&stem) {
                stems.push(stem);
            }
            if stems.len() == WORDS_MAX {
                break;
            }
        }
        (!stems.is_empty()).then_some(Self { stems })
    }

    pub fn stems(&self) -> &[String] {
        &self.stems
    }

    /// Whether a word of a message is one of those looked for: its singular begins with one ("entreg" finds
    /// "entregue"; "acao" finds "ações" but not "acabou").
    fn hits(&self, word: &str) -> bool {
        let singular = stem(&fold_for_search(word));
        self.stems.iter().any(|stem| singular.starts_with(stem.as_str()))
    }

    /// Whether `text` has every word looked for.
    pub fn matches(&self, text: &str) -> bool {
        let singulars: Vec<String> = words(text).map(|(_, word)| stem(&fold_for_search(word))).collect();
        self.stems.iter().all(|stem| singulars.iter().any(|word| word.starts_with(stem.as_str())))
    }

    /// `text` in pieces, each marked when it is a word looked for: what the result shows highlighted.
    pub fn highlight(&self, text: &str) -> Vec<(String, bool)> {
        let mut pieces: Vec<(String, bool)> = Vec::new();
        let mut at = 0;
        for (start, word) in words(text) {
            if self.hits(word) {
                if start > at {
                    pieces.push((text[at..start].to_owned(), false));
                }
                pieces.push((word.to_owned(), true));
                at = start + word.len();
            }
        }
        if at < text.len() {
            pieces.push((text[at..].to_owned(), false));
        }
        pieces
    }

    /// Each word as the indexes are asked for it: the prefix its plural shares, letters and digits only
    /// (nothing either query language reads as an operator).
    fn index_prefixes(&self) -> impl Iterator<Item = String> + '_ {
        self.stems.iter().map(|stem| index_prefix(stem).chars().filter(|c| c.is_alphanumeric()).collect())
    }

    /// The query of SQLite's FTS5 index (tokenised with `unicode61 remove_diacritics 2`): every word as a
    /// quoted prefix.
    pub fn fts5(&self) -> String {
        self.index_prefixes().map(|prefix| format!("\"{prefix}\"*")).collect::<Vec<_>>().join(" AND ")
    }

    /// The query of PostgreSQL's index (`to_tsquery('simple', …)` over the folded text: no stemming and no
    /// stop words, as FTS5): every word as a prefix.
    pub fn tsquery(&self) -> String {
        self.index_prefixes().map(|prefix| format!("{prefix}:*")).collect::<Vec<_>>().join(" & ")
    }
}

/// A message found, as the search lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageHit {
    pub message: i64,
    pub conversation: crate::conversation::ConversationId,
    pub contact_name: String,
    pub channel: crate::conversation::ChannelKind,
    pub inbound: bool,
    pub written_at: crate::time::Timestamp,
    /// The message's text in pieces, the words found marked.
    pub pieces: Vec<(String, bool)>,
}

/// A message the store's index found, before [`hits`] decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundMessage {
    pub message: i64,
    pub conversation: crate::conversation::ConversationId,
    pub contact_name: String,
    pub channel: crate::conversation::ChannelKind,
    pub inbound: bool,
    pub written_at: crate::time::Timestamp,
    pub body: String,
}

/// The messages found that match the search (the index's own rules differ a little between the databases:
/// these are the same on both), newest first as found, at most `limit`, their words marked.
pub fn hits(search: &MessageSearch, found: Vec<FoundMessage>, limit: usize) -> Vec<MessageHit> {
    found
        .into_iter()
        .filter(|found| search.matches(&found.body))
        .take(limit)
        .map(|found| MessageHit {
            message: found.message,
            conversation: found.conversation,
            contact_name: found.contact_name,
            channel: found.channel,
            inbound: found.inbound,
            written_at: found.written_at,
            pieces: search.highlight(&found.body),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_singular_finds_its_plural_and_a_plural_its_singular_accents_and_case_aside() {
        let search = MessageSearch::parse("Pedido").expect("a word");
        assert!(search.matches("Seus pedidos chegaram"));
        assert!(search.matches("o PEDIDO 123"));
        let plural = MessageSearch::parse("pedidos").expect("a word");
        assert!(plural.matches("Meu pedido atrasou"));
        let accents = MessageSearch::parse("acao").expect("a word");
        assert!(accents.matches("Três ações na fila"));
        assert!(accents.matches("Uma ação"));
        assert!(MessageSearch::parse("flores").expect("w").matches("uma flor"));
        assert!(MessageSearch::parse("itens").expect("w").matches("o item chegou"));
        assert!(!search.matches("Pedi um café"), "a word that merely begins like it is another word");
        assert!(!accents.matches("Acabou agora"), "nor one that shares only the start of its singular");
        assert!(MessageSearch::parse("maos").expect("w").matches("Lave a mão"));
        assert!(MessageSearch::parse("pao").expect("w").matches("Dois pães"));
        assert!(!MessageSearch::parse("quem").expect("w").matches("Quero saber"));
        assert!(
            MessageSearch::parse("entreg").expect("w").matches("Foi entregue?"),
            "a start typed finds it"
        );
    }

    #[test]
    fn every_word_must_be_found_and_short_words_are_left_out() {
        let search = MessageSearch::parse("pedido de entrega").expect("words");
        assert_eq!(search.stems(), ["pedido", "entrega"]);
        assert!(search.matches("A entrega do pedido"));
        assert!(!search.matches("O pedido foi cancelado"));
        assert_eq!(MessageSearch::parse("a o e"), None);
        assert_eq!(MessageSearch::parse("  "), None);
        let many = MessageSearch::parse("um dois tres quatro cinco seis sete oito nove dez").expect("words");
        assert_eq!(many.stems().len(), WORDS_MAX);
    }

    #[test]
    fn the_words_found_are_marked_in_the_text_as_written() {
        let search = MessageSearch::parse("pedidos atrasado").expect("words");
        let pieces = search.highlight("Olá! Meu Pedido está atrasado, e o outro pedido?");
        assert_eq!(
            pieces,
            [
                ("Olá! Meu ".to_owned(), false),
                ("Pedido".to_owned(), true),
                (" está ".to_owned(), false),
                ("atrasado".to_owned(), true),
                (", e o outro ".to_owned(), false),
                ("pedido".to_owned(), true),
                ("?".to_owned(), false),
            ]
        );
        let joined: String = pieces.iter().map(|(text, _)| text.as_str()).collect();
        assert_eq!(joined, "Olá! Meu Pedido está atrasado, e o outro pedido?");
    }

    #[test]
    fn what_the_index_found_is_kept_only_where_every_word_is_in_it() {
        let search = MessageSearch::parse("pedido").expect("word");
        let found = |id: i64, body: &str| FoundMessage {
            message: id,
            conversation: crate::conversation::ConversationId(1),
            contact_name: "Maria".into(),
            channel: crate::conversation::ChannelKind::WhatsappOfficial,
            inbound: true,
            written_at: crate::time::Timestamp::from_millis(0),
            body: body.into(),
        };
        let kept =
            hits(&search, vec![found(3, "Meus pedidos"), found(2, "Pedi ontem"), found(1, "O pedido")], 10);
        assert_eq!(kept.iter().map(|h| h.message).collect::<Vec<_>>(), [3, 1]);
        assert_eq!(kept[0].pieces, [("Meus ".to_owned(), false), ("pedidos".to_owned(), true)]);
        assert_eq!(hits(&search, vec![found(3, "pedido"), found(1, "pedido")], 1).len(), 1);
    }

    #[test]
    fn the_index_queries_quote_what_was_typed() {
        let search = MessageSearch::parse("pedido \"x\" AND* entregue").expect("words");
        assert_eq!(search.fts5(), "\"pedido\"* AND \"and\"* AND \"entregue\"*");
        assert_eq!(search.tsquery(), "pedido:* & and:* & entregue:*");
        let plurals = MessageSearch::parse("ações itens").expect("words");
        assert_eq!(plurals.stems(), ["acao", "item"]);
        assert_eq!(plurals.fts5(), "\"ac\"* AND \"ite\"*", "what plural and singular share");
    }
}
