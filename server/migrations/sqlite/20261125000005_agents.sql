-- Agents (people who sign in) and their teams. Instants are milliseconds since the Unix
-- epoch (UTC).
CREATE TABLE agent (
    agent_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Lower case, trimmed (the domain's Email).
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    -- Argon2id in PHC string format: algorithm, parameters, salt and hash together.
    password_hash TEXT    NOT NULL,
    -- 'admin' or 'agent'.
    role          TEXT    NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL
);

CREATE TABLE team_member (
    team_id  INTEGER NOT NULL REFERENCES team (team_id),
    agent_id INTEGER NOT NULL REFERENCES agent (agent_id),
    PRIMARY KEY (team_id, agent_id)
);
