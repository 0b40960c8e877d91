-- "Nota interna" (issue #19): notes in a conversation, never sent to the contact; not messages, so nothing
-- that reads messages (the window, the queue, the price, the list's last message) sees them.
CREATE TABLE conversation_note (
    note_id         INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversation (conversation_id),
    agent_id        INTEGER REFERENCES agent (agent_id),
    body            TEXT    NOT NULL,
    -- JSON array of the agent ids the note names with '@', as the domain found them.
    mentions        TEXT    NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL
);
CREATE INDEX conversation_note_conversation ON conversation_note (conversation_id, note_id);

-- Everyone with the conversation open sees the note arrive (see 20261125000012_change_log.sql).
CREATE TRIGGER change_log_note_insert AFTER INSERT ON conversation_note
BEGIN
    INSERT INTO change_log (conversation_id) VALUES (NEW.conversation_id);
END;
