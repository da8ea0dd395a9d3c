-- Retention and erasure (journalføringsbekendtgørelsen §15; GDPR art. 17): holds and erasures are events of a
-- retention stream beside each case or application, folded into retention_status; the access log names a
-- citizen by a keyed hash and keeps the CPR number sealed with the citizen's key, so it stays searchable for
-- art. 15 extracts but holds no CPR number in clear once the key is destroyed.

ALTER TABLE events DROP CONSTRAINT events_stream_type_check;
ALTER TABLE events ADD CONSTRAINT events_stream_type_check
    CHECK (stream_type IN ('case', 'application', 'retention'));

COMMENT ON COLUMN events.stream_type IS
    'case: a hospital plan''s case (read model cases); application: an application without a hospital stay '
    '(read model applications); retention: holds and erasure of a case or application, stream id '
    'retention:<case|application>:<id> (read model retention_status). case_id is the stream id of each.';

CREATE TABLE retention_status (
    subject_id           text        PRIMARY KEY,
    subject_type         text        NOT NULL CHECK (subject_type IN ('case', 'application')),
    -- The active holds (complaint, supervision, compensation, archive): any one stops the retention clock.
    holds                text[]      NOT NULL DEFAULT '{}'
        CHECK (holds <@ ARRAY['complaint', 'supervision', 'compensation', 'archive']::text[]),
    erased_at            timestamptz,
    erased_basis         text        CHECK (erased_basis IN ('retention', 'erasure_request')),
    version              integer     NOT NULL CHECK (version > 0),
    last_global_position bigint      NOT NULL
);

-- The sweep skips held and erased subjects.
CREATE INDEX retention_status_held_idx ON retention_status (subject_id) WHERE cardinality(holds) > 0;

-- The sweep walks ended cases and applications oldest first.
CREATE INDEX cases_ended_idx ON cases (updated_at, case_id) WHERE status IN ('completed', 'closed');
CREATE INDEX applications_ended_idx ON applications (updated_at, application_id) WHERE status = 'closed';

GRANT SELECT, INSERT, UPDATE ON retention_status TO genoptraening_app;

-- The access log: new rows name the citizen by HMAC-SHA256 of the CPR number (CITIZEN_LOOKUP_SECRET), which is
-- what an auditor's search by citizen compares, and keep the CPR number itself sealed with the citizen's key
-- (shown in search results while the key lives). Rows written before this migration keep citizen_cpr in clear
-- until the access log's own retention purges them (the table is append-only, even for its owner's migrations).
ALTER TABLE access_log ADD COLUMN citizen_hash bytea CHECK (octet_length(citizen_hash) = 32);
ALTER TABLE access_log ADD COLUMN citizen_sealed bytea CHECK (octet_length(citizen_sealed) <= 200);
CREATE INDEX access_log_citizen_hash_idx ON access_log (citizen_hash, occurred_at DESC, id DESC)
    WHERE citizen_hash IS NOT NULL;
ALTER TABLE access_log DROP CONSTRAINT access_log_search_names_criterion;
ALTER TABLE access_log ADD CONSTRAINT access_log_search_names_criterion
    CHECK (action <> 'search' OR citizen_cpr IS NOT NULL OR citizen_hash IS NOT NULL OR search_criterion IS NOT NULL);
GRANT INSERT (citizen_hash, citizen_sealed) ON access_log TO genoptraening_app;
