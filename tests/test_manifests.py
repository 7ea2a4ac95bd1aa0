"""Rendered objects are validated against strict Kubernetes and CRD schemas, loaded once."""

from __future__ import annotations

import copy

from generator import manifests, pipeline
from tests.conftest import ROOT


def example_files() -> dict[str, dict]:  # type: ignore[type-arg]
    loaded = pipeline.load(ROOT / "fleet.yaml", "fleet.yaml")
    assert loaded.fleet is not None
    return pipeline.render_output(loaded.fleet).files


def test_example_is_fully_validated_including_hub_crds() -> None:
    files = example_files()
    yaml_files = {p: o for p, o in files.items() if p.endswith(".yaml")}
    report = manifests.validate(yaml_files.items(), "1.33")
    assert report.findings == ()
    assert report.skipped == ()
    assert report.validated == len(yaml_files) - 3  # the three kustomization.yaml files are not API objects


def test_typos_in_core_and_crd_objects_are_found() -> None:
    files = example_files()
    appset = copy.deepcopy(files["hub/argocd/applicationset.yaml"])
    appset["spec"]["template"]["spec"]["destinaton"] = appset["spec"]["template"]["spec"].pop("destination")
    svc = copy.deepcopy(files["clusters/aws-euwest1/dns/service-dns-endpoint.yaml"])
    svc["spec"]["ports"][0]["port"] = "53"
    report = manifests.validate([("hub/appset.yaml", appset), ("svc.yaml", svc)], "1.33")
    assert [f.parsable() for f in report.findings] == [
        "output/hub/appset.yaml:1:1: [error] manifest-schema ApplicationSet stateful-eu: spec.template.spec: "
        "'destination' is a required property",
        "output/hub/appset.yaml:1:1: [error] manifest-schema ApplicationSet stateful-eu: spec.template.spec: "
        "Additional properties are not allowed ('destinaton' was unexpected)",
        "output/svc.yaml:1:1: [error] manifest-schema Service fleet-dns: spec.ports[0].port: '53' is not of type 'integer'",
    ]


def test_unknown_kinds_are_reported_as_not_validated() -> None:
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {}}
    report = manifests.validate([("w.yaml", obj)], "1.33")
    assert report.findings == ()
    assert report.skipped == (("example.com/v1", "Widget"),)


def test_schema_version_follows_the_fleet() -> None:
    # EndpointSlice v1beta1 was removed in 1.25: the 1.25 schemas no longer know it
    obj = {"apiVersion": "discovery.k8s.io/v1beta1", "kind": "EndpointSlice", "metadata": {"name": "x"}, "addressType": "IPv4", "endpoints": []}
    assert manifests.validate([("x.yaml", obj)], "1.25").skipped == (("discovery.k8s.io/v1beta1", "EndpointSlice"),)


def test_every_kind_any_example_renders_has_a_schema() -> None:
    for fleet_file in sorted(ROOT.glob("examples/*/fleet.yaml")):
        loaded = pipeline.load(fleet_file, "fleet.yaml")
        assert loaded.fleet is not None, fleet_file
        output = pipeline.render_output(loaded.fleet)
        assert output.unvalidated_kinds == (), f"{fleet_file}: add schemas for {output.unvalidated_kinds}"
        assert output.findings == (), fleet_file


def test_typos_in_discovery_resources_are_found() -> None:
    dialer = {
        "apiVersion": "consul.hashicorp.com/v1alpha1", "kind": "PeeringDialer", "metadata": {"name": "b"},
        "spec": {"peer": {"secret": {"name": "consul-peering-a-b", "key": "data", "backnd": "kubernetes"}}},
    }
    export = {"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceExport", "metadata": {"name": "db"}, "spec": {"ports": []}}
    report = manifests.validate([("dialer.yaml", dialer), ("export.yaml", export)], "1.33")
    assert [f.parsable() for f in report.findings] == [
        "output/dialer.yaml:1:1: [error] manifest-schema PeeringDialer b: spec.peer.secret: Additional properties are not allowed ('backnd' was unexpected)",
        "output/export.yaml:1:1: [error] manifest-schema ServiceExport db: spec: Additional properties are not allowed ('ports' was unexpected)",
    ]


def test_each_distinct_object_is_validated_once_and_reported_at_every_path(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    svc = copy.deepcopy(example_files()["clusters/aws-euwest1/dns/service-dns-endpoint.yaml"])
    svc["spec"]["ports"][0]["port"] = "53"
    same = copy.deepcopy(svc)  # equal content, another object: a headless Service in every cluster of a group
    schemas = manifests.schema_set("1.33", ())  # the key validate() looks up
    validator = schemas.validator("v1", "Service")
    assert validator is not None
    calls: list[object] = []

    class Counting:
        def iter_errors(self, obj):  # type: ignore[no-untyped-def]
            calls.append(obj)
            return validator.iter_errors(obj)

    monkeypatch.setitem(schemas._validators, ("v1", "Service"), Counting())
    report = manifests.validate([("a/svc.yaml", svc), ("b/svc.yaml", same), ("c/svc.yaml", svc)], "1.33")
    assert len(calls) == 1
    assert report.validated == 3
    assert [f.parsable() for f in report.findings] == [
        f"output/{c}/svc.yaml:1:1: [error] manifest-schema Service fleet-dns: spec.ports[0].port: '53' is not of type 'integer'"
        for c in "abc"
    ]
