-- "Etiquetas" (issue #19): colour labels admins keep, put on conversations by anyone who may see them.
CREATE TABLE label (
    label_id   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT   NOT NULL,
    -- The name folded by the domain (case, accents, spaces aside): two labels never share it.
    name_key   TEXT   NOT NULL UNIQUE,
    -- The domain's colour code ("azul").
    color      TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE conversation_label (
    conversation_id BIGINT NOT NULL REFERENCES conversation (conversation_id),
    label_id        BIGINT NOT NULL REFERENCES label (label_id),
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, label_id)
);
-- The list's filter by label.
CREATE INDEX conversation_label_label ON conversation_label (label_id, conversation_id);

-- Everyone with the conversation in view sees its labels change (see 20261125000012_change_log.sql); a
-- label taken off has only OLD.
CREATE FUNCTION atende_notify_label_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('atende_changes', OLD.conversation_id::text);
    ELSE
        PERFORM pg_notify('atende_changes', NEW.conversation_id::text);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER change_label AFTER INSERT OR DELETE ON conversation_label
    FOR EACH ROW EXECUTE FUNCTION atende_notify_label_change();
