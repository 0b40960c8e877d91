-- "Nota interna" (issue #19): notes in a conversation, never sent to the contact; not messages, so nothing
-- that reads messages (the window, the queue, the price, the list's last message) sees them.
CREATE TABLE conversation_note (
    note_id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversation (conversation_id),
    agent_id        BIGINT REFERENCES agent (agent_id),
    body            TEXT   NOT NULL,
    -- JSON array of the agent ids the note names with '@', as the domain found them.
    mentions        TEXT   NOT NULL DEFAULT '[]',
    created_at      BIGINT NOT NULL
);
CREATE INDEX conversation_note_conversation ON conversation_note (conversation_id, note_id);

-- Everyone with the conversation open sees the note arrive (see 20261125000012_change_log.sql).
CREATE TRIGGER change_note AFTER INSERT ON conversation_note
    FOR EACH ROW EXECUTE FUNCTION atende_notify_change();
