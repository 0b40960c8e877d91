-- The claim walks the ready jobs in id order and stops at its limit (it sorted every ready job before, on each
-- claim: with 10,000 messages released at once that was most of the time of a send).
CREATE INDEX outbound_job_state_id ON outbound_job (state, outbound_job_id);
