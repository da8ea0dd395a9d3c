-- Crypto-shredding: one data key per citizen, wrapped by the key-encryption key (activities/citizen_keys.py).
-- A citizen's personal data everywhere in the database is sealed with their key; destroying the key at the end
-- of retention (or on an erasure request) erases all of it at once, in backups too.

CREATE TABLE citizen_keys (
    key_id           uuid        PRIMARY KEY,
    -- HMAC-SHA256 of the CPR number under CITIZEN_LOOKUP_SECRET: finds the key without the CPR in clear.
    -- Set to NULL when the key is destroyed, so nothing here links the destroyed key to the citizen.
    lookup_hash      bytea       UNIQUE CHECK (octet_length(lookup_hash) = 32),
    -- Sealed data names the version it was sealed under (activities/citizen_cipher.py).
    key_version      integer     NOT NULL DEFAULT 1 CHECK (key_version > 0),
    -- Which KEK wrapped the key (rotation rewraps: activities.citizen_keys.rewrap_keys). NULL once destroyed.
    kek_id           text        CHECK (char_length(kek_id) BETWEEN 1 AND 200),
    wrapped_key      bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    destroyed_at     timestamptz,
    destroyed_reason text        CHECK (destroyed_reason IN ('retention', 'erasure_request')),
    CONSTRAINT citizen_keys_live_or_destroyed CHECK (
        (destroyed_at IS NULL AND wrapped_key IS NOT NULL AND kek_id IS NOT NULL AND lookup_hash IS NOT NULL)
        OR (destroyed_at IS NOT NULL AND wrapped_key IS NULL AND kek_id IS NULL AND lookup_hash IS NULL
            AND destroyed_reason IS NOT NULL)
    )
);

COMMENT ON TABLE citizen_keys IS
    'Per-citizen data keys, wrapped by the KEK. A destroyed key never comes back: its personal data stays erased.';

-- A destroyed key cannot be revived (nor its row deleted, which would turn erased data into unknown data), and
-- a live key keeps its id and version: sealed data names them.
CREATE FUNCTION citizen_keys_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'citizen_keys rows are never deleted: destroy the key instead' USING ERRCODE = 'raise_exception';
    END IF;
    IF OLD.destroyed_at IS NOT NULL THEN
        RAISE EXCEPTION 'a destroyed citizen key cannot change' USING ERRCODE = 'raise_exception';
    END IF;
    IF NEW.key_id <> OLD.key_id OR NEW.key_version <> OLD.key_version OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'a citizen key keeps its id, version and creation time' USING ERRCODE = 'raise_exception';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER citizen_keys_guard
    BEFORE UPDATE OR DELETE ON citizen_keys
    FOR EACH ROW EXECUTE FUNCTION citizen_keys_guard();

-- Which streams (cases, applications) hold data sealed with which citizen's key: the retention sweep destroys a
-- key only when none of them still needs it.
CREATE TABLE citizen_streams (
    stream_id   text        NOT NULL,
    stream_type text        NOT NULL CHECK (stream_type IN ('case', 'application')),
    key_id      uuid        NOT NULL REFERENCES citizen_keys (key_id),
    linked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stream_id, key_id)
);

CREATE INDEX citizen_streams_key_idx ON citizen_streams (key_id);

-- Keys are made and destroyed (and rewrapped on KEK rotation) by the application; never deleted.
GRANT SELECT, INSERT, UPDATE ON citizen_keys TO genoptraening_app;
GRANT SELECT, INSERT ON citizen_streams TO genoptraening_app;
