-- "Respostas rápidas" → "Anexo" (issue #19): a file that goes with an answer, kept in the blob store by its
-- SHA-256; its name's extension says its type. All three are NULL for an answer of text alone.
ALTER TABLE quick_answer ADD COLUMN file_sha256 TEXT;
ALTER TABLE quick_answer ADD COLUMN file_name TEXT;
ALTER TABLE quick_answer ADD COLUMN file_size BIGINT;
