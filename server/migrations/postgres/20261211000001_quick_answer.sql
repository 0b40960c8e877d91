-- "Respostas rápidas" (issue #19): saved answers an agent inserts by typing '/' in the message box.
CREATE TABLE quick_answer (
    quick_answer_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The team it is for; NULL: every team's (kept by admins).
    team_id         BIGINT REFERENCES team (team_id),
    -- team_id, or 0 for a global one: a title is unique per scope, and NULLs never collide in a UNIQUE.
    scope_key       BIGINT  NOT NULL,
    title           TEXT    NOT NULL,
    -- The title folded by the domain (case, accents, spaces aside).
    title_key       TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    updated_by      BIGINT  REFERENCES agent (agent_id),
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    UNIQUE (scope_key, title_key)
);
