-- What changed, for the console's live updates: every write to a conversation, its messages (new, status,
-- queue), its contact or its audit trail NOTIFYs `atende_changes` with the conversation's id (and, when the
-- write moved it to another team, `:` and the team it left, 0 for the shared inbox), from triggers so that no
-- write path can forget it. A notification is delivered when its transaction commits, to every
-- instance listening, in commit order; repeats within one transaction are sent once. (SQLite, which serves one
-- process, keeps a change_log table instead.)
CREATE FUNCTION atende_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('atende_changes', NEW.conversation_id::text);
    RETURN NULL;
END
$$;

CREATE FUNCTION atende_notify_conversation_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.team_id IS DISTINCT FROM NEW.team_id THEN
        PERFORM pg_notify('atende_changes', NEW.conversation_id::text || ':' || COALESCE(OLD.team_id, 0)::text);
    ELSE
        PERFORM pg_notify('atende_changes', NEW.conversation_id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION atende_notify_contact_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed BIGINT;
BEGIN
    FOR changed IN SELECT conversation_id FROM conversation WHERE contact_id = NEW.contact_id LOOP
        PERFORM pg_notify('atende_changes', changed::text);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER change_message AFTER INSERT OR UPDATE ON message
    FOR EACH ROW EXECUTE FUNCTION atende_notify_change();
CREATE TRIGGER change_conversation AFTER INSERT OR UPDATE ON conversation
    FOR EACH ROW EXECUTE FUNCTION atende_notify_conversation_change();
CREATE TRIGGER change_audit AFTER INSERT ON audit_event
    FOR EACH ROW EXECUTE FUNCTION atende_notify_change();
CREATE TRIGGER change_contact AFTER UPDATE ON contact
    FOR EACH ROW EXECUTE FUNCTION atende_notify_contact_change();
