-- A caseworker's day (docs/casework.md): the teams and caseworkers of each municipality, who holds each case,
-- and what the inbox views sort and filter by. No citizen's data: staff ids, team ids and dates.

-- A team is an organisation unit of the municipality (the token's org_unit claim, KOMBIT's orgenhed constraint).
CREATE TABLE teams (
    municipality_code text        NOT NULL CHECK (municipality_code ~ '^[0-9]{3}$'),
    team_id           text        NOT NULL CHECK (char_length(team_id) BETWEEN 1 AND 100),
    name              text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    active            boolean     NOT NULL DEFAULT true,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (municipality_code, team_id)
);

-- A caseworker as their token names them (`sub`), in the team of their organisation unit.
CREATE TABLE caseworkers (
    municipality_code text        NOT NULL CHECK (municipality_code ~ '^[0-9]{3}$'),
    subject           text        NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 200),
    name              text        CHECK (char_length(name) BETWEEN 1 AND 200),
    team_id           text,
    active            boolean     NOT NULL DEFAULT true,
    last_seen_at      timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (municipality_code, subject),
    FOREIGN KEY (municipality_code, team_id) REFERENCES teams (municipality_code, team_id)
);

-- The warning lead time of the municipality, in working days (NULL: the rules' default).
ALTER TABLE municipalities ADD COLUMN warning_working_days integer CHECK (warning_working_days BETWEEN 1 AND 20);

-- The cases read model: who holds the case, and what the inbox views (activities/inbox_queries.py) need.
ALTER TABLE cases ADD COLUMN assignee text;
ALTER TABLE cases ADD COLUMN is_open boolean NOT NULL DEFAULT false;
-- The next legal deadline, or the last instant psycopg can read (not 'infinity', which it cannot) when none
-- runs: the views sort by it, and a NOT NULL key keeps the keyset cursor simple.
ALTER TABLE cases ADD COLUMN inbox_due_at timestamptz NOT NULL DEFAULT '9999-12-31 23:59:59.999999+00';
ALTER TABLE cases ADD COLUMN free_choice_open boolean NOT NULL DEFAULT false;
ALTER TABLE cases ADD COLUMN unseen_warnings integer NOT NULL DEFAULT 0;

UPDATE cases SET
    is_open = status NOT IN ('new', 'completed', 'closed'),
    inbox_due_at = coalesce(next_deadline_at, '9999-12-31 23:59:59.999999+00'),
    free_choice_open = coalesce((state ->> 'free_choice_open')::boolean, false);

GRANT SELECT, INSERT, UPDATE ON teams, caseworkers TO genoptraening_app;
