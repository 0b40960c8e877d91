-- Where a channel's configuration comes from: 'environment' (variables, and the sandbox; read-only in the
-- console) or 'console' (added by an admin; its credentials live in secret_config, never shown back).
ALTER TABLE channel ADD COLUMN configured_in TEXT NOT NULL DEFAULT 'environment';
