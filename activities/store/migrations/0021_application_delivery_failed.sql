-- The application list's "delivery failed" filter (GET /applications?delivery_failed=true), as the cases have
-- (migration 0011): a letter of the application could not be delivered and a caseworker must resend it.
-- A constant default adds the column without rewriting the table.
ALTER TABLE applications ADD COLUMN delivery_failed boolean NOT NULL DEFAULT false;

-- Applications stored before this column: the folded state keeps each message's delivery status
-- (workflows/messaging/state.py MessageDelivery.status, not personal data, so stored in clear); a message
-- still `failed` (no resend since) marks the application, as ApplicationState.delivery_failed does.
UPDATE applications
SET delivery_failed = true
WHERE jsonb_typeof(state -> 'messages') = 'object'
  AND EXISTS (SELECT 1 FROM jsonb_each(state -> 'messages') AS m(message_id, delivery)
              WHERE m.delivery ->> 'status' = 'failed');

-- Few applications have a failed letter at a time, so the partial index stays small; it has the list's keyset
-- order (activities/keyset_pages.py newest_first_page; migration 0004), and the filter's predicate is literal
-- in the query (activities/application_queries.py), so the planner can match it.
CREATE INDEX applications_delivery_failed_idx ON applications (received_at DESC, application_id DESC)
    WHERE delivery_failed;
