-- "Etiquetas" on contacts (issue #19): the same labels as on conversations ("VIP", "Inadimplente"), put on a
-- contact by any agent, from CRM → Contatos or the conversation's header.
CREATE TABLE contact_label (
    contact_id INTEGER NOT NULL REFERENCES contact (contact_id),
    label_id   INTEGER NOT NULL REFERENCES label (label_id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (contact_id, label_id)
);
-- CRM → Contatos filtered by label.
CREATE INDEX contact_label_label ON contact_label (label_id, contact_id);

-- Everyone with one of the contact's conversations in view sees its labels change (see
-- 20261125000012_change_log.sql).
CREATE TRIGGER change_log_contact_label_insert AFTER INSERT ON contact_label
BEGIN
    INSERT INTO change_log (conversation_id)
        SELECT conversation_id FROM conversation WHERE contact_id = NEW.contact_id;
END;
CREATE TRIGGER change_log_contact_label_delete AFTER DELETE ON contact_label
BEGIN
    INSERT INTO change_log (conversation_id)
        SELECT conversation_id FROM conversation WHERE contact_id = OLD.contact_id;
END;
