-- Who answers a conversation (NULL: nobody yet; any agent of its team may take it), and the tokens
-- integrations call the public API with. Only a token's SHA-256 is stored; it acts on behalf of the admin
-- who created it. A revoked token stays listed (revoked_at set) so the audit trail can still name it.
ALTER TABLE conversation ADD COLUMN assignee_id BIGINT REFERENCES agent (agent_id);
CREATE INDEX conversation_assignee ON conversation (assignee_id, status);

CREATE TABLE api_token (
    api_token_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   TEXT   NOT NULL UNIQUE,
    name         TEXT   NOT NULL,
    agent_id     BIGINT NOT NULL REFERENCES agent (agent_id),
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
