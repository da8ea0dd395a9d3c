-- The access log: one row for every read, search, create, change, export, decode and erasure of a citizen's
-- data (Datatilsynet, katalog over foranstaltninger, "logning"; the fields of NSP's MinLog2 entry). The
-- service connects as genoptraening_app, which may INSERT and SELECT here and nothing more; the rows outlive
-- the application's mistakes and can only be purged by the owner when their retention ends.

-- Roles belong to the cluster, not the database: several databases (a test run's, a second deployment's)
-- share this one, and their migrations may race to create it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'genoptraening_app') THEN
        CREATE ROLE genoptraening_app NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN
        NULL;  -- created meanwhile by another database's migration
    WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'the migrating role may not create roles: create genoptraening_app first'
            USING HINT = 'CREATE ROLE genoptraening_app NOLOGIN; see deploy/README.md, "Database roles".';
END;
$$;

CREATE TABLE access_log (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The server's clock, never the caller's: the application cannot write this column (grants below).
    occurred_at       timestamptz NOT NULL DEFAULT now(),
    user_id           text        NOT NULL CHECK (char_length(user_id) BETWEEN 1 AND 200),
    user_name         text        CHECK (char_length(user_name) <= 200),
    user_role         text        NOT NULL CHECK (char_length(user_role) BETWEEN 1 AND 50),
    municipality_code text        CHECK (municipality_code ~ '^[0-9]{3}$'),
    sor_id            text        CHECK (char_length(sor_id) <= 50),
    cvr               text        CHECK (cvr ~ '^[0-9]{8}$'),
    org_unit          text        CHECK (char_length(org_unit) <= 200),
    -- Ten digits without the dash, so the citizen's extract finds every row about them.
    citizen_cpr       text        CHECK (citizen_cpr ~ '^[0-9]{10}$'),
    -- A search's other criteria (a search by citizen keeps the CPR in citizen_cpr, never in here).
    search_criterion  jsonb       CHECK (jsonb_typeof(search_criterion) = 'object'),
    case_id           text        CHECK (char_length(case_id) <= 200),
    application_id    text        CHECK (char_length(application_id) <= 200),
    action            text        NOT NULL
        CHECK (action IN ('read', 'search', 'create', 'change', 'export', 'decode', 'erase')),
    purpose           text        NOT NULL CHECK (char_length(purpose) BETWEEN 1 AND 200),
    outcome           text        NOT NULL CHECK (outcome IN ('allowed', 'denied', 'not_found', 'failed')),
    -- Text, not inet: behind proxies and in tests the peer is not always an IP address.
    source_address    text        CHECK (char_length(source_address) <= 100),
    correlation_id    text        CHECK (char_length(correlation_id) <= 200),
    system_name       text        NOT NULL DEFAULT 'genoptraening-cases' CHECK (char_length(system_name) <= 100),
    -- The old sikkerhedsbekendtgørelse §19: a row names the person concerned or the search criterion.
    CONSTRAINT access_log_search_names_criterion
        CHECK (action <> 'search' OR citizen_cpr IS NOT NULL OR search_criterion IS NOT NULL)
);

COMMENT ON TABLE access_log IS
    'Who used which citizen''s data, when, why and with what outcome. Append-only: UPDATE, DELETE and TRUNCATE '
    'raise, except purge_access_log() removing rows past their retention.';

-- Auditors page newest first by (occurred_at, id) within one citizen, user, case or municipality.
CREATE INDEX access_log_occurred_idx ON access_log (occurred_at DESC, id DESC);
CREATE INDEX access_log_citizen_idx ON access_log (citizen_cpr, occurred_at DESC, id DESC)
    WHERE citizen_cpr IS NOT NULL;
CREATE INDEX access_log_user_idx ON access_log (user_id, occurred_at DESC, id DESC);
CREATE INDEX access_log_case_idx ON access_log (case_id, occurred_at DESC, id DESC) WHERE case_id IS NOT NULL;
CREATE INDEX access_log_application_idx ON access_log (application_id, occurred_at DESC, id DESC)
    WHERE application_id IS NOT NULL;
CREATE INDEX access_log_municipality_idx ON access_log (municipality_code, occurred_at DESC, id DESC);

-- Enforced in the database, as for events, so neither a bug nor a console session rewrites the log. The one
-- exception is the retention purge, which names its cutoff for its own transaction: only older rows may go.
CREATE FUNCTION access_log_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.occurred_at < nullif(current_setting('genoptraening.access_log_purge_before', true), '')::timestamptz
        THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'access_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'raise_exception', HINT = 'Rows leave only through purge_access_log() after their retention.';
END;
$$;

CREATE TRIGGER access_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_reject_change();

CREATE TRIGGER access_log_no_truncate
    BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_reject_change();

-- The retention purge. Not SECURITY DEFINER and not executable by PUBLIC: only the owner (who alone may
-- DELETE here) runs it; the cutoff comes from configuration (ACCESS_LOG_RETENTION_DAYS).
CREATE FUNCTION purge_access_log(cutoff timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    removed bigint;
BEGIN
    IF cutoff IS NULL OR cutoff > now() THEN
        RAISE EXCEPTION 'purge_access_log: the cutoff must lie in the past';
    END IF;
    PERFORM set_config('genoptraening.access_log_purge_before', cutoff::text, true);
    DELETE FROM access_log WHERE occurred_at < cutoff;
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM set_config('genoptraening.access_log_purge_before', '', true);
    RETURN removed;
END;
$$;

REVOKE ALL ON FUNCTION purge_access_log(timestamptz) FROM PUBLIC;

-- The application reads the log (auditors' searches) and appends to it, naming every column but the id and
-- the time, which the database sets. No UPDATE, DELETE or TRUNCATE: the log stays whole whatever the
-- service does. (An identity column needs no grant on its sequence.)
GRANT SELECT ON access_log TO genoptraening_app;
GRANT INSERT (
    user_id, user_name, user_role, municipality_code, sor_id, cvr, org_unit, citizen_cpr, search_criterion,
    case_id, application_id, action, purpose, outcome, source_address, correlation_id, system_name
) ON access_log TO genoptraening_app;
