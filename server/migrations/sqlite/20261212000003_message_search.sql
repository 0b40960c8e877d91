-- "Busca" by message text (issue #19): an FTS5 index of the messages' text, kept by triggers (no write path
-- can forget it); case and accents aside (unicode61 remove_diacritics 2). The domain
-- (atende_domain::search) builds the query and decides what matches.
CREATE VIRTUAL TABLE message_fts USING fts5(
    body,
    content = 'message',
    content_rowid = 'message_id',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO message_fts (message_fts) VALUES ('rebuild');

CREATE TRIGGER message_fts_insert AFTER INSERT ON message WHEN NEW.body IS NOT NULL
BEGIN
    INSERT INTO message_fts (rowid, body) VALUES (NEW.message_id, NEW.body);
END;
CREATE TRIGGER message_fts_delete AFTER DELETE ON message WHEN OLD.body IS NOT NULL
BEGIN
    INSERT INTO message_fts (message_fts, rowid, body) VALUES ('delete', OLD.message_id, OLD.body);
END;
CREATE TRIGGER message_fts_update AFTER UPDATE OF body ON message
BEGIN
    INSERT INTO message_fts (message_fts, rowid, body) SELECT 'delete', OLD.message_id, OLD.body
        WHERE OLD.body IS NOT NULL;
    INSERT INTO message_fts (rowid, body) SELECT NEW.message_id, NEW.body WHERE NEW.body IS NOT NULL;
END;
