-- The team of the municipality's register that receives its new cases (docs/casework.md, "The intake team"):
-- a plan or a transfer reaching the municipality starts in that team's unassigned cases, and its deadline
-- warnings go to that team until someone takes the case. NULL: new cases start in no team.
ALTER TABLE municipalities ADD COLUMN intake_team text;
ALTER TABLE municipalities ADD CONSTRAINT municipalities_intake_team_fkey
    FOREIGN KEY (code, intake_team) REFERENCES teams (municipality_code, team_id);
