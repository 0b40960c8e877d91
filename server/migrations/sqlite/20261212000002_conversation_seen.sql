-- "Notificações" (issue #19): what each agent last saw of each conversation (the newest message and note
-- when they last opened it); what came after is theirs to be told of.
CREATE TABLE conversation_seen (
    agent_id        INTEGER NOT NULL REFERENCES agent (agent_id),
    conversation_id INTEGER NOT NULL REFERENCES conversation (conversation_id),
    message_id      INTEGER NOT NULL,
    note_id         INTEGER NOT NULL,
    seen_at         INTEGER NOT NULL,
    PRIMARY KEY (agent_id, conversation_id)
);
