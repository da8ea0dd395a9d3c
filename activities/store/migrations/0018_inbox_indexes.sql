-- The caseworker's inbox views (activities/inbox_queries.py): each view of one municipality's open cases is a
-- range scan of its own partial index in (inbox_due_at, case_id) order, the views' keyset. A page and a count
-- read the view's own rows only, however many completed and closed cases years of history leave in the table;
-- the predicates are literal in the queries, so the planner can match them.

-- "mine": the open cases a caseworker holds.
CREATE INDEX cases_inbox_mine_idx ON cases (responsible_municipality_code, assignee, inbox_due_at, case_id)
    WHERE is_open AND assignee IS NOT NULL;
-- "team_unassigned": the open cases of a team that nobody holds.
CREATE INDEX cases_inbox_team_unassigned_idx ON cases (responsible_municipality_code, team, inbox_due_at, case_id)
    WHERE is_open AND assignee IS NULL;
-- "due_soon": a range of inbox_due_at up to the cutoff, overdue cases left out.
CREATE INDEX cases_inbox_due_idx ON cases (responsible_municipality_code, inbox_due_at, case_id)
    WHERE is_open AND NOT overdue;
CREATE INDEX cases_inbox_overdue_idx ON cases (responsible_municipality_code, inbox_due_at, case_id)
    WHERE is_open AND overdue;
-- "waiting_for_citizen": contacted, no provider chosen yet.
CREATE INDEX cases_inbox_waiting_idx ON cases (responsible_municipality_code, inbox_due_at, case_id)
    WHERE is_open AND status = 'citizen_contacted';
CREATE INDEX cases_inbox_delivery_failed_idx ON cases (responsible_municipality_code, inbox_due_at, case_id)
    WHERE is_open AND delivery_failed;
CREATE INDEX cases_inbox_free_choice_idx ON cases (responsible_municipality_code, inbox_due_at, case_id)
    WHERE is_open AND free_choice_open;
