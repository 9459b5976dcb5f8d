"""The deployment files say what the code does: Kubernetes resources valid for their schemas
(kubernetes-validate, strict; KEDA's ScaledObject against tests/unit/deploy/schemas), the
compose file valid for the Compose Specification, every service deployed everywhere, every
KEDA trigger and every PromQL expression naming streams, consumers and metrics that exist."""

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import promql_parser
import pytest
import yaml
from prometheus_client import REGISTRY

import services.runtime.metrics  # noqa: F401 - registers the desk's metrics
from contracts import streams
from contracts.channels import Channel
from services.runtime.cli import SERVICES

ROOT = Path(__file__).parents[3]
DEPLOY = ROOT / "deploy"
BASE = DEPLOY / "kubernetes" / "base"
OVERLAY = DEPLOY / "kubernetes" / "overlays" / "example"
SCHEMAS = Path(__file__).parent / "schemas"
KUBERNETES = "1.31"


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def resources() -> list[tuple[str, dict[str, Any]]]:
    files = [*sorted(BASE.glob("*.yaml")), *sorted(OVERLAY.glob("*.yaml"))]
    return [
        (f"{path.relative_to(DEPLOY)}:{doc['kind']}/{doc['metadata']['name']}", doc)
        for path in files
        if path.name != "kustomization.yaml"
        for doc in documents(path)
    ]


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in resources() if doc["kind"] == kind]


def component(doc: dict[str, Any]) -> str:
    return str(doc["metadata"]["labels"]["app.kubernetes.io/component"])


@pytest.mark.parametrize(("where", "doc"), resources(), ids=[w for w, _ in resources()])
def test_every_kubernetes_resource_is_valid_for_its_schema(where: str, doc: dict[str, Any]) -> None:
    if doc["kind"] == "ScaledObject":
        schema = json.loads((SCHEMAS / "keda-scaledobject.json").read_text())
        jsonschema.validate(doc, schema)
    else:
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_the_kustomization_lists_every_file_of_the_base() -> None:
    listed = yaml.safe_load((BASE / "kustomization.yaml").read_text())["resources"]

    on_disk = {p.name for p in BASE.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(listed) == on_disk


def test_every_service_has_a_deployment_a_compose_service_and_a_dashboard_row() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    dashboard = json.loads((DEPLOY / "grafana" / "relaydesk.json").read_text())
    rows = {p["title"] for p in dashboard["panels"] if p["type"] == "row"}

    deployed = {component(d) for d in of_kind("Deployment")}
    assert set(SERVICES) <= deployed
    assert set(SERVICES) <= set(compose)
    assert {f"Service: {s}" for s in SERVICES} <= rows


def test_every_container_has_probes_limits_and_runs_unprivileged() -> None:
    for deployment in of_kind("Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["args"] == [component(deployment)]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
        assert {"cpu", "memory"} <= set(container["resources"]["limits"])
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_every_secret_a_deployment_reads_is_in_the_example_secrets() -> None:
    example = (OVERLAY / "secrets.env.example").read_text()
    keys = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line}

    wanted = {
        env["valueFrom"]["secretKeyRef"]["key"]
        for deployment in of_kind("Deployment")
        for env in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert wanted <= keys


def test_the_replicated_services_keep_one_replica_up_through_disruptions() -> None:
    budgets = {component(b) for b in of_kind("PodDisruptionBudget")}

    replicated = {component(d) for d in of_kind("Deployment") if d["spec"]["replicas"] > 1}
    assert replicated <= budgets


def test_keda_scales_on_streams_and_consumers_that_exist() -> None:
    consumers = {(s.stream, s.durable) for s in (streams.STORE_INBOUND, streams.STORE_DELIVERY,
                                                  streams.ROUTER_EVENTS)}  # fmt: skip
    for channel in Channel.__args__:  # type: ignore[attr-defined]
        consumers.add(("OUTBOUND", streams.adapter_outbound(channel).durable))
        consumers |= {
            ("OUTBOUND", streams.adapter_partition(channel, n).durable)
            for n in range(streams.OUTBOUND_PARTITIONS)
        }

    for scaled in of_kind("ScaledObject"):
        for trigger in scaled["spec"]["triggers"]:
            if trigger["type"] == "nats-jetstream":
                meta = trigger["metadata"]
                assert (meta["stream"], meta["consumer"]) in consumers, meta


def test_an_adapter_never_scales_past_its_outbound_partitions() -> None:
    adapters = [s for s in of_kind("ScaledObject") if component(s) in Channel.__args__]  # type: ignore[attr-defined]

    assert {component(s) for s in adapters} == set(Channel.__args__)  # type: ignore[attr-defined]
    assert all(s["spec"]["maxReplicaCount"] <= streams.OUTBOUND_PARTITIONS for s in adapters)


def promql() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "relaydesk.json").read_text())
    found = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    rules = yaml.safe_load((DEPLOY / "grafana" / "alerts.yaml").read_text())
    found += [r["expr"] for g in rules["groups"] for r in g["rules"]]
    for scaled in of_kind("ScaledObject"):
        found += [
            t["metadata"]["query"] for t in scaled["spec"]["triggers"] if "query" in t["metadata"]
        ]
    return found


def test_every_promql_expression_parses_and_names_metrics_the_services_export() -> None:
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    exported = {m.name + end for m in REGISTRY.collect() for end in suffixes.get(m.type, ("",))}

    for expr in promql():
        promql_parser.parse(expr)
        for name in re.findall(r"\brelaydesk_\w+", expr):
            assert name in exported, f"{name} in {expr!r} is not a metric of ours"


def test_every_alert_has_a_severity_and_a_summary() -> None:
    rules = yaml.safe_load((DEPLOY / "grafana" / "alerts.yaml").read_text())

    for rule in (r for g in rules["groups"] for r in g["rules"]):
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"]


def test_the_compose_file_is_valid_for_the_compose_specification() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text())

    assert isinstance(compose.pop("name"), str)  # newer than the vendored schema
    jsonschema.Draft201909Validator(schema).validate(compose)


def test_compose_runs_a_three_node_nats_cluster_and_the_store_on_a_replica_set() -> None:
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    nodes = [services[f"nats{n}"]["command"] for n in (1, 2, 3)]
    store = services["store"]["environment"]

    assert all("--cluster_name" in cmd and "--routes" in cmd for cmd in nodes)
    assert store["RELAYDESK_JS_REPLICAS"] == "3"
    assert store["RELAYDESK_NATS_URL"].count("@nats") == 3
    assert "replicaSet=rs0" in store["RELAYDESK_MONGO_URI"]
    assert all("healthcheck" in services[name] for name in SERVICES)


def test_the_image_is_built_in_stages_runs_unprivileged_and_honours_the_lock() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()

    assert len(re.findall(r"^FROM ", dockerfile, re.M)) >= 2
    assert re.search(r"^USER 10001", dockerfile, re.M)
    assert "-c requirements.lock" in dockerfile
    assert 'ENTRYPOINT ["relaydesk", "run"]' in dockerfile
