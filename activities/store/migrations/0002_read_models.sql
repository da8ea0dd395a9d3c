-- The cases read model: one row per case, written in the append transaction (inline projection),
-- so a query never sees a case behind its own events.

CREATE TABLE cases (
    case_id                text PRIMARY KEY,
    municipality_code      text,
    status                 text        NOT NULL,
    level                  text,
    sub_level              text,
    discharge_date         date,
    next_deadline_at       timestamptz,
    next_deadline_kind     text,
    overdue                boolean     NOT NULL DEFAULT false,
    start_guarantee_due_on date,
    contact_due_on         date,
    received_at            timestamptz,
    updated_at             timestamptz,
    version                integer     NOT NULL,
    last_global_position   bigint      NOT NULL,
    -- The whole folded CaseState: the next append continues the fold from here.
    state                  jsonb       NOT NULL
);

-- The case list is newest first with a keyset cursor on (received_at, case_id); each filter gets an
-- index that already has that order, so a page is an index range scan whatever the filter.
CREATE INDEX cases_received_idx ON cases (received_at DESC, case_id DESC);
CREATE INDEX cases_municipality_idx ON cases (municipality_code, received_at DESC, case_id DESC);
CREATE INDEX cases_status_idx ON cases (status, received_at DESC, case_id DESC);
CREATE INDEX cases_overdue_idx ON cases (received_at DESC, case_id DESC) WHERE overdue;
-- For a sweep of deadlines about to fall due.
CREATE INDEX cases_next_deadline_idx ON cases (next_deadline_at) WHERE next_deadline_at IS NOT NULL;
