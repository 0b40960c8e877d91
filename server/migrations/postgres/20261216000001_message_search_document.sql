-- "Busca" at a million messages (issue #20): the words of each message are kept in a column of their own,
-- written with the message, instead of an index over an expression. The search (server/src/store/search.rs)
-- tests the newest messages one by one before it asks the index; recomputing the words of each took 6 s for a
-- walk over a million of them, reading them takes 0.4 s, and the walk is bounded to the newest 10,000.
-- The folding is the domain's (atende_domain::contact::fold_for_search): lower case, no accents, in the
-- 'simple' configuration (no stemming and no stop words, as SQLite's FTS5).
DROP INDEX message_search;
ALTER TABLE message ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
    to_tsvector('simple'::regconfig, translate(lower(body),
        'áàâãäéèêëíìîïóòôõöúùûüçñ', 'aaaaaeeeeiiiiooooouuuucn'))
) STORED;
-- Without `fastupdate` (see 20261216000002_contact_search_trigrams.sql): each message's words go into the index as
-- it is written, so no search reads through a list of pending ones.
CREATE INDEX message_search ON message USING GIN (search_document) WITH (fastupdate = off);
