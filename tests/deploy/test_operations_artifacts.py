"""The operator's artefacts in deploy/ name only metrics that exist (docs/observability.md lists them), and the
manifests use the probes the processes serve."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from tests.support.paths import ROOT

METRIC = re.compile(r"\b((?:genoptraening|temporal)_[a-z_]+)")
SUFFIXES = ("_bucket", "_count", "_sum")


def _documented() -> set[str]:
    return set(METRIC.findall((ROOT / "docs" / "observability.md").read_text(encoding="utf-8")))


def _unknown(names: set[str]) -> set[str]:
    documented = _documented()
    return {name for name in names if name not in documented and name.removesuffix(next(
        (suffix for suffix in SUFFIXES if name.endswith(suffix)), "")) not in documented}  # fmt: skip


def test_the_dashboard_shows_the_required_panels_over_documented_metrics() -> None:
    dashboard = json.loads((ROOT / "deploy" / "grafana-dashboard.json").read_text(encoding="utf-8"))
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    assert exprs and _unknown(set(METRIC.findall(" ".join(exprs)))) == set()
    titles = " | ".join(panel["title"] for panel in dashboard["panels"]).lower()
    for required in ("cases by status", "overdue", "breaches per municipality", "command latency", "delivery failures"):
        assert required in titles


def test_the_alert_rules_cover_the_issue_and_name_documented_metrics() -> None:
    rules: dict[str, Any] = yaml.safe_load((ROOT / "deploy" / "monitoring" / "prometheus-rules.yaml").read_text())
    alerts = {rule["alert"]: rule["expr"] for group in rules["spec"]["groups"] for rule in group["rules"]}
    for required in ("OverdueCasesRising", "DeliveryFailures", "AppendLatencyHigh", "WorkerDown"):
        assert f"Genoptraening{required}" in alerts
    assert _unknown(set(METRIC.findall(" ".join(alerts.values())))) == set()


def _containers(kind: str, name: str) -> list[dict[str, Any]]:
    for document in yaml.safe_load_all((ROOT / "deploy" / "kubernetes" / f"{name}.yaml").read_text()):
        if document["kind"] == kind:
            return list(document["spec"]["template"]["spec"]["containers"])
    raise AssertionError(f"no {kind} in {name}.yaml")


def test_kubernetes_probes_use_liveness_and_readiness_endpoints() -> None:
    for name, port in (("api", "http"), ("worker", "health")):
        (container,) = _containers("Deployment", name)
        assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": port}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
    budgets = list(yaml.safe_load_all((ROOT / "deploy" / "kubernetes" / "disruption-budgets.yaml").read_text()))
    assert {budget["metadata"]["name"] for budget in budgets} == {"genoptraening-api", "genoptraening-worker"}
    kustomization = yaml.safe_load((ROOT / "deploy" / "kubernetes" / "kustomization.yaml").read_text())
    assert "disruption-budgets.yaml" in kustomization["resources"]
