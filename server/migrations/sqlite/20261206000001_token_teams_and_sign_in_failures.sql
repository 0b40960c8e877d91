-- An API token reaches every team (all_teams = 1: what tokens made before this did, so none loses access) or
-- only the teams listed for it in api_token_team: it then acts as an agent of exactly those teams.
ALTER TABLE api_token ADD COLUMN all_teams INTEGER NOT NULL DEFAULT 1;

CREATE TABLE api_token_team (
    api_token_id INTEGER NOT NULL REFERENCES api_token (api_token_id),
    team_id      INTEGER NOT NULL REFERENCES team (team_id),
    PRIMARY KEY (api_token_id, team_id)
);

-- Failed sign-ins by e-mail (known or not), to refuse a guesser after too many within a few minutes. Rows
-- older than the window are deleted as new ones come; a successful sign-in deletes its e-mail's rows.
CREATE TABLE sign_in_failure (
    email     TEXT    NOT NULL,
    failed_at INTEGER NOT NULL
);
CREATE INDEX sign_in_failure_email ON sign_in_failure (email, failed_at);
CREATE INDEX sign_in_failure_at ON sign_in_failure (failed_at);
