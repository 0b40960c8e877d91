-- "Busca" by message text (issue #19): a GIN index of the messages' text in the Portuguese configuration
-- (plurals: "pedido" finds "pedidos"), over the text lower-cased and without accents as the domain folds it
-- (atende_domain::contact::fold_for_search), so "acao" finds "Ações". The domain (atende_domain::search)
-- builds the query and decides what matches; server/src/store/search.rs repeats this expression.
CREATE INDEX message_search ON message USING GIN (
    to_tsvector('portuguese'::regconfig, translate(lower(body),
        'áàâãäéèêëíìîïóòôõöúùûüçñ', 'aaaaaeeeeiiiiooooouuuucn'))
);
