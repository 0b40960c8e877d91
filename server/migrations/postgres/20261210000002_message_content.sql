-- What a contact's message holds besides its text and file (a place, contact cards, a reaction, the button
-- tapped, the message it answers), in Atende's terms whatever the provider: JSON of `domain::content::Extras`.
ALTER TABLE message ADD COLUMN content TEXT;
