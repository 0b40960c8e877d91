-- Whether "Reiniciar" and "Iniciar atendimento" offer a template ("de atendimento"): an admin's choice, kept
-- across syncs with Meta; NULL until they choose (the domain then decides by category).
ALTER TABLE template ADD COLUMN for_service BIGINT;
