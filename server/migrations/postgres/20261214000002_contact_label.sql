-- "Etiquetas" on contacts (issue #19): the same labels as on conversations ("VIP", "Inadimplente"), put on a
-- contact by any agent, from CRM → Contatos or the conversation's header.
CREATE TABLE contact_label (
    contact_id BIGINT NOT NULL REFERENCES contact (contact_id),
    label_id   BIGINT NOT NULL REFERENCES label (label_id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (contact_id, label_id)
);
-- CRM → Contatos filtered by label.
CREATE INDEX contact_label_label ON contact_label (label_id, contact_id);

-- Everyone with one of the contact's conversations in view sees its labels change (see
-- 20261125000012_change_log.sql); a label taken off has only OLD.
CREATE FUNCTION atende_notify_contact_label_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed BIGINT;
BEGIN
    FOR changed IN SELECT conversation_id FROM conversation
        WHERE contact_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.contact_id ELSE NEW.contact_id END
    LOOP
        PERFORM pg_notify('atende_changes', changed::text);
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER change_contact_label AFTER INSERT OR DELETE ON contact_label
    FOR EACH ROW EXECUTE FUNCTION atende_notify_contact_label_change();
