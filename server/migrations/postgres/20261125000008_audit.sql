-- Who started, restarted, concluded and assigned each conversation, and when. Never updated, never deleted.
CREATE TABLE audit_event (
    audit_event_id  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversation (conversation_id),
    agent_id        BIGINT REFERENCES agent (agent_id),
    action          TEXT    NOT NULL,
    detail          TEXT,
    at              BIGINT NOT NULL
);
CREATE INDEX audit_event_conversation ON audit_event (conversation_id, audit_event_id);
