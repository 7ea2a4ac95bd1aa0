"""Derive generator/schemas/crds/*.json from upstream CustomResourceDefinitions (a maintainer's tool).

    python tools/crd_schemas.py OUT_DIR CRD.yaml[@SOURCE] ...

Each CRD file (YAML, one or more documents; Helm template lines ``{{ ... }}``
are dropped) yields one JSON Schema (draft 2020-12) per served version,
``<kind>-<group>-<version>.json``, that accepts exactly what the API server's
structural schema accepts, strictly: an object with ``properties`` and neither
``additionalProperties`` nor ``x-kubernetes-preserve-unknown-fields`` rejects
unknown fields (what ``kubectl apply --validate=strict`` does). Translation:

- ``x-kubernetes-int-or-string`` -> integer or string; ``nullable`` -> also null;
- ``x-kubernetes-preserve-unknown-fields`` -> unknown fields allowed;
- ``metadata`` -> the Kubernetes ObjectMeta definition shared with the built-in schemas;
- a Go inline flag after ``^`` moves to the front of the pattern (Python's ``re`` needs it there);
- descriptions, examples, CEL rules (``x-kubernetes-validations``) and list/map
  markers are dropped: facts only, and CEL is not evaluated here; the few upstream
  rules fleetgen relies on are restated in JSON Schema (``UPSTREAM_RULES``, with their source);
- subschemas repeated verbatim (Argo CD's ApplicationSet repeats the Application
  template in every generator) are stored once under ``$defs``.

SOURCE (e.g. ``argoproj/argo-cd@v3.5.1:manifests/crds/application-crd.yaml``) is
recorded in the schema's title; the pinned versions are listed in docs/upstream-facts.md.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

OBJECT_META = "/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
DROP = {
    "description", "example", "externalDocs", "x-kubernetes-validations", "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys", "x-kubernetes-map-type", "x-kubernetes-embedded-resource",
}
MIN_SHARED = 1500
# Upstream rules that the structural schema does not carry (CEL x-kubernetes-validations, or the
# project's own admission validator), restated in JSON Schema: schema file -> spec constraints.
UPSTREAM_RULES: dict[str, list[dict[str, Any]]] = {
    # CEL on IPPoolSpec: "ipipMode and vxlanMode cannot both be enabled" (calico api/config/crd, v3.32.1)
    "ippool-projectcalico.org-v3.json": [{"not": {
        "required": ["ipipMode", "vxlanMode"],
        "properties": {"ipipMode": {"enum": ["Always", "CrossSubnet"]}, "vxlanMode": {"enum": ["Always", "CrossSubnet"]}},
    }}],
    # CEL on BGPPeerSpec: node and nodeSelector not both; libcalico-go/lib/validator/v3/validator.go (v3.32.1):
    # PeerIP, ASNumber and LocalWorkloadSelector must be empty when PeerSelector is set
    "bgppeer-projectcalico.org-v3.json": [
        {"not": {"required": ["node", "nodeSelector"], "properties": {"node": {"minLength": 1},
                                                                       "nodeSelector": {"minLength": 1}}}},
        {"not": {"anyOf": [{"required": ["peerSelector", "peerIP"]}, {"required": ["peerSelector", "asNumber"]},
                           {"required": ["peerSelector", "localWorkloadSelector"]}]}},
    ],
    # CEL on BGPConfigurationSpec: nodeMeshPassword cannot be set when nodeToNodeMeshEnabled is false
    "bgpconfiguration-projectcalico.org-v3.json": [{"not": {
        "required": ["nodeMeshPassword", "nodeToNodeMeshEnabled"],
        "properties": {"nodeToNodeMeshEnabled": {"const": False}},
    }}],
}  # bytes of canonical JSON: smaller repeated subschemas stay inline


def convert(node: Any) -> Any:
    if isinstance(node, list):
        return [convert(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    preserve = bool(node.get("x-kubernetes-preserve-unknown-fields"))
    for key, value in node.items():
        if key in DROP or key in ("x-kubernetes-preserve-unknown-fields", "nullable", "x-kubernetes-int-or-string"):
            continue
        if key == "properties":
            out[key] = {k: convert(v) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = convert(value)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [convert(v) for v in value]
        elif key == "pattern" and isinstance(value, str):
            out[key] = python_pattern(value)
        else:
            out[key] = value
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["type"] = ["integer", "string"]
    if node.get("nullable") and "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = types + ["null"]
    if "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    if "enum" in out and node.get("nullable"):
        out["enum"] = list(out["enum"]) + [None]
    return out


def python_pattern(pattern: str) -> str:
    """Go (RE2) allows inline flags after ``^`` (Calico's ``^(?i)(Info|...)$``); Python wants them first."""
    match = re.match(r"^\^\(\?([a-z]+)\)", pattern)
    return f"(?{match.group(1)})^{pattern[match.end():]}" if match else pattern


def _canonical(node: Any) -> str:
    return json.dumps(node, sort_keys=True, separators=(",", ":"))


def _children(node: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(key, index or name, subschema) of every subschema of a schema (never its data: enum, default ...)."""
    out: list[tuple[str, Any, Any]] = []
    for key in ("properties", "patternProperties"):
        for name, sub in (node.get(key) or {}).items():
            out.append((key, name, sub))
    for key in ("items", "additionalProperties", "not"):
        if isinstance(node.get(key), dict):
            out.append((key, None, node[key]))
    for key in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(node.get(key) or []):
            out.append((key, i, sub))
    return out


def share(schema: dict[str, Any]) -> dict[str, Any]:
    """Move subschemas that occur more than once (and are big) into $defs, biggest first."""
    counts: dict[str, int] = {}

    def count(node: dict[str, Any], top: bool) -> None:
        if not top:
            text = _canonical(node)
            if len(text) >= MIN_SHARED:
                counts[text] = counts.get(text, 0) + 1
        for _, _, sub in _children(node):
            count(sub, False)

    count(schema, True)
    shared = {t for t, n in counts.items() if n > 1}
    if not shared:
        return schema
    defs: dict[str, Any] = {}

    def replace(node: dict[str, Any], top: bool) -> dict[str, Any]:
        text = _canonical(node)
        if not top and text in shared:
            name = "s" + hashlib.sha256(text.encode()).hexdigest()[:12]
            if name not in defs:
                defs[name] = {}
                defs[name] = rebuild(node)
            return {"$ref": f"#/$defs/{name}"}
        return rebuild(node)

    def rebuild(node: dict[str, Any]) -> dict[str, Any]:
        out = dict(node)
        for key in ("properties", "patternProperties"):
            if isinstance(node.get(key), dict):
                out[key] = {name: replace(sub, False) for name, sub in node[key].items()}
        for key in ("items", "additionalProperties", "not"):
            if isinstance(node.get(key), dict):
                out[key] = replace(node[key], False)
        for key in ("allOf", "anyOf", "oneOf"):
            if isinstance(node.get(key), list):
                out[key] = [replace(sub, False) for sub in node[key]]
        return out

    out = replace(schema, True)
    out["$defs"] = dict(sorted(defs.items()))
    return out


def schemas(crd: dict[str, Any], source: str) -> dict[str, dict[str, Any]]:
    spec = crd["spec"]
    group, kind = spec["group"], spec["names"]["kind"]
    out = {}
    for version in spec["versions"]:
        if not version.get("served", True):
            continue
        raw = version.get("schema", {}).get("openAPIV3Schema", {})
        body = convert(raw)
        props = dict(body.get("properties", {}))
        props["apiVersion"] = {"const": f"{group}/{version['name']}"}
        props["kind"] = {"const": kind}
        props["metadata"] = {"$ref": OBJECT_META}
        required = ["apiVersion", "kind", "metadata"] + [r for r in body.get("required", []) if r not in
                                                          ("apiVersion", "kind", "metadata")]
        schema: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"{kind} ({group}/{version['name']}), derived from {source} by tools/crd_schemas.py",
            "type": "object",
            "additionalProperties": False,
            "required": required,
            "properties": dict(sorted(props.items())),
        }
        name = f"{kind.lower()}-{group}-{version['name']}.json"
        if name in UPSTREAM_RULES and "spec" in schema["properties"]:
            schema["properties"]["spec"] = dict(schema["properties"]["spec"], allOf=UPSTREAM_RULES[name])
        out[name] = share(schema)
    return out


def load(path: Path) -> list[dict[str, Any]]:
    text = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if "{{" not in line)
    docs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    return [d for d in docs if d.get("kind") == "CustomResourceDefinition"]


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = Path(argv[0])
    wanted = {p.name for p in out_dir.glob("*.json")}
    for arg in argv[1:]:
        path_text, _, source = arg.partition("@")
        for crd in load(Path(path_text)):
            for name, schema in schemas(crd, source or path_text).items():
                if name in wanted:
                    (out_dir / name).write_text(json.dumps(schema, indent=1, sort_keys=False) + "\n", encoding="utf-8")
                    print(f"wrote {out_dir / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
