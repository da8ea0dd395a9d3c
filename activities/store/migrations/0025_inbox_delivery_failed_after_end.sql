-- A letter or copy that failed after its case ended is still owed and can be resent (the ended case's workflow
-- waits for the resend), so the inbox's "delivery_failed" view holds the municipality's cases with a failed
-- message whether open or ended (activities/inbox_queries.py). Its partial index follows the new predicate; the
-- name stays, so plans and docs that name it still do.
DROP INDEX IF EXISTS cases_inbox_delivery_failed_idx;
CREATE INDEX cases_inbox_delivery_failed_idx ON cases (responsible_municipality_code, inbox_due_at, case_id)
    WHERE delivery_failed;
