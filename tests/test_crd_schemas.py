"""The shipped CRD schemas (generator/schemas/crds/, derived from the pinned upstream CRDs by
tools/crd_schemas.py) accept what upstream accepts: one maximal example per kind, written from
the upstream field reference, must validate; unknown fields still fail."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator import manifests

EXAMPLES = Path(__file__).parent / "fleets" / "crd-examples"
CASES = sorted(p.name for p in EXAMPLES.glob("*.yaml"))
SHIPPED = manifests.shipped_crd_schemas()


def _validate(obj: dict) -> list[str]:
    report = manifests.validate([("x.yaml", obj)], "1.33")
    assert report.skipped == (), f"no schema for {report.skipped}"
    return [f.message for f in report.findings]


@pytest.mark.parametrize("case", CASES)
def test_a_maximal_upstream_example_validates(case: str) -> None:
    obj = yaml.safe_load((EXAMPLES / case).read_text())
    assert _validate(obj) == []


@pytest.mark.parametrize("case", CASES)
def test_an_unknown_spec_field_is_still_an_error(case: str) -> None:
    obj = yaml.safe_load((EXAMPLES / case).read_text())
    obj["spec"]["notAnUpstreamField"] = True
    assert _validate(obj) == [
        f"{obj['kind']} {obj['metadata']['name']}: spec: Additional properties are not allowed "
        "('notAnUpstreamField' was unexpected)"
    ]


def test_every_shipped_crd_schema_has_a_maximal_example() -> None:
    kinds = {yaml.safe_load((EXAMPLES / c).read_text())["kind"].lower() for c in CASES}
    shipped = {p.name.split("-", 1)[0] for p in SHIPPED.glob("*.json")}
    assert shipped <= kinds


def test_the_fields_the_audit_found_rejected_are_accepted() -> None:
    app = yaml.safe_load((EXAMPLES / "application.yaml").read_text())
    assert app["operation"]["sync"]["revision"] == "HEAD"
    assert app["spec"]["source"]["helm"]["skipSchemaValidation"] is True
    hr = yaml.safe_load((EXAMPLES / "helmrelease.yaml").read_text())
    assert {"rollback", "test", "maxHistory"} <= set(hr["spec"])
    pool = yaml.safe_load((EXAMPLES / "ippool.yaml").read_text())
    assert pool["spec"]["blockSize"] < 20
    for case in ("application.yaml", "helmrelease.yaml", "ippool.yaml", "bgppeer.yaml", "gateway.yaml"):
        assert _validate(yaml.safe_load((EXAMPLES / case).read_text())) == []


def _tool():  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location("crd_schemas", Path(__file__).parent.parent / "tools" / "crd_schemas.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_derivation_translates_structural_schema_markers() -> None:
    tool = _tool()
    big = {"type": "object", "properties": {f"f{i}": {"type": "string", "description": "x" * 50} for i in range(120)}}
    crd = {
        "spec": {
            "group": "example.com", "names": {"kind": "Thing"},
            "versions": [{"name": "v1", "served": True, "schema": {"openAPIV3Schema": {
                "type": "object", "description": "prose is dropped",
                "properties": {
                    "spec": {"type": "object", "required": ["port"], "properties": {
                        "port": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
                        "maybe": {"type": "string", "nullable": True},
                        "values": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                        "level": {"type": "string", "pattern": "^(?i)(info|debug)$"},
                        "a": big, "b": big,
                    }},
                },
            }}}],
        }
    }
    schema = tool.schemas(crd, "example/thing@v1")["thing-example.com-v1.json"]
    spec = schema["properties"]["spec"]
    assert "description" not in schema
    assert spec["additionalProperties"] is False and spec["required"] == ["port"]
    assert spec["properties"]["port"]["type"] == ["integer", "string"]
    assert spec["properties"]["maybe"]["type"] == ["string", "null"]
    assert "additionalProperties" not in spec["properties"]["values"]
    assert spec["properties"]["level"]["pattern"] == "(?i)^(info|debug)$"
    assert spec["properties"]["a"] == spec["properties"]["b"] and "$ref" in spec["properties"]["a"]
    assert list(schema["$defs"]) == [spec["properties"]["a"]["$ref"].rsplit("/", 1)[1]]
