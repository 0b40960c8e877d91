-- "Notificações" (issue #19): what each agent last saw of each conversation (the newest message and note
-- when they last opened it); what came after is theirs to be told of.
CREATE TABLE conversation_seen (
    agent_id        BIGINT NOT NULL REFERENCES agent (agent_id),
    conversation_id BIGINT NOT NULL REFERENCES conversation (conversation_id),
    message_id      BIGINT NOT NULL,
    note_id         BIGINT NOT NULL,
    seen_at         BIGINT NOT NULL,
    PRIMARY KEY (agent_id, conversation_id)
);
