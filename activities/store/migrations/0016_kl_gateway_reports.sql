-- KL Gateway Rehab delivery reports (KL's implementation guide 2.2.0): what was sent to KL and when, so the next
-- report holds only what changed, a correction goes out again, and a report can be rebuilt exactly. Citizens
-- are named by a keyed hash of the CPR (the citizen keys' look-up secret); bundles and resources carry the CPR
-- and are kept sealed with the citizen's own key (activities.citizen_cipher), so erasure makes them unreadable.

CREATE TABLE kl_report_runs (
    run_id             text        PRIMARY KEY,
    municipality_code  text        NOT NULL,
    trigger            text        NOT NULL CHECK (trigger IN ('schedule', 'api', 'cli')),
    period_from        timestamptz,
    period_to          timestamptz NOT NULL,
    started_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz,
    status             text        NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    citizens_sent      integer     NOT NULL DEFAULT 0,
    citizens_unchanged integer     NOT NULL DEFAULT 0,
    citizens_refused   integer     NOT NULL DEFAULT 0,  -- a report that broke a rule was not sent
    citizens_erased    integer     NOT NULL DEFAULT 0,  -- the citizen's data was erased: nothing to report
    failure            text        -- the kind of failure (a transport's error class), never personal data
);
CREATE INDEX kl_report_runs_municipality_idx ON kl_report_runs (municipality_code, started_at DESC);

CREATE TABLE kl_reports (
    report_id          uuid        PRIMARY KEY,
    report_seq         bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    run_id             text        NOT NULL REFERENCES kl_report_runs,
    municipality_code  text        NOT NULL,
    citizen_ref        text        NOT NULL,
    bundle_timestamp   timestamptz NOT NULL,
    accepted_at        timestamptz NOT NULL DEFAULT now(),
    bundle_hash        text        NOT NULL,  -- keyed hash of the bundle as sent
    bundle_sealed      bytea       NOT NULL,  -- the bundle as sent, sealed with the citizen's key
    resource_count     integer     NOT NULL,
    receipt            text        -- what the transport answered (a file name, a receipt id)
);
CREATE INDEX kl_reports_citizen_idx ON kl_reports (municipality_code, citizen_ref, report_seq DESC);
CREATE INDEX kl_reports_run_idx ON kl_reports (run_id);

CREATE TABLE kl_reported_resources (
    report_id        uuid    NOT NULL REFERENCES kl_reports,
    resource_id      uuid    NOT NULL,
    resource_type    text    NOT NULL,
    case_id          text,
    content_hash     text    NOT NULL,  -- keyed hash of the resource's canonical JSON
    entered_in_error boolean NOT NULL DEFAULT false,
    changed          boolean NOT NULL,  -- false: sent only because a changed resource references it
    body_sealed      bytea   NOT NULL,
    PRIMARY KEY (report_id, resource_id)
);
CREATE INDEX kl_reported_resources_resource_idx ON kl_reported_resources (resource_id);

CREATE TABLE kl_report_problems (
    run_id        text        NOT NULL REFERENCES kl_report_runs,
    case_id       text,
    rule          text        NOT NULL,
    resource_type text,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
-- A retried batch records the same problem once.
CREATE UNIQUE INDEX kl_report_problems_once_idx
    ON kl_report_problems (run_id, case_id, rule, resource_type) NULLS NOT DISTINCT;

GRANT SELECT, INSERT, UPDATE ON kl_report_runs TO genoptraening_app;
GRANT SELECT, INSERT ON kl_reports, kl_reported_resources, kl_report_problems TO genoptraening_app;
