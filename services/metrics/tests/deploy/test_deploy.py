"""The deployment files of the metrics service: Prometheus scrape configuration and alert rules
(checked and unit-tested with promtool), the Grafana dashboard, the Kubernetes manifest."""
import json
import os
import shutil
import subprocess

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
DEPLOY = os.path.join(ROOT, "deploy")
ALERTS = os.path.join(DEPLOY, "prometheus", "alerts.yml")
PORTS = {"desk": 9100, "dak": 9101, "files": 9102, "signing": 9103, "notify": 9104, "metrics": 9105, "search": 9106}


def promtool(*args):
    if shutil.which("promtool") is None:
        raise RuntimeError("promtool is not installed (Debian package prometheus)")
    result = subprocess.run(["promtool", *args], capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def test_the_scrape_configuration_is_valid_and_covers_every_service():
    code, output = promtool("check", "config", os.path.join(DEPLOY, "prometheus", "prometheus.yml"))
    assert code == 0, output
    with open(os.path.join(DEPLOY, "prometheus", "prometheus.yml"), encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    jobs = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    assert jobs == {name: [f"127.0.0.1:{port}"] for name, port in PORTS.items()}


def test_the_alert_rules_are_valid():
    code, output = promtool("check", "rules", ALERTS)
    assert code == 0, output
    with open(ALERTS, encoding="utf-8") as handle:
        names = {rule["alert"] for group in yaml.safe_load(handle)["groups"] for rule in group["rules"]}
    assert {"OutboxBacklog", "OutboxStuck", "DeadLetters", "PendencySpike", "HighErrorRate"} <= names


ALERT_TESTS = {
    "evaluation_interval": "1m",
    "tests": [
        {
            "interval": "1m",
            "input_series": [
                {"series": 'eoffice_outbox_backlog_events{service="dak", instance="a"}', "values": "0+200x30"},
                {"series": 'eoffice_outbox_backlog_events{service="dak", instance="b"}', "values": "0+200x30"},
                {"series": 'eoffice_outbox_backlog_events{service="files", instance="c"}', "values": "5x30"},
                {"series": 'eoffice_dead_letters{service="metrics", instance="a"}', "values": "0 0 3x20"},
            ],
            "alert_rule_test": [
                {"eval_time": "10m", "alertname": "OutboxBacklog", "exp_alerts": []},
                {"eval_time": "17m", "alertname": "OutboxBacklog", "exp_alerts": [{
                    "exp_labels": {"service": "dak", "severity": "warning"},
                    "exp_annotations": {
                        "summary": "dak: 3400 events written but not yet published",
                        "description": "The outbox relay is falling behind or the broker refuses it; writes still succeed, events wait.",
                    },
                }]},
                {"eval_time": "5m", "alertname": "DeadLetters", "exp_alerts": []},
                {"eval_time": "8m", "alertname": "DeadLetters", "exp_alerts": [{
                    "exp_labels": {"service": "metrics", "severity": "warning"},
                    "exp_annotations": {
                        "summary": "metrics: 3 dead-lettered events waiting to be looked at",
                        "description": "Events that could never be applied are in the dead_letters table with their reason.",
                    },
                }]},
            ],
        },
        {
            "interval": "5m",
            "input_series": [
                {"series": 'eoffice_district_pending_items{district="JHS", instance="a"}', "values": "100x300 200x30"},
                {"series": 'eoffice_district_pending_items{district="JLN", instance="a"}', "values": "100x300 110x30"},
            ],
            "alert_rule_test": [
                {"eval_time": "1530m", "alertname": "PendencySpike", "exp_alerts": []},
                {"eval_time": "1580m", "alertname": "PendencySpike", "exp_alerts": [{
                    "exp_labels": {"district": "JHS", "severity": "warning"},
                    "exp_annotations": {
                        "summary": "District JHS: pending files and receipts up a quarter in a day (now 200)",
                        "description": "A district's pendency rose by more than 25 % and 50 items since yesterday; see the MIS pendency report.",
                    },
                }]},
            ],
        },
        {
            "interval": "1m",
            "input_series": [
                {"series": 'eoffice_entrypoint_calls_total{service="files", entrypoint="send", outcome="ok"}', "values": "0+60x30"},
                {"series": 'eoffice_entrypoint_calls_total{service="files", entrypoint="send", outcome="error"}', "values": "0+10x30"},
                {"series": 'eoffice_entrypoint_calls_total{service="dak", entrypoint="diarise", outcome="ok"}', "values": "0+60x30"},
            ],
            "alert_rule_test": [
                {"eval_time": "20m", "alertname": "HighErrorRate", "exp_alerts": [{
                    "exp_labels": {"service": "files", "severity": "warning"},
                    "exp_annotations": {"summary": "files: 14.29% of calls fail"},
                }]},
            ],
        },
    ],
}


def test_the_alerts_fire_when_they_should_and_not_before(tmp_path):
    tests = tmp_path / "alerts_test.yml"
    tests.write_text(yaml.safe_dump({"rule_files": [ALERTS], **ALERT_TESTS}, sort_keys=False), encoding="utf-8")
    code, output = promtool("test", "rules", str(tests))
    assert code == 0, output


def dashboard():
    with open(os.path.join(DEPLOY, "grafana", "eoffice-dashboard.json"), encoding="utf-8") as handle:
        return json.load(handle)


def test_the_dashboard_shows_scoreboard_pendency_throughput_and_errors_per_service():
    board = dashboard()
    titles = " ".join(p["title"] for p in board["panels"])
    for words in ("Scoreboard", "District scores", "Department scores", "Pendency", "Throughput per service", "Errors per service", "Dead letters", "Outbox backlog"):
        assert words in titles
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    assert any("eoffice_district_score" in e for e in exprs) and any("eoffice_district_pending_items" in e for e in exprs)
    assert any("by (service" in e and "eoffice_entrypoint_errors_total" in e for e in exprs)
    assert len({p["id"] for p in board["panels"]}) == len(board["panels"])


def test_every_dashboard_query_is_valid_promql(tmp_path):
    exprs = [t["expr"] for p in dashboard()["panels"] for t in p.get("targets", [])]
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{i}", "expr": e.replace("$__rate_interval", "5m")} for i, e in enumerate(exprs)
    ]}]}
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump(rules), encoding="utf-8")
    code, output = promtool("check", "rules", str(path))
    assert code == 0, output


def test_the_kubernetes_manifest_runs_metrics_on_its_ports():
    with open(os.path.join(DEPLOY, "k8s", "metrics.yaml"), encoding="utf-8") as handle:
        documents = {d["kind"]: d for d in yaml.safe_load_all(handle)}
    assert set(documents) == {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
    pod = documents["Deployment"]["spec"]["template"]
    assert pod["metadata"]["annotations"]["prometheus.io/port"] == "9105"
    container = pod["spec"]["containers"][0]
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {"http": 8005, "metrics": 9105}
    assert pod["spec"]["initContainers"][0]["command"] == ["metrics", "migrate"]
    assert {e["name"]: e["value"] for e in container["env"]} == {"SERVICE": "metrics"}
    assert all(d["metadata"]["name"] == "metrics" for d in documents.values())


@pytest.mark.parametrize("broken, complaint", [
    ("max by (service) (eoffice_outbox_backlog_events > 1000", "parse error"),
])
def test_promtool_rejects_a_broken_rule(tmp_path, broken, complaint):
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "x", "rules": [{"alert": "X", "expr": broken}]}]}), encoding="utf-8")
    code, output = promtool("check", "rules", str(path))
    assert code != 0 and complaint in output
