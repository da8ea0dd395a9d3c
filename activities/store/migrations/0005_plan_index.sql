-- Two additions to the case read models (both written in the append transaction, activities/read_model.py).
--
-- 1. plan_index: which case each plan belongs to. A plan starts its own case (PlanReceived), or, after a
--    re-admission, replaces the plan of an existing case (PlanReplaced, KL Gateway Rehab IG `replaces`).
--    POST /plans looks a plan up here first, so a resent replacing plan finds the case it went to instead
--    of starting a new one, and a replacing plan finds the case of the plan it replaces.
-- 2. Columns of the case list for reminders and escalation: the team, the reminder and overdue flags, KL's
--    reason for no start within the guarantee, and the municipality now responsible (after a transfer the
--    case list filters by it).

CREATE TABLE plan_index (
    sending_hospital_sor_id text        NOT NULL,
    plan_id                 text        NOT NULL,
    case_id                 text        NOT NULL,
    -- The plan's content as received: the same plan id with other content is a conflict.
    plan_fingerprint        text        NOT NULL,
    indexed_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sending_hospital_sor_id, plan_id)
);

-- Every plan already stored.
INSERT INTO plan_index (sending_hospital_sor_id, plan_id, case_id, plan_fingerprint)
SELECT payload -> 'plan' ->> 'sending_hospital_sor_id', payload -> 'plan' ->> 'plan_id', case_id,
       payload ->> 'plan_fingerprint'
FROM events
WHERE event_type IN ('PlanReceived', 'PlanReplaced')
ORDER BY global_position
ON CONFLICT DO NOTHING;

ALTER TABLE cases
    ADD COLUMN responsible_municipality_code text,
    ADD COLUMN team                          text,
    ADD COLUMN contact_reminder_sent         boolean NOT NULL DEFAULT false,
    ADD COLUMN contact_overdue               boolean NOT NULL DEFAULT false,
    ADD COLUMN guarantee_status_reason       text;

-- Rows written before these columns existed: from the stored state, the home municipality otherwise.
UPDATE cases SET
    responsible_municipality_code = coalesce(state ->> 'responsible_municipality_code', municipality_code),
    team = state ->> 'team',
    contact_reminder_sent = coalesce((state ->> 'contact_reminder_sent')::boolean, false),
    contact_overdue = coalesce((state ->> 'contact_overdue')::boolean, false),
    guarantee_status_reason = state ->> 'guarantee_status_reason';

-- The list's municipality filter now means the responsible municipality; same shape as the other filters.
CREATE INDEX cases_responsible_municipality_idx ON cases (responsible_municipality_code, received_at DESC, case_id DESC);
DROP INDEX cases_municipality_idx;
