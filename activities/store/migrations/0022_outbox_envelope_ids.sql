-- MedCom's reliable messaging: a message that gets no receipt is resent after a while (30 minutes, at most
-- twice), each time with a new envelope id. The first envelope id stays in envelope_id; the resends' ids are
-- kept here, so a receipt quoting any of them finds its message (activities/outbox.py, message_for_envelope).
ALTER TABLE outbox ADD COLUMN envelope_ids text[] NOT NULL DEFAULT '{}';
CREATE INDEX outbox_envelope_ids_idx ON outbox USING gin (envelope_ids);
