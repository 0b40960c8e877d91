-- "Busca" by message text (issue #19): a GIN index of the messages' words, over the text lower-cased and
-- without accents as the domain folds it (atende_domain::contact::fold_for_search), in the 'simple'
-- configuration: no stemming and no stop words, so it finds what SQLite's FTS5 finds. The domain
-- (atende_domain::search) asks for each word's prefix its plural shares ("pedido", "ac" for "ação"/"ações")
-- and decides what matches; server/src/store/search.rs repeats this expression.
CREATE INDEX message_search ON message USING GIN (
    to_tsvector('simple'::regconfig, translate(lower(body),
        'áàâãäéèêëíìîïóòôõöúùûüçñ', 'aaaaaeeeeiiiiooooouuuucn'))
);
