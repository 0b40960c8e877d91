-- What changed, for the console's live updates: one row per write to a conversation, its messages (new,
-- status, queue), its contact or its audit trail, written by triggers so that no write path can forget it.
-- The server reads the rows after the last it saw and prunes what it has read. (On PostgreSQL the same
-- triggers NOTIFY instead, so every instance hears every change.)
CREATE TABLE change_log (
    change_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL,
    -- When the write moved the conversation to another team: the team it left (0: the shared inbox), so
    -- the agents who may no longer see it hear that it went.
    left_team       INTEGER
);

CREATE TRIGGER change_log_message_insert AFTER INSERT ON message
BEGIN
    INSERT INTO change_log (conversation_id) VALUES (NEW.conversation_id);
END;

CREATE TRIGGER change_log_message_update AFTER UPDATE ON message
BEGIN
    INSERT INTO change_log (conversation_id) VALUES (NEW.conversation_id);
END;

CREATE TRIGGER change_log_conversation_insert AFTER INSERT ON conversation
BEGIN
    INSERT INTO change_log (conversation_id) VALUES (NEW.conversation_id);
END;

CREATE TRIGGER change_log_conversation_update AFTER UPDATE ON conversation
BEGIN
    INSERT INTO change_log (conversation_id, left_team)
        VALUES (NEW.conversation_id,
                CASE WHEN OLD.team_id IS NOT NEW.team_id THEN COALESCE(OLD.team_id, 0) END);
END;

CREATE TRIGGER change_log_audit_insert AFTER INSERT ON audit_event
BEGIN
    INSERT INTO change_log (conversation_id) VALUES (NEW.conversation_id);
END;

CREATE TRIGGER change_log_contact_update AFTER UPDATE ON contact
BEGIN
    INSERT INTO change_log (conversation_id)
        SELECT conversation_id FROM conversation WHERE contact_id = NEW.contact_id;
END;
