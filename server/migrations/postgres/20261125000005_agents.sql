-- Agents (people who sign in) and their teams. Instants are milliseconds since the Unix
-- epoch (UTC).
CREATE TABLE agent (
    agent_id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Lower case, trimmed (the domain's Email).
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    -- Argon2id in PHC string format: algorithm, parameters, salt and hash together.
    password_hash TEXT    NOT NULL,
    -- 'admin' or 'agent'.
    role          TEXT    NOT NULL,
    active        BIGINT  NOT NULL DEFAULT 1,
    created_at    BIGINT  NOT NULL
);

CREATE TABLE team_member (
    team_id  BIGINT NOT NULL REFERENCES team (team_id),
    agent_id BIGINT NOT NULL REFERENCES agent (agent_id),
    PRIMARY KEY (team_id, agent_id)
);
