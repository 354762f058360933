"""What the deployment exposes: browsers reach only the desk, the services' HTTP APIs only the desk
and the other services, metrics ports only Prometheus; compose publishes only the desk unless asked."""
from pathlib import Path

import yaml

from eoffice_common.testing import REPO_ROOT

DEPLOY = Path(REPO_ROOT) / "deploy"
K8S = DEPLOY / "k8s"
SERVICES = {"dak", "files", "signing", "notify", "metrics", "search"}


def _documents(path):
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _applied():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return [doc for name in kustomization["resources"] for doc in _documents(K8S / name)]


def _policies():
    return [doc for doc in _applied() if doc["kind"] == "NetworkPolicy"]


def _selects(policy, labels):
    selector = policy["spec"]["podSelector"]
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    return all(labels.get(rule["key"]) in rule["values"] for rule in selector.get("matchExpressions", ())
               if rule["operator"] == "In")


def _pod_labels():
    return {doc["metadata"]["name"]: doc["spec"]["template"]["metadata"]["labels"]
            for doc in _applied() if doc["kind"] == "Deployment"}


def _allowed(pod_labels, port_name):
    """The `from` clauses of every policy that lets traffic reach this port of these pods."""
    return [source for policy in _policies() if _selects(policy, pod_labels)
            for rule in policy["spec"].get("ingress", ())
            if any(port["port"] == port_name for port in rule.get("ports", ()))
            for source in rule["from"]]


def test_every_pod_denies_ingress_unless_a_policy_allows_it():
    deny = [policy for policy in _policies()
            if policy["spec"]["podSelector"] == {} and "ingress" not in policy["spec"]]
    assert deny and "Ingress" in deny[0]["spec"]["policyTypes"]
    assert set(_pod_labels()) == SERVICES | {"desk"}


def test_only_the_desk_is_reached_from_the_ingress_controller():
    for name, labels in _pod_labels().items():
        from_outside = [source for port in ("http", "metrics") for source in _allowed(labels, port)
                        if "namespaceSelector" in source and "podSelector" not in source]
        assert bool(from_outside) == (name == "desk"), name
    assert all(source["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "ingress-nginx"}
               for source in _allowed(_pod_labels()["desk"], "http"))


def test_service_apis_are_reached_only_from_eoffice_pods():
    for name in SERVICES:
        sources = _allowed(_pod_labels()[name], "http")
        assert sources == [{"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "eoffice"}}}], name


def test_metrics_ports_are_reached_only_by_prometheus():
    for name, labels in _pod_labels().items():
        sources = _allowed(labels, "metrics")
        assert sources, name
        for source in sources:
            assert source["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "prometheus"}, name
            assert "namespaceSelector" in source, name


def test_compose_publishes_only_the_desk_unless_asked():
    services = yaml.safe_load((DEPLOY / "compose.yml").read_text())["services"]
    published = {name: spec["ports"] for name, spec in services.items() if spec.get("ports")}
    assert published == {"desk": ["8000:8000"]}
    asked = yaml.safe_load((DEPLOY / "compose.ports.yml").read_text())["services"]
    assert SERVICES <= set(asked)
    assert all(port.startswith("127.0.0.1:") for spec in asked.values() for port in spec["ports"])
