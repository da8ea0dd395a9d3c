-- The start-guarantee report's read model (activities/guarantee_facts_store.py): one row per version of a plan's
-- fact (workflows/domain/guarantee_facts.py), written in the append transaction and rebuilt from the events by
-- `python -m activities.projection rebuild`. A version is current from `recorded_at` (the recorded_at of the
-- events that made it) until `superseded_at`, so the report can be drawn as the facts stood at any time.
-- No personal data: ids, municipality, level, dates and the KL status reason.

CREATE TABLE start_guarantee_facts (
    fact_id           text PRIMARY KEY,  -- case_id/plan_id/case_version of the event that made the version
    case_id           text        NOT NULL,
    plan_id           text        NOT NULL,
    case_version      integer     NOT NULL,
    municipality_code text        NOT NULL,
    level             text        NOT NULL,
    counts_from       date        NOT NULL,
    due_on            date        NOT NULL,
    first_offer_on    date,
    ended_on          date,
    plan_end          text,
    kl_reason         text,
    recorded_at       timestamptz NOT NULL,
    superseded_at     timestamptz
);

-- A report reads one municipality's (or every) plan by the day its clock counts from.
CREATE INDEX start_guarantee_facts_period_idx ON start_guarantee_facts (municipality_code, counts_from);
CREATE INDEX start_guarantee_facts_counts_from_idx ON start_guarantee_facts (counts_from);
-- The append finds a case's current versions to supersede.
CREATE INDEX start_guarantee_facts_current_idx ON start_guarantee_facts (case_id) WHERE superseded_at IS NULL;

-- Versions are inserted and superseded (an UPDATE of superseded_at), never deleted by the application.
GRANT SELECT, INSERT, UPDATE ON start_guarantee_facts TO genoptraening_app;
