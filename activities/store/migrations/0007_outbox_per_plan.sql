-- One delivery per case, recipient AND plan: a replacing plan (re-admission) is a new document that
-- must reach the patient, the GP and the municipality again. 0003 keyed the outbox by case and
-- recipient only, so a replacing plan got the first plan's message back and nothing was queued.

ALTER TABLE outbox ADD COLUMN plan_id text;

UPDATE outbox o
SET plan_id = e.payload->'plan'->>'plan_id'
FROM events e
WHERE e.case_id = o.case_id AND e.event_type = 'PlanReceived';

UPDATE outbox SET plan_id = '' WHERE plan_id IS NULL;  -- a queued message without a stored plan: keep it
ALTER TABLE outbox ALTER COLUMN plan_id SET NOT NULL;

ALTER TABLE outbox DROP CONSTRAINT outbox_case_recipient_key;
ALTER TABLE outbox ADD CONSTRAINT outbox_case_recipient_plan_key UNIQUE (case_id, recipient, plan_id);
