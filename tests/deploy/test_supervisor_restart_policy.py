"""The local supervisor's restart rules, on a made-up clock: backoff, reset after a stable run, crash-loop limit."""

from __future__ import annotations

from deploy.restart_policy import RestartLimits, RestartPolicy

LIMITS = RestartLimits(
    backoff_base_seconds=1.0,
    backoff_max_seconds=30.0,
    stable_after_seconds=60.0,
    max_restarts=5,
    window_seconds=300.0,
)


def crash_at_once(policy: RestartPolicy, now: float) -> float | None:
    """A child started at `now` that dies at once: the delay before its restart, None for a crash loop."""
    restart = policy.after_exit(started_at=now, now=now + 0.5)
    return None if restart is None else restart.delay


def test_the_backoff_doubles_for_each_restart_in_a_row_up_to_the_cap() -> None:
    policy = RestartPolicy(RestartLimits(max_restarts=100, window_seconds=1.0))  # no crash-loop limit here
    delays = [crash_at_once(policy, now=100.0 * n) for n in range(8)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert policy.restarts == 8


def test_a_child_that_ran_stably_starts_again_from_the_base_delay() -> None:
    policy = RestartPolicy(RestartLimits(max_restarts=100))
    assert crash_at_once(policy, 0.0) == 1.0
    assert crash_at_once(policy, 10.0) == 2.0
    assert crash_at_once(policy, 20.0) == 4.0
    just_short = policy.after_exit(started_at=30.0, now=30.0 + 59.0)  # 59 s is not stable yet
    assert just_short is not None and just_short.delay == 8.0
    stable = policy.after_exit(started_at=100.0, now=100.0 + 60.0)
    assert stable is not None and stable.delay == 1.0
    assert crash_at_once(policy, 170.0) == 2.0  # and doubles again from there
    assert policy.restarts == 6


def test_the_restart_after_the_limit_within_the_window_is_refused() -> None:
    policy = RestartPolicy(LIMITS)
    restarts = [policy.after_exit(started_at=t, now=t + 1.0) for t in (0.0, 10.0, 20.0, 30.0, 40.0)]
    assert [r.in_window for r in restarts if r is not None] == [1, 2, 3, 4, 5]
    assert policy.after_exit(started_at=50.0, now=51.0) is None
    assert policy.after_exit(started_at=60.0, now=61.0) is None  # and stays refused within the window
    assert policy.restarts == 5


def test_restarts_that_left_the_window_no_longer_count() -> None:
    policy = RestartPolicy(LIMITS)
    for t in (0.0, 100.0, 200.0, 250.0, 290.0):  # deaths at t + 1
        assert policy.after_exit(started_at=t, now=t + 1.0) is not None
    # At 302 the death at 1 is more than 300 s ago: four remain in the window, so one more is allowed.
    restart = policy.after_exit(started_at=301.5, now=302.0)
    assert restart is not None and restart.in_window == 5 and restart.number == 6
    assert policy.after_exit(started_at=302.5, now=303.0) is None


def test_a_child_that_dies_every_few_minutes_is_restarted_indefinitely() -> None:
    policy = RestartPolicy(LIMITS)
    for n in range(20):
        restart = policy.after_exit(started_at=n * 120.0, now=n * 120.0 + 90.0)
        assert restart is not None and restart.delay == 1.0
    assert policy.restarts == 20
