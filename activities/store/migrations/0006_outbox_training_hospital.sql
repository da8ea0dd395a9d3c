-- Specialiseret genoptræning: the hospital the citizen chooses gets the plan too (Recipient.TRAINING_HOSPITAL,
-- medcom.dk "Genoptræningsområdet"). 0003 allowed only the three discharge recipients.

ALTER TABLE outbox DROP CONSTRAINT outbox_recipient_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_recipient_check
    CHECK (recipient IN ('patient', 'gp', 'municipality', 'training_hospital'));
