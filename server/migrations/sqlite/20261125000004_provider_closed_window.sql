-- When the provider said the window was closed (131047 and the like) although our clock thought it open;
-- the window stays closed for sending until the contact writes again.
ALTER TABLE conversation ADD COLUMN provider_closed_at INTEGER;
