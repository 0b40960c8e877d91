-- Contacts and conversations. Instants are milliseconds since the Unix epoch (UTC).
CREATE TABLE contact (
    contact_id  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT   NOT NULL,
    -- The name folded for search (lower case, no accents), computed by the domain.
    name_folded TEXT   NOT NULL,
    -- Canonical E.164 digits (a Brazilian mobile always with its ninth digit), so twins collide here.
    phone       TEXT   UNIQUE,
    created_at  BIGINT NOT NULL
);
CREATE INDEX contact_name_folded ON contact (name_folded);

CREATE TABLE conversation (
    conversation_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id      BIGINT NOT NULL REFERENCES contact (contact_id),
    channel         TEXT   NOT NULL,
    status          TEXT   NOT NULL,
    last_message    TEXT,
    last_inbound_at BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX conversation_status_updated ON conversation (status, updated_at DESC);
