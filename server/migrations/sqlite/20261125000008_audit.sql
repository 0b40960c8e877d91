-- Who started, restarted, concluded and assigned each conversation, and when. Never updated, never deleted.
CREATE TABLE audit_event (
    audit_event_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversation (conversation_id),
    agent_id        INTEGER REFERENCES agent (agent_id),
    action          TEXT    NOT NULL,
    detail          TEXT,
    at              INTEGER NOT NULL
);
CREATE INDEX audit_event_conversation ON audit_event (conversation_id, audit_event_id);
