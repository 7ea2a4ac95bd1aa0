"""API-server validation beyond OpenAPI: each rule on a rendered object that breaks it and one that keeps it.

The objects are the committed renders of the example fleets; each case changes one
field the way a blueprint or fleet mistake would and expects the exact error the
rule reports. ``test_rendered_objects_pass`` is the passing side for every rule:
every object fleetgen renders for the examples satisfies all of them.
"""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from generator import apivalidation, commands, pipeline
from generator.loader import load_file
from generator.model import build

ROOT = Path(__file__).resolve().parent.parent
HEADLESS = "output/clusters/aws-euwest1/workloads/db/cassandra/service-headless.yaml"
LB = "output/clusters/aws-euwest1/dns/service-dns-endpoint.yaml"
SEEDS = "output/clusters/aws-euwest1/workloads/db/cassandra/configmap-seeds.yaml"
GATEWAY = "output/clusters/gcp-europe-west4-c/dns/gateway/"
TOKEN = "examples/discovery-kubernetai/output/clusters/aws-euwest1/discovery/kubernetai/secret-token-azure-westeurope.yaml"
IPPOOL = "examples/overlay-calico/output/clusters/aws-euwest1/calico/ippool-fleetgen-aws-euwest1-pods-0.yaml"
NAMESPACE = "output/clusters/aws-euwest1/namespaces/db.yaml"


def rendered(rel: str) -> dict[str, Any]:
    obj = yaml.safe_load((ROOT / rel).read_text(encoding="utf-8"))
    assert isinstance(obj, dict)
    return obj


def test_rendered_objects_pass() -> None:
    """The passing side of every rule: each object the examples render is accepted."""
    files = sorted(ROOT.glob("output/**/*.yaml")) + sorted(ROOT.glob("examples/*/output/**/*.yaml"))
    kinds = set()
    for path in files:
        obj = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert apivalidation.object_errors(obj) == (), path
        kinds.add(obj["kind"])
    assert {"Service", "ConfigMap", "Secret", "Namespace", "Deployment", "PodDisruptionBudget", "ServiceAccount",
            "ClusterRole", "ClusterRoleBinding", "IPPool"} <= kinds


def _do(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(obj: dict[str, Any]) -> None:
        node = obj
        for part in path[:-1]:
            node = node[part]
        if value is _DELETE:
            del node[path[-1]]
        else:
            node[path[-1]] = value

    return apply


_DELETE = object()


def _dup_port(obj: dict[str, Any]) -> None:
    obj["spec"]["ports"].append(dict(obj["spec"]["ports"][0], name="again"))


def _dup_port_name(obj: dict[str, Any]) -> None:
    obj["spec"]["ports"].append(dict(obj["spec"]["ports"][0], port=1))


def _big_annotation(obj: dict[str, Any]) -> None:
    obj["metadata"]["annotations"] = {"fleetgen.dev/a": "x" * (256 * 1024 - len("fleetgen.dev/a") + 1)}


def _fits_annotation(obj: dict[str, Any]) -> None:
    obj["metadata"]["annotations"] = {"fleetgen.dev/a": "x" * (256 * 1024 - len("fleetgen.dev/a"))}


def _selector_mismatch(obj: dict[str, Any]) -> None:
    obj["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] = "other"


def _dup_container_port_name(obj: dict[str, Any]) -> None:
    obj["spec"]["template"]["spec"]["containers"][0]["ports"][1]["name"] = "dns"


# (case id, rendered file, change, expected errors); a change of None checks the object as rendered.
CASES: list[tuple[str, str, Callable[[dict[str, Any]], None], tuple[tuple[str, str], ...]]] = [
    ("service-port-duplicate", HEADLESS, _dup_port,
     (("spec.ports[4]", 'Duplicate value: {"protocol": "TCP", "port": 9042}'),)),
    ("service-port-name-duplicate", HEADLESS, _dup_port_name, (("spec.ports[4].name", 'Duplicate value: "cql"'),)),
    ("service-port-name-required", HEADLESS, _do(["spec", "ports", 1, "name"], _DELETE),
     (("spec.ports[1].name", "Required value"),)),
    ("service-port-name-label", HEADLESS, _do(["spec", "ports", 0, "name"], "cql.v2"),
     (("spec.ports[0].name", 'Invalid value: "cql.v2": a lowercase RFC 1123 label must consist of lower case '
       "alphanumeric characters or '-', and must start and end with an alphanumeric character"),)),
    ("service-target-port-iana", HEADLESS, _do(["spec", "ports", 0, "targetPort"], "9042"),
     (("spec.ports[0].targetPort", 'Invalid value: "9042": must contain at least one letter (a-z)'),)),
    ("service-target-port-hyphens", HEADLESS, _do(["spec", "ports", 0, "targetPort"], "c--ql"),
     (("spec.ports[0].targetPort", 'Invalid value: "c--ql": must not contain consecutive hyphens'),)),
    ("service-port-range", HEADLESS, _do(["spec", "ports", 0, "port"], 0),
     (("spec.ports[0].port", "Invalid value: 0: must be between 1 and 65535, inclusive"),)),
    ("service-name-dns1035", HEADLESS, _do(["metadata", "name"], "9cassandra"),
     (("metadata.name", 'Invalid value: "9cassandra": a DNS-1035 label must consist of lower case alphanumeric '
       "characters or '-', start with an alphabetic character, and end with an alphanumeric character"),)),
    ("service-headless-loadbalancer", HEADLESS, _do(["spec", "type"], "LoadBalancer"),
     (("spec.clusterIPs[0]", "Invalid value: \"None\": may not be set to 'None' for LoadBalancer services"),)),
    ("service-headless-nodeport", HEADLESS, _do(["spec", "ports", 0, "nodePort"], 30042),
     (("spec.ports[0].nodePort", "Forbidden: may not be used when `type` is 'ClusterIP'"),)),
    ("service-ports-required", LB, _do(["spec", "ports"], []), (("spec.ports", "Required value"),)),
    ("service-same-port-two-protocols", LB, lambda o: None, ()),
    ("service-source-ranges-type", HEADLESS, _do(["spec", "loadBalancerSourceRanges"], ["10.0.0.0/8"]),
     (("spec.loadBalancerSourceRanges", "Forbidden: may only be used when `type` is 'LoadBalancer'"),)),
    ("service-source-ranges-cidr", LB, _do(["spec", "loadBalancerSourceRanges"], ["10.0.0.0/33"]),
     (("spec.loadBalancerSourceRanges[0]", 'Invalid value: "10.0.0.0/33": must be a valid CIDR value'),)),
    ("service-external-traffic-policy", HEADLESS, _do(["spec", "externalTrafficPolicy"], "Local"),
     (("spec.externalTrafficPolicy", "Invalid value: may only be set for externally-accessible services"),)),
    ("service-selector-label", HEADLESS, _do(["spec", "selector", "app.kubernetes.io/name"], "-cassandra"),
     (("spec.selector[app.kubernetes.io/name]", 'Invalid value: "-cassandra": a valid label must be an empty string '
       "or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"),)),
    ("label-value-too-long", SEEDS, _do(["metadata", "labels", "app.kubernetes.io/part-of"], "p" * 64),
     (("metadata.labels[app.kubernetes.io/part-of]", f'Invalid value: "{"p" * 64}": must be no more than 63 characters'),)),
    ("label-key-prefix", SEEDS, _do(["metadata", "labels", "Fleetgen.dev/x"], "y"),
     (("metadata.labels", 'Invalid value: "Fleetgen.dev/x": prefix part a lowercase RFC 1123 subdomain must consist '
       "of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"),)),
    ("label-key-name-too-long", SEEDS, _do(["metadata", "labels", "k" * 64], "y"),
     (("metadata.labels", f'Invalid value: "{"k" * 64}": name part must be no more than 63 characters'),)),
    ("annotation-total-size", SEEDS, _big_annotation,
     (("metadata.annotations", f"Too long: may not be more than 262144 bytes (is {256 * 1024 + 1})"),)),
    ("annotation-total-size-fits", SEEDS, _fits_annotation, ()),
    ("annotation-key", SEEDS, _do(["metadata", "annotations"], {"a/b/c": "x"}),
     (("metadata.annotations", 'Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '
       "'-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain "
       "prefix and '/'"),)),
    ("metadata-finalizer", SEEDS, _do(["metadata", "finalizers"], ["fleetgen.dev/"]),
     (("metadata.finalizers", 'Invalid value: "fleetgen.dev/": name part must be non-empty'),)),
    ("namespace-field-label", SEEDS, _do(["metadata", "namespace"], "d" * 64),
     (("metadata.namespace", f'Invalid value: "{"d" * 64}": must be no more than 63 characters'),)),
    ("configmap-name-subdomain", SEEDS, _do(["metadata", "name"], "seeds_cassandra"),
     (("metadata.name", 'Invalid value: "seeds_cassandra": a lowercase RFC 1123 subdomain must consist of lower case '
       "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"),)),
    ("configmap-key", SEEDS, _do(["data", "seeds list"], "x"),
     (("data[seeds list]", "Invalid value: \"seeds list\": a valid config key must consist of alphanumeric characters, "
       "'-', '_' or '.'"),)),
    ("configmap-key-dots", SEEDS, _do(["data", "..x"], "x"), (("data[..x]", "Invalid value: \"..x\": must not start with '..'"),)),
    ("configmap-key-both-bags", SEEDS, _do(["binaryData"], {"seeds": "eA=="}),
     (("data[seeds]", 'Invalid value: "seeds": duplicate of key present in binaryData'),)),
    ("configmap-total-size", SEEDS, _do(["data", "big"], "x" * (1 << 20)),
     (("(object)", f"Too long: may not be more than 1048576 bytes (is {(1 << 20) + sum(len(v.encode()) for v in rendered(SEEDS)['data'].values())})"),)),
    ("namespace-name-label", NAMESPACE, _do(["metadata", "name"], "db.eu"),
     (("metadata.name", 'Invalid value: "db.eu": a lowercase RFC 1123 label must consist of lower case alphanumeric '
       "characters or '-', and must start and end with an alphanumeric character"),)),
    ("namespace-finalizer", NAMESPACE, _do(["spec"], {"finalizers": ["orphan"]}),
     (("spec.finalizers[0]", 'Invalid value: "orphan": name is neither a standard finalizer name nor is it fully qualified'),)),
    ("secret-sa-token-annotation", TOKEN, _do(["metadata", "annotations"], {}),
     (("metadata.annotations[kubernetes.io/service-account.name]", "Required value"),)),
    ("secret-key", TOKEN, _do(["stringData"], {"ca/crt": "x"}),
     (("data[ca/crt]", "Invalid value: \"ca/crt\": a valid config key must consist of alphanumeric characters, '-', '_' or '.'"),)),
    ("secret-size", TOKEN, _do(["stringData"], {"big": "x" * ((1 << 20) + 1)}),
     (("data", f"Too long: may not be more than 1048576 bytes (is {(1 << 20) + 1})"),)),
    ("deployment-selector-mismatch", GATEWAY + "deployment.yaml", _selector_mismatch,
     (("spec.template.metadata.labels", "Invalid value: `selector` does not match template `labels`"),)),
    ("deployment-selector-empty", GATEWAY + "deployment.yaml", _do(["spec", "selector"], {}),
     (("spec.selector", "Invalid value: empty selector is invalid for deployment"),)),
    ("deployment-replicas", GATEWAY + "deployment.yaml", _do(["spec", "replicas"], -1),
     (("spec.replicas", "Invalid value: must be greater than or equal to 0"),)),
    ("deployment-container-port-name-duplicate", GATEWAY + "deployment.yaml", _dup_container_port_name,
     (("spec.template.spec.containers[0].ports[1].name", 'Duplicate value: "dns"'),)),
    ("deployment-container-port-name-iana", GATEWAY + "deployment.yaml",
     _do(["spec", "template", "spec", "containers", 0, "ports", 0, "name"], "dns--udp"),
     (("spec.template.spec.containers[0].ports[0].name", 'Invalid value: "dns--udp": must not contain consecutive hyphens'),)),
    ("deployment-volume-mount", GATEWAY + "deployment.yaml",
     _do(["spec", "template", "spec", "volumes", 0, "name"], "conf"),
     (("spec.template.spec.containers[0].volumeMounts[0].name", 'Not found: "config"'),)),
    ("deployment-restart-policy", GATEWAY + "deployment.yaml",
     _do(["spec", "template", "spec", "restartPolicy"], "OnFailure"),
     (("spec.template.spec.restartPolicy", "Unsupported value: only 'Always' is supported"),)),
    ("deployment-probe-port", GATEWAY + "deployment.yaml",
     _do(["spec", "template", "spec", "containers", 0, "livenessProbe", "httpGet", "port"], 70000),
     (("spec.template.spec.containers[0].livenessProbe.httpGet.port", "Invalid value: 70000: must be between 1 and 65535, inclusive"),)),
    ("deployment-privilege-escalation", GATEWAY + "deployment.yaml",
     _do(["spec", "template", "spec", "containers", 0, "securityContext", "capabilities", "add"], ["CAP_SYS_ADMIN"]),
     (("spec.template.spec.containers[0].securityContext",
       "Invalid value: cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"),)),
    ("deployment-progress-deadline", GATEWAY + "deployment.yaml", _do(["spec", "progressDeadlineSeconds"], 0),
     (("spec.progressDeadlineSeconds", "Invalid value: 0: must be greater than minReadySeconds"),)),
    ("deployment-rolling-update-zero", GATEWAY + "deployment.yaml",
     _do(["spec", "strategy"], {"rollingUpdate": {"maxUnavailable": 0, "maxSurge": "0%"}}),
     (("spec.strategy.rollingUpdate.maxUnavailable", "Invalid value: may not be 0 when `maxSurge` is 0"),)),
    ("pdb-both", GATEWAY + "poddisruptionbudget.yaml", _do(["spec", "maxUnavailable"], 1),
     (("spec", "Invalid value: minAvailable and maxUnavailable cannot be both set"),)),
    ("pdb-percent", GATEWAY + "poddisruptionbudget.yaml", _do(["spec", "minAvailable"], "150%"),
     (("spec.minAvailable", 'Invalid value: "150%": must not be greater than 100%'),)),
    ("pdb-negative", GATEWAY + "poddisruptionbudget.yaml", _do(["spec", "minAvailable"], -1),
     (("spec.minAvailable", "Invalid value: -1: must be greater than or equal to 0"),)),
    ("pdb-selector-operator", GATEWAY + "poddisruptionbudget.yaml",
     _do(["spec", "selector", "matchExpressions"], [{"key": "a", "operator": "In"}]),
     (("spec.selector.matchExpressions[0].values", "Required value: must be specified when `operator` is 'In' or 'NotIn'"),)),
    ("serviceaccount-name", GATEWAY + "serviceaccount.yaml", _do(["metadata", "name"], "Gateway"),
     (("metadata.name", 'Invalid value: "Gateway": a lowercase RFC 1123 subdomain must consist of lower case '
       "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"),)),
    ("clusterrole-name", GATEWAY + "clusterrole.yaml", _do(["metadata", "name"], "fleet/dns"),
     (("metadata.name", "Invalid value: \"fleet/dns\": may not contain '/'"),)),
    ("clusterrole-verbs", GATEWAY + "clusterrole.yaml", _do(["rules", 0, "verbs"], []),
     (("rules[0].verbs", "Required value: verbs must contain at least one value"),)),
    ("clusterrole-api-groups", GATEWAY + "clusterrole.yaml", _do(["rules", 0, "apiGroups"], []),
     (("rules[0].apiGroups", "Required value: resource rules must supply at least one api group"),)),
    ("clusterrole-resource-names", GATEWAY + "clusterrole.yaml", _do(["rules", 0, "resourceNames"], ["x"]),
     (("rules[0].resourceNames", "Required value: resource names cannot apply to multiple resources"),)),
    ("clusterrolebinding-kind", GATEWAY + "clusterrolebinding.yaml", _do(["roleRef", "kind"], "Role"),
     (("roleRef.kind", 'Unsupported value: "Role": supported values: ClusterRole'),)),
    ("clusterrolebinding-group", GATEWAY + "clusterrolebinding.yaml", _do(["roleRef", "apiGroup"], "rbac"),
     (("roleRef.apiGroup", 'Unsupported value: "rbac": supported values: "rbac.authorization.k8s.io"'),)),
    ("clusterrolebinding-sa-namespace", GATEWAY + "clusterrolebinding.yaml", _do(["subjects", 0, "namespace"], _DELETE),
     (("subjects[0].namespace", "Required value"),)),
    ("custom-resource-name", IPPOOL, _do(["metadata", "name"], "Fleetgen_pods"),
     (("metadata.name", 'Invalid value: "Fleetgen_pods": a lowercase RFC 1123 subdomain must consist of lower case '
       "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"),)),
]


@pytest.mark.parametrize("rel,change,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(rel: str, change: Callable[[dict[str, Any]], None], expected: tuple[tuple[str, str], ...]) -> None:
    obj = copy.deepcopy(rendered(rel))
    assert apivalidation.object_errors(obj) == ()
    change(obj)
    assert apivalidation.object_errors(obj) == expected


def test_port_name_rules() -> None:
    assert apivalidation.port_name("intra-node") == []
    assert apivalidation.port_name("9042") == ["must contain at least one letter (a-z)"]
    assert apivalidation.port_name("a--b") == ["must not contain consecutive hyphens"]
    assert apivalidation.port_name("x" * 16) == ["must be no more than 15 characters"]


# ---- at the fleet line -------------------------------------------------------------------
FLEET = (ROOT / "fleet.yaml").read_text(encoding="utf-8")
PORTS = "      ports:\n        - {name: cql, port: 9042}\n"


def _fleet(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str) -> int:
    return text.splitlines().index(needle) + 1


def test_fleet_ports_section_present() -> None:
    assert PORTS in FLEET  # the fixtures below edit this line of the example fleet


def test_duplicate_port_refused_at_fleet_line(tmp_path: Path) -> None:
    text = FLEET.replace(PORTS, PORTS + "        - {name: cql-again, port: 9042}\n")
    path = _fleet(tmp_path, text)
    err = io.StringIO()
    assert commands.render(path, tmp_path / "out", stdout=io.StringIO(), stderr=err) == 1
    line = _line_of(text, "        - {name: cql-again, port: 9042}")
    assert err.getvalue().splitlines()[0] == (
        f"{path}:{line}:35: [error] manifest-invalid workload 'db/cassandra' lists port 9042/TCP twice "
        "(ports[0] and ports[1]); the API server refuses its Service (spec.ports[1]: Duplicate value) "
        "(clusters: aws-euwest1, gcp-europe-west4-c)"
    )
    assert not (tmp_path / "out").exists()
    out = io.StringIO()
    assert commands.check(path, out_dir=tmp_path / "out", fmt="text", stdout=out) == 1
    assert "manifest-invalid workload 'db/cassandra' lists port 9042/TCP twice" in out.getvalue()


def test_duplicate_port_name_and_iana_at_fleet_line(tmp_path: Path) -> None:
    text = FLEET.replace(PORTS, PORTS + "        - {name: cql, port: 9043}\n        - {name: a--b, port: 9044}\n")
    path = _fleet(tmp_path, text)
    loaded = pipeline.load(path, str(path))
    found = [f.parsable() for f in loaded.findings if f.rule == "manifest-invalid"]
    assert found == [
        f"{path}:{_line_of(text, '        - {name: cql, port: 9043}')}:18: [error] manifest-invalid workload 'db/cassandra' "
        "names two ports 'cql' (ports[0] and ports[1]); the API server refuses its Service (spec.ports[1].name: Duplicate value)",
        f"{path}:{_line_of(text, '        - {name: a--b, port: 9044}')}:18: [error] manifest-invalid workload 'db/cassandra' "
        "port name 'a--b' is not an IANA service name (a container port name): must not contain consecutive hyphens",
    ]


def test_workload_name_dns1035_at_fleet_line(tmp_path: Path) -> None:
    text = FLEET.replace("    - name: cassandra\n", "    - name: 1cassandra\n", 1)
    assert text != FLEET
    path = _fleet(tmp_path, text)
    found = [f.parsable() for f in pipeline.load(path, str(path)).findings if f.rule == "manifest-invalid"]
    assert found == [
        f"{path}:{_line_of(text, '    - name: 1cassandra')}:13: [error] manifest-invalid workload name '1cassandra' names "
        "its Service, which must be a DNS-1035 label: a DNS-1035 label must consist of lower case alphanumeric "
        "characters or '-', start with an alphabetic character, and end with an alphanumeric character"
    ]


def test_valid_fleet_has_no_api_findings(tmp_path: Path) -> None:
    path = _fleet(tmp_path, FLEET)
    loaded = pipeline.load(path, str(path))
    assert loaded.ok and [f for f in loaded.findings if f.rule == "manifest-invalid"] == []
    assert loaded.fleet is not None
    assert [f for f in pipeline.render_output(loaded.fleet).findings if f.rule == "manifest-invalid"] == []


def test_render_hook_locates_rendered_error_at_fleet_ports(tmp_path: Path) -> None:
    """The rendered-object check (not only the fleet check) points a Service error at the workload's ports."""
    text = FLEET.replace(PORTS, PORTS + "        - {name: cql-again, port: 9042}\n")
    path = _fleet(tmp_path, text)
    document = load_file(path, str(path))
    fleet = build(document.data, document.source)  # the model, without the fleet checks that would refuse it
    output = pipeline.render_output(fleet)
    found = sorted({f.parsable() for f in output.findings if f.rule == "manifest-invalid"})
    ports_line = _line_of(text, PORTS.splitlines()[1])  # the value of `ports:` starts at its first entry
    assert found == [
        f"{path}:{ports_line}:9: [error] manifest-invalid Service db/cassandra in output/clusters/{c}/workloads/db/"
        "cassandra/service-headless.yaml: spec.ports[1]: Duplicate value: {\"protocol\": \"TCP\", \"port\": 9042} "
        "(the API server refuses it)"
        for c in ("aws-euwest1", "gcp-europe-west4-c")
    ]


def test_render_hook_locates_cluster_name(tmp_path: Path) -> None:
    """An object name that breaks a rule because of a cluster's name points at that cluster's name."""
    fleet_path = _fleet(tmp_path, FLEET)
    document = load_file(fleet_path, str(fleet_path))
    fleet = build(document.data, document.source)
    obj = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "fleet-dns-reader-aws-euwest1-token_",
                                                             "namespace": "fleet-dns"}}
    findings = apivalidation.validate(fleet, {"clusters/gcp-europe-west4-c/x.yaml": obj})
    assert [f.location for f in findings] == [fleet.source.locate(f"{fleet.clusters[0].pointer}/name")]
    assert findings[0].clusters == ("gcp-europe-west4-c",)


def test_each_distinct_object_checked_once(tmp_path: Path) -> None:
    fleet_path = _fleet(tmp_path, FLEET)
    document = load_file(fleet_path, str(fleet_path))
    fleet = build(document.data, document.source)
    bad = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "Db"}}
    cache: dict[str, tuple[tuple[str, str], ...]] = {}
    files = {f"clusters/c{i}/namespaces/db.yaml": copy.deepcopy(bad) for i in range(5)}
    findings = apivalidation.validate(fleet, files, cache=cache)
    assert len(findings) == 5 and len(cache) == 1


def test_render_hook_locates_namespace_and_fleet_name(tmp_path: Path) -> None:
    """A Namespace file points at the workload's namespace; a label carrying the fleet's name at metadata.name."""
    fleet_path = _fleet(tmp_path, FLEET)
    document = load_file(fleet_path, str(fleet_path))
    fleet = build(document.data, document.source)
    workload = fleet.workloads[0]
    bad_ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "db", "labels": {"x": "-"}}}
    part_of = f"{fleet.name}-{'k' * 60}"
    bad_label = {"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "c", "namespace": "db", "labels": {"app.kubernetes.io/part-of": part_of}}}
    findings = apivalidation.validate(fleet, {"clusters/aws-euwest1/namespaces/db.yaml": bad_ns,
                                              "hub/configmap.yaml": bad_label})
    assert [(f.location, f.clusters) for f in findings] == [
        (fleet.source.locate(f"{workload.pointer}/namespace"), ("aws-euwest1",)),
        (fleet.source.locate("/metadata/name"), ()),
    ]
    assert findings[1].message == (
        f"ConfigMap db/c in output/hub/configmap.yaml: metadata.labels[app.kubernetes.io/part-of]: Invalid value: "
        f'"{part_of}": must be no more than 63 characters (the API server refuses it)'
    )


def test_unlocatable_error_stays_at_the_output_file(tmp_path: Path) -> None:
    fleet_path = _fleet(tmp_path, FLEET)
    document = load_file(fleet_path, str(fleet_path))
    fleet = build(document.data, document.source)
    obj = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
           "metadata": {"name": "p", "namespace": "fleet-dns"}, "spec": {"minAvailable": 1, "maxUnavailable": 1}}
    findings = apivalidation.validate(fleet, {"clusters/aws-euwest1/dns/pdb.yaml": obj}, out_dir="out")
    assert [f.parsable() for f in findings] == [
        "out/clusters/aws-euwest1/dns/pdb.yaml:1:1: [error] manifest-invalid PodDisruptionBudget fleet-dns/p in "
        "out/clusters/aws-euwest1/dns/pdb.yaml: spec: Invalid value: minAvailable and maxUnavailable cannot be both set "
        "(the API server refuses it)"
    ]
