-- Whose data a row is about, by municipality: the municipality responsible for the case or application whose
-- data was used. `municipality_code` stays the user's own organisation (MinLog2's OrganisationId), which a
-- hospital, an operator decoding Temporal payloads or a national role does not have: without this column their
-- rows reached only a national auditor, and a municipality's answer to a citizen's art. 15 request missed them.
-- A municipal auditor now reads the rows of its users and the rows about its cases (activities/access_log.py).
ALTER TABLE access_log ADD COLUMN responsible_municipality_code text
    CHECK (responsible_municipality_code ~ '^[0-9]{3}$');

CREATE INDEX access_log_responsible_municipality_idx
    ON access_log (responsible_municipality_code, occurred_at DESC, id DESC)
    WHERE responsible_municipality_code IS NOT NULL;

GRANT INSERT (responsible_municipality_code) ON access_log TO genoptraening_app;
