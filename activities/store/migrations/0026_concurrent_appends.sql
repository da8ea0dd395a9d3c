-- Appends no longer take LOCK TABLE events IN EXCLUSIVE MODE (issue 18): writers of different streams commit
-- concurrently, so positions may commit out of order, and readers of the global order stay safe instead by
-- reading only what every earlier transaction has finished with (activities/store/eventstore.py).
--
-- Safe on a live database: the new column has no stored default (metadata only, no rewrite; the rows already
-- stored were committed under the table lock and read as NULL = finished), and the lock the ALTER needs is
-- bounded, so a busy table makes this migration fail and be retried rather than queue every append behind it.
SET LOCAL lock_timeout = '10s';

-- The transaction that wrote the row. A reader keeps only rows whose transaction is older than every
-- transaction still running (pg_snapshot_xmin), and appends take their transaction id and their positions in
-- one short critical section (events_allocate_positions), so transaction ids and positions rise together:
-- no transaction still running can hold a position below one a reader has been given.
ALTER TABLE events ADD COLUMN transaction_id xid8;
ALTER TABLE events ALTER COLUMN transaction_id SET DEFAULT pg_current_xact_id();

COMMENT ON COLUMN events.transaction_id IS
    'pg_current_xact_id() of the appending transaction; NULL for rows stored before migration 0026.';

-- The positions of an append of n events, drawn together with the transaction's id. The advisory lock is held
-- for the draw only (a few microseconds), not across the append: it is taken in a subtransaction that the
-- function ends on purpose, which releases the lock and keeps both the sequence values and the top-level
-- transaction id. ROW EXCLUSIVE on events first, so an older writer still taking LOCK TABLE ... EXCLUSIVE
-- (a rolling deploy) and this one never interleave their draws.
CREATE FUNCTION events_allocate_positions(n integer) RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    positions bigint[];
BEGIN
    LOCK TABLE events IN ROW EXCLUSIVE MODE;
    BEGIN
        PERFORM pg_advisory_xact_lock(7204118, 26);
        IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
            RAISE EXCEPTION 'events_allocate_positions must come before the transaction writes anything';
        END IF;
        PERFORM pg_current_xact_id();
        positions := ARRAY(
            SELECT nextval(pg_get_serial_sequence('events', 'global_position')) FROM generate_series(1, n)
        );
        RAISE SQLSTATE 'P0126';
    EXCEPTION
        WHEN SQLSTATE 'P0126' THEN
            NULL;
    END;
    RETURN positions;
END;
$$;

-- The application role draws from the positions' sequence itself now (INSERT ... OVERRIDING SYSTEM VALUE).
DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON SEQUENCE %s TO genoptraening_app', pg_get_serial_sequence('events', 'global_position'));
END;
$$;
GRANT EXECUTE ON FUNCTION events_allocate_positions(integer) TO genoptraening_app;
