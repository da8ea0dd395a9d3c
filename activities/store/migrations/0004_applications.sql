-- Applications without a hospital stay (Serviceloven §86 / Ældreloven) share the event store with the
-- hospital cases. Each stream says which kind it is, so the inline projection and the rebuilds fold it
-- into the right read model.

-- A constant default adds the column without rewriting rows (no UPDATE, so the append-only trigger is
-- not involved): every stream stored so far is a case.
ALTER TABLE events
    ADD COLUMN stream_type text NOT NULL DEFAULT 'case'
    CONSTRAINT events_stream_type_check CHECK (stream_type IN ('case', 'application'));

COMMENT ON COLUMN events.stream_type IS
    'case: a hospital plan''s case (read model cases); application: an application without a hospital stay '
    '(read model applications). case_id is the stream id of either.';

-- The applications read model: one row per application, written in the append transaction.
CREATE TABLE applications (
    application_id       text PRIMARY KEY,
    municipality_code    text,
    status               text        NOT NULL,
    legal_basis          text,
    -- sel86_stk1, sel86_stk2 or aeldreloven: the legal reference chosen by the application date.
    care_level           text,
    application_date     date,
    decision_outcome     text,
    granted_from         date,
    granted_to           date,
    next_deadline_at     timestamptz,
    next_deadline_kind   text,
    overdue              boolean     NOT NULL DEFAULT false,
    received_at          timestamptz,
    updated_at           timestamptz,
    version              integer     NOT NULL,
    last_global_position bigint      NOT NULL,
    -- The whole folded ApplicationState: the next append continues the fold from here.
    state                jsonb       NOT NULL
);

-- Newest first with a keyset cursor on (received_at, application_id), as for cases.
CREATE INDEX applications_received_idx ON applications (received_at DESC, application_id DESC);
CREATE INDEX applications_municipality_idx ON applications (municipality_code, received_at DESC, application_id DESC);
CREATE INDEX applications_status_idx ON applications (status, received_at DESC, application_id DESC);
CREATE INDEX applications_next_deadline_idx ON applications (next_deadline_at) WHERE next_deadline_at IS NOT NULL;
