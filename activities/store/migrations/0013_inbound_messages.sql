-- MedCom messages received (issue 8): one row per envelope id and letter id from a sender, kept with the
-- receipt the service answered, so a duplicate gets the identical receipt and never a second case
-- (MedCom's reliable messaging), a resend (new envelope id, same letter id) finds its case, and a later plan
-- for the same episode of care finds the plan it replaces (activities/medcom/inbound_messages.py).
CREATE TABLE inbound_messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel text NOT NULL CHECK (channel IN ('http', 'vans')),
    message_type text NOT NULL CHECK (char_length(message_type) BETWEEN 1 AND 20),
    sender_ean text NOT NULL CHECK (char_length(sender_ean) BETWEEN 1 AND 100),
    receiver_ean text CHECK (char_length(receiver_ean) <= 100),
    envelope_id text NOT NULL CHECK (char_length(envelope_id) BETWEEN 1 AND 100),
    -- '' when the message was refused before a letter id could be read.
    letter_id text NOT NULL DEFAULT '' CHECK (char_length(letter_id) <= 100),
    -- The SOR id of the sending hospital the message was taken for, and MedCom's episode-of-care id (the
    -- UUID without hyphens, OIOXML's form; the plan keeps both forms).
    sending_hospital_sor_id text,
    episode_of_care_id text CHECK (episode_of_care_id ~ '^[0-9a-f]{32}$'),
    received_at timestamptz NOT NULL DEFAULT now(),
    outcome text NOT NULL CHECK (outcome IN ('accepted', 'refused')),
    case_id text,
    -- The answer: what a duplicate gets again. HTTP status and refusal (code, text) name no personal data.
    http_status integer NOT NULL,
    refuse_code text,
    refuse_text text,
    receipt bytea,
    receipt_kind text CHECK (receipt_kind IN ('positive', 'negative')),
    -- The original message: personal data, sealed with the citizen's key (activities/citizen_cipher.py), so
    -- erasing the citizen's key erases it. NULL for a refused message (no citizen can be named to seal it for).
    raw_message bytea,
    CHECK ((outcome = 'accepted') = (case_id IS NOT NULL)),
    CHECK (raw_message IS NULL OR outcome = 'accepted')
);

CREATE UNIQUE INDEX inbound_messages_key ON inbound_messages (sender_ean, envelope_id, letter_id);
CREATE INDEX inbound_messages_letter_idx ON inbound_messages (sending_hospital_sor_id, letter_id)
    WHERE outcome = 'accepted';
CREATE INDEX inbound_messages_episode_idx ON inbound_messages (sending_hospital_sor_id, episode_of_care_id)
    WHERE outcome = 'accepted' AND episode_of_care_id IS NOT NULL;

-- Received once, never changed (an erasure destroys the citizen's key, not the row).
GRANT SELECT, INSERT ON inbound_messages TO genoptraening_app;
