-- When the processor first looked at a receipt it could not apply yet (a status for a message Atende does not
-- know yet, kept pending for a while). Before a send is tried again, or a lost worker's lease is taken back,
-- every receipt received until then must have been looked at: a provider's report that the send did happen
-- may be among them. One kept waiting for its message must not hold that up.
ALTER TABLE webhook_receipt ADD COLUMN seen_at INTEGER;
