//! The conversation list a page at a time (issue #20): the first [`PAGE`] rows come with the page the
//! server renders, the next ones as the agent scrolls, and the live stream updates the rows already shown
//! without reading the list again.
//!
//! Rows are in one order everywhere — most recently updated first, the newer conversation first on a tie
//! ([`order`]) — and a page starts after a [`ListCursor`], the last row the store read for the page before it.
//! Keyset, not offset: a conversation updated while the agent scrolls moves to the top instead of shifting
//! every later page by one (a row seen twice, another never).

use crate::conversation::{ConversationId, ConversationSummary};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// How many rows a page has.
pub const PAGE: u32 = 50;

/// Most rows one page may ask for (the store's `list_conversations`, which tests and tools read whole).
pub const PAGE_MAX: u32 = 500;

/// Most conversations one live update may name ([`ListRange::Only`]); a burst naming more reads the first
/// page again instead.
pub const LIVE_ROWS_MAX: usize = 200;

/// Where a page starts: just after the row with this key, in [`order`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ListCursor {
    pub updated_at: Timestamp,
    pub id: ConversationId,
}

impl ListCursor {
    pub fn of(conversation: &ConversationSummary) -> Self {
        Self { updated_at: conversation.updated_at, id: conversation.id }
    }

    /// Whether `conversation` lists before the cursor's row (or is it): a page after the cursor never has it.
    pub fn covers(&self, conversation: &ConversationSummary) -> bool {
        order_keys(Self::of(conversation), *self) != Ordering::Greater
    }
}

/// The list's order: most recently updated first, then the newer conversation (the higher id) first.
pub fn order(a: &ConversationSummary, b: &ConversationSummary) -> Ordering {
    order_keys(ListCursor::of(a), ListCursor::of(b))
}

fn order_keys(a: ListCursor, b: ListCursor) -> Ordering {
    b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id))
}

/// Which rows of a tab the store reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ListRange {
    /// Up to `limit` rows in [`order`], after `after` (`None`: from the top). The store reads one row more
    /// to know whether another page follows ([`ListPage::from_read`]).
    Page { after: Option<ListCursor>, limit: u32 },
    /// Those of these conversations the tab lists (a live update: they just changed).
    Only(Vec<ConversationId>),
}

impl ListRange {
    /// The first page.
    pub const fn first() -> Self {
        Self::Page { after: None, limit: PAGE }
    }

    /// The page after `after`.
    pub const fn after(after: ListCursor) -> Self {
        Self::Page { after: Some(after), limit: PAGE }
    }

    /// How many rows the store reads at most (`None`: those named, however many are listed).
    pub fn read_limit(&self) -> Option<u32> {
        match self {
            Self::Page { limit, .. } => Some(limit.clamp(&1, &PAGE_MAX) + 1),
            Self::Only(_) => None,
        }
    }

    /// Whether the range may be asked for: a live update names at least one conversation and at most
    /// [`LIVE_ROWS_MAX`].
    pub fn check(&self) -> Result<(), ListRangeError> {
        match self {
            Self::Only(ids) if ids.is_empty() => Err(ListRangeError::NoneNamed),
            Self::Only(ids) if ids.len() > LIVE_ROWS_MAX => Err(ListRangeError::TooMany(ids.len())),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ListRangeError {
    #[error("Diga ao menos um atendimento a atualizar.")]
    NoneNamed,
    #[error("{0} atendimentos de uma vez: o máximo é {LIVE_ROWS_MAX}. Recarregue a lista.")]
    TooMany(usize),
}

/// A page of the list: its rows, and where the next page starts (`None`: this is the last).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListPage {
    pub rows: Vec<ConversationSummary>,
    pub next: Option<ListCursor>,
}

impl ListPage {
    /// The page out of the rows the store read for `range` (in [`order`], at most
    /// [`ListRange::read_limit`]), keeping those `lists` says the tab shows. The SQL narrows to the same
    /// rows, so a row left out here is rare; the next page still starts after the last row *read*, so none
    /// is skipped or read twice.
    pub fn from_read(
        range: &ListRange,
        mut read: Vec<ConversationSummary>,
        lists: impl Fn(&ConversationSummary) -> bool,
    ) -> Self {
        let next = match range.read_limit() {
            Some(limit) if read.len() >= limit as usize => {
                read.truncate(limit as usize - 1);
                read.last().map(ListCursor::of)
            }
            _ => None,
        };
        read.retain(|row| lists(row));
        Self { rows: read, next }
    }

    /// The next page's rows added under these; a row already shown is not shown twice (it moved up since
    /// its page was read, and the live update put it where it is now).
    pub fn append(&mut self, page: Self) {
        for row in page.rows {
            if !self.rows.iter().any(|shown| shown.id == row.id) {
                self.rows.push(row);
            }
        }
        self.next = page.next;
    }

    /// A live update: the conversations `changed` were read again, and `fresh` are those of them the tab
    /// still lists. A changed row leaves its place; a fresh one takes its place in [`order`] among the rows
    /// shown, unless it sorts below the last page read — then the page that has it shows it when the agent
    /// scrolls there.
    pub fn update(&mut self, changed: &[ConversationId], fresh: Vec<ConversationSummary>) {
        self.rows.retain(|row| !changed.contains(&row.id));
        for row in fresh {
            if !changed.contains(&row.id) || self.next.is_some_and(|next| !next.covers(&row)) {
                continue;
            }
            let at = self.rows.partition_point(|shown| order(shown, &row) == Ordering::Less);
            self.rows.insert(at, row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::ContactId;
    use crate::conversation::{Assignee, ChannelKind, ConversationStatus};

    fn row(id: i64, updated: i64) -> ConversationSummary {
        ConversationSummary {
            id: ConversationId(id),
            contact_id: ContactId(id),
            contact_name: crate::contact::ContactName::parse(&format!("Cliente {id}")).expect("nome"),
            contact_phone: None,
            channel: ChannelKind::WhatsappOfficial,
            status: ConversationStatus::Open,
            assignee: Assignee::Unassigned,
            last_message: None,
            last_inbound_at: None,
            provider_closed_at: None,
            updated_at: Timestamp::from_millis(updated),
            created_at: Timestamp::from_millis(0),
            team: None,
            labels: Vec::new(),
        }
    }

    fn ids(page: &ListPage) -> Vec<i64> {
        page.rows.iter().map(|row| row.id.0).collect()
    }

    /// The store's side: every row in order, a page after the cursor.
    fn read(all: &[ConversationSummary], range: &ListRange) -> Vec<ConversationSummary> {
        let mut sorted = all.to_vec();
        sorted.sort_by(order);
        match range {
            ListRange::Page { after, .. } => sorted
                .into_iter()
                .filter(|row| after.is_none_or(|after| !after.covers(row)))
                .take(range.read_limit().expect("página") as usize)
                .collect(),
            ListRange::Only(ids) => sorted.into_iter().filter(|row| ids.contains(&row.id)).collect(),
        }
    }

    #[test]
    fn newest_update_first_and_the_newer_conversation_first_on_a_tie() {
        let mut rows = [row(1, 10), row(2, 30), row(3, 30), row(4, 20)];
        rows.sort_by(order);
        assert_eq!(rows.iter().map(|r| r.id.0).collect::<Vec<_>>(), vec![3, 2, 4, 1]);
    }

    #[test]
    fn pages_cover_every_row_once_in_order_even_on_ties() {
        // 123 rows, every three updated at the same millisecond.
        let all: Vec<_> = (1..=123).map(|id| row(id, id / 3)).collect();
        let mut shown = ListPage::from_read(&ListRange::first(), read(&all, &ListRange::first()), |_| true);
        assert_eq!(shown.rows.len(), PAGE as usize);
        let mut pages = 1;
        while let Some(next) = shown.next {
            let range = ListRange::after(next);
            shown.append(ListPage::from_read(&range, read(&all, &range), |_| true));
            pages += 1;
        }
        assert_eq!(pages, 3);
        let mut expected = all.clone();
        expected.sort_by(order);
        assert_eq!(ids(&shown), expected.iter().map(|r| r.id.0).collect::<Vec<_>>());
    }

    #[test]
    fn a_page_exactly_full_says_no_more_only_when_nothing_follows() {
        let all: Vec<_> = (1..=50).map(|id| row(id, id)).collect();
        let page = ListPage::from_read(&ListRange::first(), read(&all, &ListRange::first()), |_| true);
        assert_eq!((page.rows.len(), page.next), (50, None));
        let all: Vec<_> = (1..=51).map(|id| row(id, id)).collect();
        let page = ListPage::from_read(&ListRange::first(), read(&all, &ListRange::first()), |_| true);
        assert_eq!(page.rows.len(), 50);
        assert_eq!(
            page.next,
            Some(ListCursor { updated_at: Timestamp::from_millis(2), id: ConversationId(2) })
        );
    }

    #[test]
    fn a_row_the_tab_does_not_list_is_left_out_but_the_next_page_starts_after_it() {
        let all: Vec<_> = (1..=60).map(|id| row(id, id)).collect();
        let page =
            ListPage::from_read(&ListRange::first(), read(&all, &ListRange::first()), |r| r.id.0 != 11);
        assert_eq!(page.rows.len(), 49);
        assert_eq!(page.next.map(|next| next.id), Some(ConversationId(11)));
    }

    #[test]
    fn a_live_update_moves_a_row_to_its_place_and_drops_one_the_tab_no_longer_lists() {
        let all: Vec<_> = (1..=120).map(|id| row(id, id)).collect();
        let mut shown = ListPage::from_read(&ListRange::first(), read(&all, &ListRange::first()), |_| true);
        // 100 (shown) got a message; 90 (shown) was concluded; 30 (not read yet) got a message; 29 (not read
        // yet) changed but still sorts below the pages read.
        let changed = [100, 90, 30, 29].map(ConversationId);
        shown.update(&changed, vec![row(100, 500), row(30, 501), row(29, 29)]);
        assert_eq!(ids(&shown)[..3], [30, 100, 120]);
        assert!(!ids(&shown).contains(&90) && !ids(&shown).contains(&29));
        assert_eq!(shown.rows.len(), 50);
        // Scrolling on: 30 is not listed twice, 29 comes in its place.
        let mut all = all;
        all.retain(|r| ![100, 90, 30].contains(&r.id.0));
        all.extend([row(100, 500), row(30, 501)]);
        while let Some(next) = shown.next {
            let range = ListRange::after(next);
            shown.append(ListPage::from_read(&range, read(&all, &range), |_| true));
        }
        let listed = ids(&shown);
        assert_eq!(listed.len(), 119);
        assert_eq!(listed.iter().filter(|id| **id == 30).count(), 1);
        assert!(listed.windows(2).all(|pair| {
            let (a, b) = (all.iter().find(|r| r.id.0 == pair[0]), all.iter().find(|r| r.id.0 == pair[1]));
            order(a.expect("a"), b.expect("b")) == Ordering::Less
        }));
    }

    #[test]
    fn on_the_last_page_a_changed_row_is_placed_wherever_it_sorts() {
        let mut shown = ListPage { rows: vec![row(3, 30), row(2, 20)], next: None };
        shown.update(&[ConversationId(1)], vec![row(1, 1)]);
        assert_eq!(ids(&shown), vec![3, 2, 1]);
        // A row not named as changed is not taken in (the server answers only for those asked).
        shown.update(&[ConversationId(4)], vec![row(5, 50)]);
        assert_eq!(ids(&shown), vec![3, 2, 1]);
    }

    #[test]
    fn a_live_update_names_one_to_two_hundred_conversations_and_pages_are_bounded() {
        assert_eq!(ListRange::Only(Vec::new()).check(), Err(ListRangeError::NoneNamed));
        let many = ListRange::Only((0..201).map(ConversationId).collect());
        assert_eq!(many.check(), Err(ListRangeError::TooMany(201)));
        assert!(ListRange::Only(vec![ConversationId(1)]).check().is_ok());
        assert_eq!(ListRange::Page { after: None, limit: 1_000_000 }.read_limit(), Some(PAGE_MAX + 1));
        assert_eq!(ListRange::Page { after: None, limit: 0 }.read_limit(), Some(2));
        assert_eq!(ListRange::first().read_limit(), Some(PAGE + 1));
    }
}
