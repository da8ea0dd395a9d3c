-- The region a municipality lies in, so a citizen choosing a hospital for specialiseret genoptræning
-- chooses among the hospitals of their region (sundhed.dk). Optional: unknown means any region.
-- Region names as workflows/domain/rules.py spells them; an old name (hovedstaden, sjaelland) is read as
-- its successor under the rules in force.
ALTER TABLE municipalities ADD COLUMN region text CHECK (region ~ '^[a-z]{3,40}$');
