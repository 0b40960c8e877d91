-- "Horário de atendimento" (issue #19): each team's opening hours and automatic answer, as the domain's
-- OpeningHours (JSON); team 0 is the shared inbox (the conversations no team has taken, where a new
-- contact's first message lands). A team without a row is always open. A conversation remembers when it last
-- got the automatic answer, so a contact who writes several times in one closed period gets it once.
CREATE TABLE team_hours (
    team_id    INTEGER NOT NULL PRIMARY KEY,
    hours      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
ALTER TABLE conversation ADD COLUMN auto_answered_at INTEGER;
