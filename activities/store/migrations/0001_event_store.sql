-- The event store: every fact of every case, in one global order, never changed.

CREATE TABLE events (
    -- Readers page by this position; appends take an EXCLUSIVE lock so positions commit in order
    -- (see activities/eventstore.py). Rolled-back appends leave holes that readers simply skip.
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Chosen by the workflow, so a retried append activity is recognised and writes nothing twice.
    event_id        uuid        NOT NULL UNIQUE,
    case_id         text        NOT NULL,
    case_version    integer     NOT NULL CHECK (case_version > 0),
    event_type      text        NOT NULL,
    -- Lets a reader upcast old bodies once an event's shape has to change incompatibly.
    schema_version  integer     NOT NULL DEFAULT 1 CHECK (schema_version > 0),
    payload         jsonb       NOT NULL,
    metadata        jsonb       NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    -- The optimistic concurrency check: two writers cannot both produce version n of a case.
    CONSTRAINT events_case_version_key UNIQUE (case_id, case_version),
    CONSTRAINT events_type_matches_payload CHECK (payload ->> 'type' = event_type)
);

COMMENT ON TABLE events IS 'Append-only domain events of genoptræning cases; UPDATE, DELETE and TRUNCATE raise.';

-- Enforced here and not only in code, so no script, console session or future bug can rewrite history.
CREATE FUNCTION events_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'raise_exception', HINT = 'Correct a case by appending a new event.';
END;
$$;

CREATE TRIGGER events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_reject_change();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_reject_change();

-- One row per asynchronous projection; moved forward in the same transaction as the projection's rows.
CREATE TABLE projection_checkpoints (
    name       text        PRIMARY KEY,
    position   bigint      NOT NULL DEFAULT 0 CHECK (position >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);
