-- A receipt the processor cannot apply although the database works (a body the store refuses) is tried a few
-- times, then set aside with its reason in `error`: kept, listed for admins, tried again when one asks, and
-- never holding up the receipts behind it. A database that is down counts no attempt.
ALTER TABLE webhook_receipt ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_receipt ADD COLUMN set_aside_at INTEGER;
