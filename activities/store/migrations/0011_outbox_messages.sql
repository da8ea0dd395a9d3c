-- The outbox becomes the one hand-off of every outbound message (issue 8): MedCom messages over the VANS
-- file drop and letters to the citizen over Digital Post, each queued once under the id its caller chose,
-- then sent, acknowledged or failed by the sender in the worker (activities/outbox.py, workflows/messaging/).
-- Rows from 0003-0007 were plan copies that nothing ever sent and that carry no content: they are kept as
-- they are (kind legacy_plan_copy) and the sender never picks them up.

ALTER TABLE outbox ADD COLUMN channel text NOT NULL DEFAULT 'medcom'
    CHECK (channel IN ('medcom', 'digital_post'));
ALTER TABLE outbox ADD COLUMN kind text NOT NULL DEFAULT 'legacy_plan_copy'
    CHECK (char_length(kind) BETWEEN 1 AND 60);
UPDATE outbox SET channel = 'digital_post' WHERE recipient = 'patient';
ALTER TABLE outbox ALTER COLUMN kind DROP DEFAULT;
ALTER TABLE outbox ALTER COLUMN channel DROP DEFAULT;

-- A receipt for a message that was refused belongs to no case; a decision letter belongs to an application.
ALTER TABLE outbox ALTER COLUMN case_id DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN application_id text;
ALTER TABLE outbox ALTER COLUMN plan_id SET DEFAULT '';

ALTER TABLE outbox DROP CONSTRAINT outbox_recipient_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_recipient_check
    CHECK (recipient IN ('patient', 'gp', 'municipality', 'training_hospital', 'hospital'));

-- The per-plan key of 0007 only for the plan copies it was made for: letters and receipts are keyed by
-- their message id alone (a case owes the citizen several letters).
ALTER TABLE outbox DROP CONSTRAINT outbox_case_recipient_plan_key;
CREATE UNIQUE INDEX outbox_case_recipient_plan_key ON outbox (case_id, recipient, plan_id)
    WHERE kind = 'legacy_plan_copy';

-- The message itself: sealed with the citizen's key (activities/citizen_cipher.py) when it holds personal
-- data, which letters and plans always do. NULL only for the legacy rows.
ALTER TABLE outbox ADD COLUMN content bytea;
ALTER TABLE outbox ADD COLUMN content_type text;
ALTER TABLE outbox ADD COLUMN sealed boolean NOT NULL DEFAULT false;
-- Non-personal facts about the message (a letter's title, its file name): shown in lists without unsealing.
ALTER TABLE outbox ADD COLUMN details jsonb NOT NULL DEFAULT '{}'::jsonb;
-- MedCom: the envelope id the receiver's receipt quotes, and whether a receipt is expected at all (a receipt
-- is never acknowledged: MedCom's reliable messaging rules).
ALTER TABLE outbox ADD COLUMN envelope_id text;
ALTER TABLE outbox ADD COLUMN ack_expected boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX outbox_envelope_idx ON outbox (envelope_id) WHERE envelope_id IS NOT NULL;

-- What the sender did: when a delivery workflow took the message, the transport's reference, the outcome.
-- last_error is the failure's kind only, never a message text (it could quote personal data).
ALTER TABLE outbox ADD COLUMN dispatched_at timestamptz;
ALTER TABLE outbox ADD COLUMN transport_ref text;
ALTER TABLE outbox ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN last_error text;
ALTER TABLE outbox ADD COLUMN acknowledged_at timestamptz;
ALTER TABLE outbox ADD COLUMN failed_at timestamptz;
ALTER TABLE outbox ADD COLUMN resends integer NOT NULL DEFAULT 0;

-- The sweep that starts a delivery for messages queued outside a workflow (receipts from the intake).
CREATE INDEX outbox_undispatched_idx ON outbox (created_at)
    WHERE dispatched_at IS NULL AND content IS NOT NULL;
CREATE INDEX outbox_case_idx ON outbox (case_id, created_at) WHERE case_id IS NOT NULL;
CREATE INDEX outbox_application_idx ON outbox (application_id, created_at) WHERE application_id IS NOT NULL;

-- The case list's "delivery failed" filter (GET /cases?delivery_failed=true).
ALTER TABLE cases ADD COLUMN delivery_failed boolean NOT NULL DEFAULT false;
CREATE INDEX cases_delivery_failed_idx ON cases (received_at DESC, case_id DESC) WHERE delivery_failed;
