-- The files contacts send (and, later, agents): one row per message that carries one. The row is written
-- with its message, "pending"; the media worker downloads the file from the provider (`source`, in the
-- provider's own terms: a Cloud API media id, an attachment URL…), checks it and keeps the bytes in the blob
-- store under their SHA-256, then marks it "ready" — or "failed" with the reason the agent reads.
CREATE TABLE media (
    message_id      INTEGER PRIMARY KEY REFERENCES message (message_id),
    conversation_id INTEGER NOT NULL REFERENCES conversation (conversation_id),
    channel_id      INTEGER NOT NULL REFERENCES channel (channel_id),
    state           TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    mime_type       TEXT,
    file_name       TEXT,
    voice           INTEGER NOT NULL DEFAULT 0,
    declared_sha256 TEXT,
    -- The blob's key once kept (hex SHA-256 of the bytes) and its size.
    sha256          TEXT,
    size_bytes      INTEGER,
    reason          TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    -- When the provider stops keeping the file (a Cloud API media id: 7 days after the webhook).
    expires_at      INTEGER,
    -- A worker holds the download until then (another takes it over after a crash).
    leased_until    INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX media_due ON media (state, next_attempt_at);

CREATE TRIGGER change_log_media_insert AFTER INSERT ON media
BEGIN
    INSERT INTO change_log (conversation_id) VALUES (NEW.conversation_id);
END;

CREATE TRIGGER change_log_media_update AFTER UPDATE OF state ON media
BEGIN
    INSERT INTO change_log (conversation_id) VALUES (NEW.conversation_id);
END;
