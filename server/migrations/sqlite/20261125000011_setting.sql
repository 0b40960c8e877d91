-- Settings an admin changes in the console (the rate card behind price estimates, as JSON), shared by every
-- instance. A missing key means: the value the server was started with.
CREATE TABLE setting (
    setting_key TEXT    PRIMARY KEY,
    value       TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);
