-- Signed-in agents: one row per session. The cookie carries a random token; only its SHA-256 is stored, so
-- a copy of the database signs nobody in.
CREATE TABLE agent_session (
    token_hash   TEXT    PRIMARY KEY,
    agent_id     BIGINT NOT NULL REFERENCES agent (agent_id),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX agent_session_agent ON agent_session (agent_id);
