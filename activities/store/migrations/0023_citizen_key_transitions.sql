-- Keys cannot be destroyed by accident (issue 16): the service's role may no longer UPDATE citizen_keys. A live
-- key changes only through the functions below, each of which checks its transition and records it in
-- citizen_key_transitions; a console session or a bug running as genoptraening_app cannot overwrite a wrapped
-- key, nor destroy one unrecorded. The functions are SECURITY DEFINER (they run as the owner), with a fixed
-- search_path and EXECUTE for the application role only.

-- Every rewrap and destruction of a citizen key: when, which key, which KEK before and after, and who. Never
-- the key material, never a CPR. Kept for good: it holds no personal data, and keys are never deleted either.
CREATE TABLE citizen_key_transitions (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at      timestamptz NOT NULL DEFAULT now(),
    key_id           uuid        NOT NULL REFERENCES citizen_keys (key_id),
    transition       text        NOT NULL CHECK (transition IN ('rewrap', 'destroy')),
    old_kek_id       text        NOT NULL,
    new_kek_id       text,
    destroyed_reason text        CHECK (destroyed_reason IN ('retention', 'erasure_request')),
    -- Who: the login role of the session (inside the functions current_user is their owner), and what: the
    -- process's application_name (set by the client, so a label, not a proof).
    session_role     text        NOT NULL DEFAULT session_user,
    application_name text        NOT NULL DEFAULT current_setting('application_name'),
    CONSTRAINT citizen_key_transitions_shape CHECK (
        (transition = 'rewrap' AND new_kek_id IS NOT NULL AND new_kek_id <> old_kek_id AND destroyed_reason IS NULL)
        OR (transition = 'destroy' AND new_kek_id IS NULL AND destroyed_reason IS NOT NULL)
    )
);

CREATE INDEX citizen_key_transitions_key_idx ON citizen_key_transitions (key_id, id);

COMMENT ON TABLE citizen_key_transitions IS
    'Each rewrap and destruction of a citizen key, written only by rewrap_citizen_key() and destroy_citizen_key(). '
    'Append-only: UPDATE, DELETE and TRUNCATE raise, for the owner too.';

CREATE FUNCTION citizen_key_transitions_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'citizen_key_transitions is append-only: % is not allowed', TG_OP USING ERRCODE = 'raise_exception';
END;
$$;

CREATE TRIGGER citizen_key_transitions_no_update_or_delete
    BEFORE UPDATE OR DELETE ON citizen_key_transitions
    FOR EACH ROW EXECUTE FUNCTION citizen_key_transitions_reject_change();

CREATE TRIGGER citizen_key_transitions_no_truncate
    BEFORE TRUNCATE ON citizen_key_transitions
    FOR EACH STATEMENT EXECUTE FUNCTION citizen_key_transitions_reject_change();

-- The citizen's live key, held FOR SHARE until the caller's transaction ends: the retention sweep cannot destroy
-- a key while data is being sealed with it (activities.citizen_keys.key_for). A function because a row lock needs
-- UPDATE privilege, which the application role no longer has.
CREATE FUNCTION hold_citizen_key_for_sealing(p_lookup_hash bytea)
RETURNS TABLE (key_id uuid, key_version integer, kek_id text, wrapped_key bytea)
LANGUAGE sql SECURITY DEFINER AS $$
    SELECT k.key_id, k.key_version, k.kek_id, k.wrapped_key FROM citizen_keys k
    WHERE k.lookup_hash = p_lookup_hash
    FOR SHARE
$$;

-- The key held FOR UPDATE until the caller's transaction ends, while the retention sweep or an erasure decides
-- whether to destroy it (activities.retention.destroy_if_unneeded): true if it is destroyed already, NULL if
-- there is no such key.
CREATE FUNCTION hold_citizen_key_for_destruction(p_key_id uuid) RETURNS boolean
LANGUAGE sql SECURITY DEFINER AS $$
    SELECT k.destroyed_at IS NOT NULL FROM citizen_keys k WHERE k.key_id = p_key_id FOR UPDATE
$$;

-- KEK rotation: the live key moves from p_old_kek_id to another KEK. The database cannot check that the new
-- wrapping holds the same data key; it checks what it can (the key is live, it is still wrapped by the KEK the
-- caller unwrapped it with, the KEK changes) and records the rewrap. False, and nothing changes, when the key
-- was destroyed or rewrapped meanwhile.
CREATE FUNCTION rewrap_citizen_key(p_key_id uuid, p_old_kek_id text, p_new_kek_id text, p_wrapped_key bytea)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    found_kek_id text;
BEGIN
    IF p_old_kek_id IS NULL OR p_new_kek_id IS NULL OR p_wrapped_key IS NULL OR octet_length(p_wrapped_key) = 0 THEN
        RAISE EXCEPTION 'rewrap_citizen_key: the old and new KEK ids and the wrapped key are required'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF p_new_kek_id = p_old_kek_id THEN
        RAISE EXCEPTION 'rewrap_citizen_key: a rewrap moves the key to another KEK' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT k.kek_id INTO found_kek_id FROM citizen_keys k WHERE k.key_id = p_key_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'rewrap_citizen_key: no such citizen key' USING ERRCODE = 'no_data_found';
    END IF;
    IF found_kek_id IS DISTINCT FROM p_old_kek_id THEN  -- destroyed (NULL), or rewrapped meanwhile
        RETURN false;
    END IF;
    UPDATE citizen_keys SET kek_id = p_new_kek_id, wrapped_key = p_wrapped_key WHERE citizen_keys.key_id = p_key_id;
    INSERT INTO citizen_key_transitions (key_id, transition, old_kek_id, new_kek_id)
    VALUES (p_key_id, 'rewrap', p_old_kek_id, p_new_kek_id);
    RETURN true;
END;
$$;

-- Crypto-shredding: the wrapped key, its KEK id and the look-up hash go, for good (citizen_keys_guard refuses
-- any later change). The reason is the retention sweep's or an erasure request's (citizen_keys'
-- destroyed_reason constraint). True if this call destroyed the key, false if it was destroyed already.
CREATE FUNCTION destroy_citizen_key(p_key_id uuid, p_reason text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    found_kek_id text;
BEGIN
    IF p_reason IS NULL OR p_reason NOT IN ('retention', 'erasure_request') THEN
        RAISE EXCEPTION 'destroy_citizen_key: the reason is retention or erasure_request'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT k.kek_id INTO found_kek_id FROM citizen_keys k WHERE k.key_id = p_key_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'destroy_citizen_key: no such citizen key' USING ERRCODE = 'no_data_found';
    END IF;
    IF found_kek_id IS NULL THEN
        RETURN false;
    END IF;
    UPDATE citizen_keys
    SET wrapped_key = NULL, kek_id = NULL, lookup_hash = NULL, destroyed_at = now(), destroyed_reason = p_reason
    WHERE citizen_keys.key_id = p_key_id;
    INSERT INTO citizen_key_transitions (key_id, transition, old_kek_id, destroyed_reason)
    VALUES (p_key_id, 'destroy', found_kek_id, p_reason);
    RETURN true;
END;
$$;

-- A SECURITY DEFINER function must not resolve names through the caller's search_path: a temporary table named
-- citizen_keys (pg_temp comes first unless named) would stand in for the real one. This migration's schema,
-- then pg_temp last.
DO $$
DECLARE
    signature text;
BEGIN
    FOREACH signature IN ARRAY ARRAY[
        'hold_citizen_key_for_sealing(bytea)',
        'hold_citizen_key_for_destruction(uuid)',
        'rewrap_citizen_key(uuid, text, text, bytea)',
        'destroy_citizen_key(uuid, text)'
    ] LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = %I, pg_temp', signature, current_schema());
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', signature);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO genoptraening_app', signature);
    END LOOP;
END;
$$;

-- The application role reads keys and makes new ones (naming only the four columns it chooses: a key cannot be
-- inserted already destroyed, backdated or with another version); every change goes through the functions.
-- No grant on citizen_key_transitions: only the functions write it, and auditors read it as the owner.
REVOKE UPDATE, INSERT ON citizen_keys FROM genoptraening_app;
GRANT INSERT (key_id, lookup_hash, kek_id, wrapped_key) ON citizen_keys TO genoptraening_app;
