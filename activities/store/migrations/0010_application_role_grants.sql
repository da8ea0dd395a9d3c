-- What the application role (genoptraening_app, created in 0009) may do with the tables of 0001-0008: exactly
-- the statements the worker and the API run, nothing more. Later migrations grant on their own tables
-- explicitly (no ALTER DEFAULT PRIVILEGES): a new append-only table must not inherit UPDATE and DELETE by
-- default, and tests/test_access_log_roles.py compares every table's grants with the intended ones.
-- Schema changes, `python -m activities.projection rebuild` and the access log's purge run as the owner.

-- The event store is append-only: read and append. Each append also takes LOCK TABLE events IN EXCLUSIVE
-- MODE (activities/eventstore.py), which PostgreSQL allows only with MAINTAIN (17 and later: maintenance, no
-- data change) or else UPDATE, DELETE or TRUNCATE; before 17 TRUNCATE is granted, and the events_no_truncate
-- trigger refuses the TRUNCATE itself.
GRANT SELECT, INSERT ON events TO genoptraening_app;
DO $$
BEGIN
    IF current_setting('server_version_num')::integer >= 170000 THEN
        EXECUTE 'GRANT MAINTAIN ON events TO genoptraening_app';
    ELSE
        EXECUTE 'GRANT TRUNCATE ON events TO genoptraening_app';
    END IF;
END;
$$;

-- Read models, written by upsert in the append transaction.
GRANT SELECT, INSERT, UPDATE ON cases, applications TO genoptraening_app;
-- Plans are indexed once (INSERT ... ON CONFLICT DO NOTHING) and never changed.
GRANT SELECT, INSERT ON plan_index TO genoptraening_app;
-- The outbox (queued, then marked sent), the municipal registers (upserts, provider activation) and the
-- asynchronous projections' checkpoints. Nothing in the application deletes rows.
GRANT SELECT, INSERT, UPDATE ON outbox, municipalities, providers, projection_checkpoints TO genoptraening_app;
