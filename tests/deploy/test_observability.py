"""Monitoring as shipped in deploy/: the Prometheus rule file has the shape Prometheus loads, every
alert and every dashboard query parses as PromQL and asks only for series the platform really
exports (read from each service's own /metrics registry: the real apps, built in a process of
their own), the dashboard shows every figure there is, the commands the alerts tell an operator
to run are ones the `jalin` CLI accepts, and the scrape configurations find the services where
compose.yaml and the Kubernetes manifests put them."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import promql_parser
import pytest
import yaml

from jalin_cli.bus import SERVICES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
RULES = PROMETHEUS / "alerts.yaml"
SCRAPE_COMPOSE = PROMETHEUS / "prometheus.yaml"
SCRAPE_K8S = PROMETHEUS / "prometheus-kubernetes.yaml"
MONITORING = PROMETHEUS / "monitoring.compose.yaml"
DASHBOARD = DEPLOY / "grafana" / "jalin-dashboard.json"
DEPLOYABLES = (*SERVICES, "console")
COMPOSE_SCHEMA = Path(str(__import__("check_jsonschema").__file__)).parent / "builtin_schemas" / "vendor" / "compose-spec.json"

# Prometheus' own series for each target (not in any service's exposition).
SCRAPE_SERIES = frozenset({"up"})
# The series a family of each type exposes (prometheus_client writes a counter's family with its
# _total; its _created series are not for queries).
SUFFIXES = {"counter": ("",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count"),
            "summary": ("", "_sum", "_count")}
# What every operator must be told about (the issue's list), by the alert that says it.
REQUIRED_ALERTS = {"JalinOutboxBacklogOld", "JalinOutboxParked", "JalinConsumerLag", "JalinDeadLettersPresent",
                   "JalinServiceNotReady", "JalinServiceDown", "JalinHighErrorRate", "JalinSlowRequests"}
RULE_KEYS = {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
SEVERITIES = {"critical", "warning"}
# Grafana's variables, as Prometheus would get them.
GRAFANA_VARS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h", "$service": "documents|console"}

# Build each real app (no lifespan: nothing connects) and write its registry's exposition. In a
# process of its own: building an app wires module-level handlers a test here must not disturb.
PROBE = """
import importlib, json, sys
from prometheus_client import generate_latest
from jalin_kit.metrics import HttpMetrics
out = {}
for name in sys.argv[1:]:
    app = importlib.import_module(f"jalin_{name}.app").build()
    [metrics] = [m.kwargs["metrics"] for m in app.user_middleware if m.cls is HttpMetrics]
    out[name] = generate_latest(metrics.registry).decode()
print(json.dumps(out))
"""

# Run the real CLI's parser on command lines and stop there: each one's exit code (0: accepted,
# 2: refused), and nothing run.
PARSE_ONLY = """
import argparse, contextlib, io, json, sys
from jalin_cli.main import main
real = argparse.ArgumentParser.parse_args
def parse_only(self, args=None, namespace=None):
    real(self, args, namespace)
    raise SystemExit(0)
argparse.ArgumentParser.parse_args = parse_only
codes = []
for command in json.loads(sys.argv[1]):
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            main(command)
        codes.append("ran")
    except SystemExit as stop:
        codes.append(stop.code)
print(json.dumps(codes))
"""
# Figures every replica reads alike from the one store or server at each scrape: a sum over the
# replicas would multiply them.
SHARED = ("jalin_outbox_unsent", "jalin_outbox_oldest_unsent_seconds", "jalin_outbox_parked", "jalin_dead_letters",
          "jalin_consumer_pending", "jalin_consumer_ack_pending", "jalin_mail_queue", "jalin_mail_failed")


# -- what the platform exports ---------------------------------------------------------------------

def families(exposition: str) -> dict[str, set[str]]:
    """Each family of an exposition and the series names it gives (``# TYPE`` lines are written
    even for a family with no sample yet)."""
    return {family: {family + suffix for suffix in SUFFIXES.get(kind, ("",))}
            for family, kind in re.findall(r"^# TYPE (\S+) (\S+)$", exposition, flags=re.MULTILINE)}


def series_names(exposition: str) -> set[str]:
    return set().union(*families(exposition).values())


@pytest.fixture(scope="module")
def expositions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JALIN_")}
    env |= {"JALIN_ENVIRONMENT": "development", "JALIN_DATA_DIR": str(tmp_path_factory.mktemp("probe"))}
    done = subprocess.run([sys.executable, "-c", PROBE, *DEPLOYABLES], env=env, capture_output=True, text=True,
                          timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, str] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def exported(expositions: dict[str, str]) -> set[str]:
    return set().union(*(series_names(text) for text in expositions.values())) | SCRAPE_SERIES


def test_the_expositions_name_every_family_before_any_sample(expositions: dict[str, str]) -> None:
    assert set(expositions) == set(DEPLOYABLES)
    for name, text in expositions.items():
        names = series_names(text)
        assert {"jalin_http_requests_total", "jalin_http_request_seconds_bucket", "jalin_ready",
                "jalin_outbox_oldest_unsent_seconds", "jalin_consumer_pending"} <= names, name
        assert "jalin_http_request_seconds" not in names  # a histogram is queried by its series
    assert "jalin_mail_queue" in series_names(expositions["notifications"])
    assert "jalin_blob_errors_total" in series_names(expositions["documents"])


# -- PromQL ----------------------------------------------------------------------------------------

def selected_names(expr: str) -> set[str]:
    """Every metric name an expression selects; ValueError when it does not parse, or selects
    series by anything but one fixed name."""
    names: set[str] = set()
    unnamed: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            fixed = [m.value for m in node.matchers.matchers
                     if m.name == "__name__" and m.op == promql_parser.MatchOp.Equal]
            if node.name:
                names.add(node.name)
            elif fixed:
                names.add(fixed[0])
            else:
                unnamed.append(str(node))

    promql_parser.walk(promql_parser.parse(expr), visit)
    if unnamed:
        raise ValueError(f"selects series without a fixed metric name: {unnamed}")
    return names


def unknown_metrics(expr: str, known: set[str]) -> list[str]:
    """The names an expression asks for that nobody exports (it would silently return nothing)."""
    return sorted(selected_names(expr) - known)


def summed_shared(expr: str) -> list[str]:
    """The figures read alike by every replica that an expression sums over the replicas."""
    found: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.AggregateExpr) and str(node.op) == "sum":
            found.extend(sorted(selected_names(str(node.expr)) & set(SHARED)))

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def test_the_checker_catches_a_misspelt_name_a_wrong_suffix_and_bad_promql(exported: set[str]) -> None:
    good = "sum by (service) (rate(jalin_http_requests_total[5m]))"
    assert unknown_metrics(good, exported) == []
    assert unknown_metrics("sum by (service) (rate(jalin_http_request_total[5m]))", exported) == [
        "jalin_http_request_total"]
    assert unknown_metrics("max(jalin_outbox_unsent_bucket) or jalin_dead_leters", exported) == [
        "jalin_dead_leters", "jalin_outbox_unsent_bucket"]
    assert unknown_metrics('{__name__="jalin_redy"} == 0', exported) == ["jalin_redy"]
    with pytest.raises(ValueError):
        selected_names("sum(rate(jalin_http_requests_total[5m])")
    with pytest.raises(ValueError, match="fixed metric name"):
        selected_names('{__name__=~"jalin_.*"}')
    assert summed_shared("sum by (service) (jalin_outbox_parked) + sum(rate(jalin_consumer_failed_total[5m]))") == [
        "jalin_outbox_parked"]
    assert summed_shared("max by (service) (jalin_outbox_parked)") == []


# -- the rule file ---------------------------------------------------------------------------------

def rules() -> Iterator[dict[str, Any]]:
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        yield from group["rules"]


def test_the_rule_file_has_the_shape_prometheus_loads() -> None:
    doc = yaml.safe_load(RULES.read_text())
    assert set(doc) == {"groups"}
    groups = doc["groups"]
    assert len({g["name"] for g in groups}) == len(groups) >= 1
    names = []
    for group in groups:
        assert set(group) <= {"name", "interval", "rules"} and group["rules"], group["name"]
        for rule in group["rules"]:
            assert set(rule) <= RULE_KEYS and {"alert", "expr", "for", "labels", "annotations"} <= set(rule), rule
            assert re.fullmatch(r"Jalin[A-Z][A-Za-z]+", rule["alert"]), rule["alert"]
            assert isinstance(rule["expr"], str) and rule["expr"].strip()
            assert re.fullmatch(r"\d+[smh]", rule["for"]) and promql_parser.parse_duration(rule["for"]), rule
            assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
            annotations = rule["annotations"]
            assert set(annotations) == {"summary", "description"}, rule["alert"]
            for text in annotations.values():
                assert text.strip() and text.count("{{") == text.count("}}"), rule["alert"]
            names.append(rule["alert"])
    assert len(names) == len(set(names))
    assert REQUIRED_ALERTS <= set(names), REQUIRED_ALERTS - set(names)


def test_every_alert_parses_and_asks_only_for_exported_series(exported: set[str]) -> None:
    for rule in rules():
        assert unknown_metrics(rule["expr"], exported) == [], rule["alert"]


def test_the_alerts_watch_the_figures_the_issue_names() -> None:
    watched = {rule["alert"]: selected_names(rule["expr"]) for rule in rules()}
    assert "jalin_outbox_oldest_unsent_seconds" in watched["JalinOutboxBacklogOld"]
    assert "jalin_outbox_parked" in watched["JalinOutboxParked"]
    assert "jalin_consumer_pending" in watched["JalinConsumerLag"]
    assert "jalin_dead_letters" in watched["JalinDeadLettersPresent"]
    assert "jalin_ready" in watched["JalinServiceNotReady"]
    assert watched["JalinServiceDown"] == {"up"}
    exprs = {rule["alert"]: rule["expr"] for rule in rules()}
    assert 'status=~"5.."' in exprs["JalinHighErrorRate"]
    assert "histogram_quantile(0.99" in exprs["JalinSlowRequests"]
    for rule in rules():
        assert summed_shared(rule["expr"]) == [], rule["alert"]


def cli_commands(text: str) -> list[list[str]]:
    """The ``./jalin <command> [<action>] --option value`` lines a text tells an operator to run,
    with its placeholders filled in."""
    text = re.sub(r"\{\{\s*\$labels\.service\s*\}\}", "documents", text).replace("<id>", "1")
    found = []
    for match in re.finditer(r"\./jalin ([a-z][a-z-]*(?: [a-z][a-z-]*)?)((?: --[a-z-]+(?: (?!--)[\w-]+)?)*)", text):
        words = match.group(1).split()
        options = match.group(2).split()
        # an option's value is a word the option takes (a service, an id), not the prose after it
        while options and not options[-1].startswith("--") and options[-1] not in {*SERVICES, "1"}:
            options.pop()
        found.append(words + options)
    return found


def accepted(commands: list[list[str]]) -> list[bool]:
    """Whether the real ``jalin`` CLI accepts each command line (parsed, not run)."""
    done = subprocess.run([sys.executable, "-c", PARSE_ONLY, json.dumps(commands)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return [code == 0 for code in json.loads(done.stdout)]


def test_the_commands_the_alerts_name_are_ones_the_cli_accepts() -> None:
    commands = [c for rule in rules() for c in cli_commands(rule["annotations"]["description"])]
    commands += cli_commands((PROMETHEUS / "README.md").read_text())
    assert ["outbox", "replay", "--service", "documents", "--id", "1"] in commands
    assert ["dead-letters", "list"] in commands
    for rule in rules():  # what to run is said where there is a command for it
        uses = selected_names(rule["expr"])
        if uses & {"jalin_outbox_parked", "jalin_outbox_oldest_unsent_seconds"}:
            assert "./jalin outbox " in rule["annotations"]["description"], rule["alert"]
        if uses & {"jalin_dead_letters"}:
            assert "./jalin dead-letters " in rule["annotations"]["description"], rule["alert"]
    unique = [list(c) for c in sorted({tuple(c) for c in commands})]
    misspelt = [["outbox", "list", "--wating"], ["dead-letters", "replay", "--service", "proposals"], ["outbox", "lst"]]
    verdicts = accepted(unique + misspelt)
    assert len(verdicts) == len(unique) + len(misspelt)
    assert [c for c, ok in zip(unique, verdicts[:len(unique)], strict=True) if not ok] == []
    assert verdicts[len(unique):] == [False, False, False]  # the check can say no


# -- the dashboard ---------------------------------------------------------------------------------

def dashboard() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return doc


def panels(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel but the rows, those inside a collapsed row included."""
    return [p for top in doc["panels"] for p in (top.get("panels", []) if top["type"] == "row" else [top])]


def as_prometheus_gets_it(expr: str) -> str:
    for name, value in GRAFANA_VARS.items():
        expr = expr.replace(name, value).replace("${" + name[1:] + "}", value)
    assert "$" not in expr, f"a Grafana variable the test does not know: {expr}"
    return expr


def test_the_dashboard_is_importable_with_its_variables() -> None:
    doc = dashboard()
    assert doc["schemaVersion"] >= 39 and doc["uid"] and doc["title"] and "id" not in doc
    variables = {v["name"]: v for v in doc["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    service = variables["service"]
    assert service["type"] == "query" and service["includeAll"] and service["multi"]
    query = re.fullmatch(r"label_values\((.+), service\)", service["query"]["query"])
    assert query and selected_names(query.group(1)) == {"up"}
    ids = [p["id"] for p in doc["panels"]] + [p["id"] for p in panels(doc) if p not in doc["panels"]]
    assert len(ids) == len(set(ids))
    taken: set[tuple[int, int]] = set()
    for panel in doc["panels"]:
        g = panel["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24 and g["h"] > 0, panel["title"]
        cells = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        taken |= cells
    for panel in panels(doc):
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"] and target["expr"].strip(), panel["title"]


def test_every_panel_query_parses_and_asks_only_for_exported_series(exported: set[str]) -> None:
    for panel in panels(dashboard()):
        for target in panel["targets"]:
            expr = as_prometheus_gets_it(target["expr"])
            assert unknown_metrics(expr, exported) == [], panel["title"]
            assert summed_shared(expr) == [], panel["title"]
            assert 'service=~"$service"' in target["expr"], panel["title"]  # the variable filters it


def test_the_dashboard_shows_every_figure_the_platform_exports(expositions: dict[str, str]) -> None:
    shown = set().union(*(selected_names(as_prometheus_gets_it(t["expr"]))
                          for p in panels(dashboard()) for t in p["targets"]))
    exported = {family: series for text in expositions.values() for family, series in families(text).items()}
    assert len(exported) >= 15
    missing = sorted(family for family, series in exported.items() if not series & shown)
    assert missing == [], f"exported, on no panel: {missing}"
    assert "up" in shown


# -- scraping where the deployments put the services ------------------------------------------------

def test_the_compose_scrape_finds_every_deployable_on_its_port() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    [job] = yaml.safe_load(SCRAPE_COMPOSE.read_text())["scrape_configs"]
    assert job["job_name"] == "jalin" and job["honor_labels"] is True  # else `service` becomes exported_service
    scraped = {name: sd["port"] for sd in job["dns_sd_configs"] for name in sd["names"]}
    assert scraped == {name: int(compose[name]["expose"][0]) for name in DEPLOYABLES}
    assert {"source_labels": ["__meta_dns_name"], "target_label": "service"} in job["relabel_configs"]


def test_the_kubernetes_scrape_matches_the_pods_of_the_manifests() -> None:
    [job] = yaml.safe_load(SCRAPE_K8S.read_text())["scrape_configs"]
    assert job["job_name"] == "jalin" and job["honor_labels"] is True
    relabel = {tuple(r["source_labels"]): r for r in job["relabel_configs"]}
    part_of = relabel[("__meta_kubernetes_pod_label_app_kubernetes_io_part_of",)]
    port = relabel[("__meta_kubernetes_pod_container_port_name",)]
    name = relabel[("__meta_kubernetes_pod_label_app_kubernetes_io_name",)]
    found = {}
    for path in sorted((DEPLOY / "k8s" / "base").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc.get("kind") != "Deployment":
                continue
            labels = doc["spec"]["template"]["metadata"]["labels"]
            assert re.fullmatch(part_of["regex"], labels["app.kubernetes.io/part-of"])
            ports = [p for c in doc["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])
                     if re.fullmatch(port["regex"], p["name"])]
            service = re.fullmatch(name["regex"], labels["app.kubernetes.io/name"])
            assert service and len(ports) == 1, path
            found[service.group(1)] = ports[0]["containerPort"]
    assert set(found) == set(DEPLOYABLES) and name["target_label"] == "service"


def test_the_monitoring_override_is_a_valid_compose_file_that_mounts_what_exists() -> None:
    doc = yaml.safe_load(MONITORING.read_text())
    validator = jsonschema.Draft202012Validator(json.loads(COMPOSE_SCHEMA.read_text()))
    assert [e.message for e in validator.iter_errors(doc)] == []
    for config in doc["configs"].values():
        assert (ROOT / config["file"]).is_file(), config["file"]
    prometheus = doc["services"]["prometheus"]
    targets = {c["source"]: c["target"] for c in prometheus["configs"]}
    scrape = yaml.safe_load(SCRAPE_COMPOSE.read_text())
    assert any(fnmatch.fnmatch(targets["prometheus_alerts"], glob) for glob in scrape["rule_files"])
    assert f"--config.file={targets['prometheus_config']}" in prometheus["command"]
    assert doc["configs"]["prometheus_alerts"]["file"] == "./deploy/prometheus/alerts.yaml"
    # Grafana finds the dashboard where its provider looks, and the data source the panels use.
    grafana = {c["source"]: c["target"] for c in doc["services"]["grafana"]["configs"]}
    provider = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "dashboards" / "jalin.yaml").read_text())
    [folder] = [p["options"]["path"] for p in provider["providers"]]
    assert Path(grafana["grafana_dashboard_jalin"]).parent == Path(folder)
    datasources = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "datasources" / "jalin.yaml").read_text())
    [source] = datasources["datasources"]
    assert source["type"] == "prometheus" and source["isDefault"] and source["url"] == "http://prometheus:9090"
    # on the services' network, not on the one with the state; Grafana on the host's loopback only
    assert all(s["networks"] == ["default"] for s in doc["services"].values())
    assert all(p.startswith("127.0.0.1:") for p in doc["services"]["grafana"]["ports"])
