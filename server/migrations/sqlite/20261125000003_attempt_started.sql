-- When the current attempt to reach the contact (a template sent outside the window) started.
ALTER TABLE conversation ADD COLUMN attempt_started_at INTEGER;
-- POSITIONAL ({{1}}) or NAMED ({{nome}}); NULL means positional, as in Meta's API.
ALTER TABLE template ADD COLUMN parameter_format TEXT;
