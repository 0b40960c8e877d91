-- The names an admin gave a template's parameters ("Nome do cliente") and what fills each by default, as
-- JSON; NULL until named. Atende's own, kept across syncs with Meta.
ALTER TABLE template ADD COLUMN parameter_labels TEXT;
