-- Instagram and Messenger channels whose page passed Meta's review for the HUMAN_AGENT tag: agents may answer
-- for 7 days after the contact's last message instead of 24 hours.
ALTER TABLE channel ADD COLUMN human_agent_tag BIGINT NOT NULL DEFAULT 0;
