-- "Respostas rápidas" → "Anexo" (issue #19): a file that goes with an answer, kept in the blob store by its
-- SHA-256; its name's extension says its type. All three are NULL for an answer of text alone.
ALTER TABLE quick_answer ADD COLUMN file_sha256 TEXT;
ALTER TABLE quick_answer ADD COLUMN file_name TEXT;
ALTER TABLE quick_answer ADD COLUMN file_size BIGINT;

-- Who uploaded which file for an answer: "Salvar" takes a file only from its own uploader (or the one the answer
-- has already), so nobody attaches a kept file by naming its hash.
CREATE TABLE answer_upload (
    sha256     TEXT    NOT NULL,
    agent_id   BIGINT NOT NULL REFERENCES agent (agent_id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (sha256, agent_id)
);
