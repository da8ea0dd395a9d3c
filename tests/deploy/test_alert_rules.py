"""The example alert rules (deploy/monitoring/prometheus-rules.yaml) fire when they should, checked by Prometheus'
own rule tester `promtool test rules` on synthetic series. Skipped where promtool is absent (Debian: the
`prometheus` package); the rules' syntax is then still read by tests/deploy/test_operations_artifacts.py."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.paths import ROOT

PROMTOOL = shutil.which("promtool")


def _rules() -> dict[str, dict[str, Any]]:
    document = yaml.safe_load((ROOT / "deploy" / "monitoring" / "prometheus-rules.yaml").read_text())
    return {rule["alert"]: rule for group in document["spec"]["groups"] for rule in group["rules"]}


def _firing(alert: str, eval_time: str, labels: dict[str, str], summary: str) -> dict[str, Any]:
    """One expected alert: its labels and its annotations, the summary as rendered from the template."""
    rule = _rules()[alert]
    annotations = {key: " ".join(str(value).split()) for key, value in rule["annotations"].items()} | {
        "summary": summary
    }
    return {
        "eval_time": eval_time,
        "alertname": alert,
        "exp_alerts": [{"exp_labels": rule["labels"] | labels, "exp_annotations": annotations}],
    }


def _quiet(alert: str, eval_time: str) -> dict[str, Any]:
    return {"eval_time": eval_time, "alertname": alert, "exp_alerts": []}


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian package prometheus)")
def test_the_alerts_fire_on_the_conditions_they_name(tmp_path: Path) -> None:
    document = yaml.safe_load((ROOT / "deploy" / "monitoring" / "prometheus-rules.yaml").read_text())
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": document["spec"]["groups"]}))
    minutes = {
        "interval": "1m",
        "input_series": [
            {"series": 'up{job="genoptraening-worker", instance="w1"}', "values": "1x5 0x15"},
            {"series": 'genoptraening_outbox_delivery_failures_total{channel="medcom"}', "values": "0x5 1x15"},
            # Appends: one in ten under 0.5 s, the rest between 0.5 and 2.5 s: p95 well above 1 s.
            {
                "series": 'genoptraening_event_append_duration_seconds_bucket{stream="case", le="0.5"}',
                "values": "0+1x30",
            },
            {
                "series": 'genoptraening_event_append_duration_seconds_bucket{stream="case", le="2.5"}',
                "values": "0+10x30",
            },
            {
                "series": 'genoptraening_event_append_duration_seconds_bucket{stream="case", le="+Inf"}',
                "values": "0+10x30",
            },
        ],
        "alert_rule_test": [
            _quiet("GenoptraeningWorkerDown", "4m"),
            _firing("GenoptraeningWorkerDown", "12m", {}, "No worker is being scraped successfully"),
            _quiet("GenoptraeningDeliveryFailures", "4m"),
            _firing(
                "GenoptraeningDeliveryFailures",
                "8m",
                {"channel": "medcom"},
                "1 medcom message(s) given up on in 30 minutes",
            ),
            _quiet("GenoptraeningAppendLatencyHigh", "5m"),  # not yet for 10 minutes
            _firing(
                "GenoptraeningAppendLatencyHigh",
                "25m",
                {},
                "Event appends p95 2.389s (the append activity times out at 5 s)",
            ),
        ],
    }
    overdue = {
        "interval": "1m",
        "input_series": [
            # Municipality 101's overdue cases: 2 for a day, then 10; two API replicas report the same value (max).
            {"series": 'genoptraening_cases_overdue{municipality="101", instance="api-1"}', "values": "2x1440 10x120"},
            {"series": 'genoptraening_cases_overdue{municipality="101", instance="api-2"}', "values": "2x1440 10x120"},
        ],
        "alert_rule_test": [
            _quiet("GenoptraeningOverdueCasesRising", "1d30m"),  # risen, but not yet for an hour
            _firing("GenoptraeningOverdueCasesRising", "1d90m", {}, "Overdue cases rose by 8 in a day"),
        ],
    }
    tests = {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": [minutes, overdue]}
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests, sort_keys=False))
    assert PROMTOOL is not None
    result = subprocess.run(
        [PROMTOOL, "test", "rules", "tests.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
