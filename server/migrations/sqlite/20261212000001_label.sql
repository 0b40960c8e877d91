-- "Etiquetas" (issue #19): colour labels admins keep, put on conversations by anyone who may see them.
CREATE TABLE label (
    label_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    -- The name folded by the domain (case, accents, spaces aside): two labels never share it.
    name_key   TEXT    NOT NULL UNIQUE,
    -- The domain's colour code ("azul").
    color      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE conversation_label (
    conversation_id INTEGER NOT NULL REFERENCES conversation (conversation_id),
    label_id        INTEGER NOT NULL REFERENCES label (label_id),
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, label_id)
);
-- The list's filter by label.
CREATE INDEX conversation_label_label ON conversation_label (label_id, conversation_id);

-- Everyone with the conversation in view sees its labels change (see 20261125000012_change_log.sql).
CREATE TRIGGER change_log_label_insert AFTER INSERT ON conversation_label
BEGIN
    INSERT INTO change_log (conversation_id) VALUES (NEW.conversation_id);
END;
CREATE TRIGGER change_log_label_delete AFTER DELETE ON conversation_label
BEGIN
    INSERT INTO change_log (conversation_id) VALUES (OLD.conversation_id);
END;
