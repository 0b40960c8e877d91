-- The contact's latest message Atende told the provider was read (when an agent opened the conversation),
-- so that opening it again does not tell it twice.
ALTER TABLE conversation ADD COLUMN read_receipt_message_id TEXT;
