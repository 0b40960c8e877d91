-- The conversation list reads a page at a time, in its order (issue #20): the most recently updated first,
-- the newer conversation first on a tie. "Meus" reads one agent's own.
CREATE INDEX conversation_recent ON conversation (updated_at DESC, conversation_id DESC);
CREATE INDEX conversation_assignee_recent ON conversation (assignee_id, updated_at DESC, conversation_id DESC);
