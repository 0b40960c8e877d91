-- The contact search at 100,000 contacts (issue #20): `LIKE '%…%'` on the names and numbers read every contact
-- (p50 25 ms, p99 95 ms at 100,000). An FTS5 index of their trigrams, kept by triggers, finds those that hold
-- a text of three letters or more (a name nobody has: 0.1 ms); server/src/store/mod.rs asks it only after the
-- first contacts in name order did not hold enough (a text every contact has is found there at once).
CREATE VIRTUAL TABLE contact_trigram USING fts5(
    name_folded,
    phone,
    content = 'contact',
    content_rowid = 'contact_id',
    tokenize = 'trigram'
);
INSERT INTO contact_trigram (contact_trigram) VALUES ('rebuild');

CREATE TRIGGER contact_trigram_insert AFTER INSERT ON contact
BEGIN
    INSERT INTO contact_trigram (rowid, name_folded, phone) VALUES (NEW.contact_id, NEW.name_folded, NEW.phone);
END;
CREATE TRIGGER contact_trigram_delete AFTER DELETE ON contact
BEGIN
    INSERT INTO contact_trigram (contact_trigram, rowid, name_folded, phone)
        VALUES ('delete', OLD.contact_id, OLD.name_folded, OLD.phone);
END;
CREATE TRIGGER contact_trigram_update AFTER UPDATE OF name_folded, phone ON contact
BEGIN
    INSERT INTO contact_trigram (contact_trigram, rowid, name_folded, phone)
        VALUES ('delete', OLD.contact_id, OLD.name_folded, OLD.phone);
    INSERT INTO contact_trigram (rowid, name_folded, phone) VALUES (NEW.contact_id, NEW.name_folded, NEW.phone);
END;
