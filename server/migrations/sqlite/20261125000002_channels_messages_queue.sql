-- Teams, channels, templates, messages with their status history, the outbound queue, webhook receipts and
-- the billing ledger. Instants are milliseconds since the Unix epoch (UTC).
CREATE TABLE team (
    team_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE channel (
    channel_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL,
    name            TEXT    NOT NULL UNIQUE,
    -- The provider's address of our number/page (Cloud API phone_number_id, page id, gateway instance).
    provider_id     TEXT    NOT NULL,
    -- Cloud API business account, for template sync.
    account_id      TEXT,
    display_phone   TEXT,
    -- JSON with credentials; never sent to a browser.
    secret_config   TEXT    NOT NULL DEFAULT '{}',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (kind, provider_id)
);

CREATE TABLE template (
    template_id          INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id           INTEGER NOT NULL REFERENCES channel (channel_id),
    provider_template_id TEXT,
    name                 TEXT    NOT NULL,
    language             TEXT    NOT NULL,
    category             TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    -- The template's components as the provider describes them (JSON).
    components           TEXT    NOT NULL,
    updated_at           INTEGER NOT NULL,
    UNIQUE (channel_id, name, language)
);

ALTER TABLE conversation ADD COLUMN channel_id INTEGER REFERENCES channel (channel_id);
ALTER TABLE conversation ADD COLUMN team_id INTEGER REFERENCES team (team_id);
-- The category of the template that started the current attempt to reach the contact (re-engagement rule).
ALTER TABLE conversation ADD COLUMN attempt_category TEXT;
CREATE INDEX conversation_contact ON conversation (contact_id, channel_id);

-- Provider identities of a contact (wa_id, BSUID, Instagram/Messenger ids), per channel kind.
CREATE TABLE contact_identity (
    contact_identity_id INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id          INTEGER NOT NULL REFERENCES contact (contact_id),
    kind                TEXT    NOT NULL,
    external_id         TEXT    NOT NULL,
    UNIQUE (kind, external_id)
);

CREATE TABLE message (
    message_id          INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id     INTEGER NOT NULL REFERENCES conversation (conversation_id),
    direction           TEXT    NOT NULL,           -- 'in' | 'out'
    kind                TEXT    NOT NULL,           -- text, template, image, document, reaction, …
    body                TEXT,
    -- JSON: template name, language, category and filled parameters; media ids; the raw inbound payload.
    detail              TEXT    NOT NULL DEFAULT '{}',
    -- Provider message id (wamid / mid). Unique, so a webhook delivered twice is stored once.
    provider_message_id TEXT    UNIQUE,
    status              TEXT    NOT NULL,           -- received | queued | held | sent | delivered | read | failed
    status_rank         INTEGER NOT NULL,
    error_code          INTEGER,
    error_text          TEXT,
    created_at          INTEGER NOT NULL,
    -- When the provider says the contact sent it (inbound) or it was accepted (outbound).
    provider_at         INTEGER
);
CREATE INDEX message_conversation ON message (conversation_id, message_id);

CREATE TABLE message_status_event (
    message_status_event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id              INTEGER NOT NULL REFERENCES message (message_id),
    status                  TEXT    NOT NULL,
    provider_at             INTEGER,
    error_code              INTEGER,
    recorded_at             INTEGER NOT NULL,
    UNIQUE (message_id, status)
);

-- The outbound queue: one job per outbound message, dispatched in job order within a conversation.
CREATE TABLE outbound_job (
    outbound_job_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id       INTEGER NOT NULL UNIQUE REFERENCES message (message_id),
    conversation_id  INTEGER NOT NULL REFERENCES conversation (conversation_id),
    channel_id       INTEGER NOT NULL REFERENCES channel (channel_id),
    state            TEXT    NOT NULL,              -- held | ready | in_flight | done | failed
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_until      INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL
);
CREATE INDEX outbound_job_ready ON outbound_job (state, next_attempt_at);
CREATE INDEX outbound_job_conversation ON outbound_job (conversation_id, outbound_job_id);

-- Every webhook body as received, stored before it is processed (acknowledge fast, process after).
CREATE TABLE webhook_receipt (
    webhook_receipt_id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider           TEXT    NOT NULL,
    body               TEXT    NOT NULL,
    received_at        INTEGER NOT NULL,
    processed_at       INTEGER,
    error              TEXT
);
CREATE INDEX webhook_receipt_pending ON webhook_receipt (processed_at, webhook_receipt_id);

CREATE TABLE billing_entry (
    billing_entry_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_message_id TEXT    NOT NULL,
    message_id          INTEGER REFERENCES message (message_id),
    category            TEXT    NOT NULL,
    pricing_model       TEXT,
    billable            INTEGER NOT NULL,
    recorded_at         INTEGER NOT NULL,
    UNIQUE (provider_message_id, category)
);
