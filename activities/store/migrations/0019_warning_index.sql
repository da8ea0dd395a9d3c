-- A caseworker's deadline warnings (GET /me/warnings, activities/warning_queries.py): the open cases with an
-- unseen warning that the caseworker holds, or that nobody holds in the caseworker's team. Few cases have one
-- at a time, so each partial index stays small however many cases the table keeps; the predicates are literal
-- in the query, so the planner can match them (a BitmapOr of the two).
CREATE INDEX cases_warnings_held_idx ON cases (responsible_municipality_code, assignee)
    WHERE is_open AND unseen_warnings > 0;
CREATE INDEX cases_warnings_team_idx ON cases (responsible_municipality_code, team)
    WHERE is_open AND unseen_warnings > 0 AND assignee IS NULL;
