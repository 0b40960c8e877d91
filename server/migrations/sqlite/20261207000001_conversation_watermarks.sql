-- Messenger reports deliveries and reads by watermark ("everything sent before this instant"). A watermark can
-- be applied before Atende has recorded the answer to a send it covers (the receipt outran the answer, or the
-- answer waited for the database): the latest of each is kept on the conversation, so recording the answer
-- afterwards still reaches "delivered" or "read".
ALTER TABLE conversation ADD COLUMN delivered_watermark INTEGER;
ALTER TABLE conversation ADD COLUMN read_watermark INTEGER;
