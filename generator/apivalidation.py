"""Validate rendered objects as the Kubernetes API server does, beyond OpenAPI.

The strict OpenAPI schemas (``generator.manifests``) cannot say "port names are
unique" or "the selector matches the template labels"; the API server's
hand-written validation does, and refuses the object (so the whole Argo CD / Flux
sync of that cluster fails). This module re-implements, for the kinds fleetgen
renders, the rules of the upstream validation code at the pinned Kubernetes
version; docs/upstream-facts.md ("API server validation") cites each one.

``object_errors`` is a pure function of one object: ``(field path, message)``
pairs. ``validate`` runs it over a render, once per distinct object (a cache keyed
by the object's canonical JSON: a 1,000-cluster fleet renders the same Namespace
or gateway Deployment hundreds of times) and turns each error into a
``manifest-invalid`` finding located at the fleet line that caused it where one
exists (a workload's ``ports``, a cluster's ``name``), else at the output file.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from typing import Any, Callable, Iterable, Iterator

from generator.diagnostics import Finding, Location, error
from generator.model import Fleet, Workload

RULE = "manifest-invalid"

Errors = Iterator[tuple[str, str]]  # (field path, message)

# --- k8s.io/apimachinery/pkg/util/validation/validation.go ---------------------------
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_CONFIG_MAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_PORT_NAME_CHARS = re.compile(r"^[-a-z0-9]+$")
_PERCENT = re.compile(r"^[0-9]+%$")

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * (1 << 10)  # apimachinery TotalAnnotationSizeLimitB
MAX_CONFIG_SIZE = 1 << 20  # core.MaxSecretSize, used for ConfigMaps and Secrets


def dns1123_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _DNS1123_LABEL.match(value):
        errs.append("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                    "and must start and end with an alphanumeric character")
    return errs


def dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append("must be no more than 253 characters")
    if not _DNS1123_SUBDOMAIN.match(value):
        errs.append("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                    "and must start and end with an alphanumeric character")
    return errs


def dns1035_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _DNS1035_LABEL.match(value):
        errs.append("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                    "alphabetic character, and end with an alphanumeric character")
    return errs


def path_segment_name(value: str) -> list[str]:
    """apimachinery path.IsValidPathSegmentName (RBAC object names)."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]


def port_name(value: str) -> list[str]:
    """IsValidPortName: an IANA_SVC_NAME (RFC 6335), lower case only."""
    errs = []
    if len(value) > 15:
        errs.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARS.match(value):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", value):
        errs.append("must contain at least one letter (a-z)")
    if "--" in value:
        errs.append("must not contain consecutive hyphens")
    if value.startswith("-") or value.endswith("-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def qualified_name(value: str) -> list[str]:
    """IsQualifiedName: label and annotation keys, ``[prefix/]name``."""
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
        errs = []
    elif len(parts) == 2:
        prefix, name = parts
        errs = ["prefix part must be non-empty"] if not prefix else [f"prefix part {m}" for m in dns1123_subdomain(prefix)]
    else:
        return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                "with an alphanumeric character, with an optional DNS subdomain prefix and '/'"]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    if name and not _QUALIFIED_NAME.match(name):
        errs.append("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                    "with an alphanumeric character")
    return errs


def label_value(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _LABEL_VALUE.match(value):
        errs.append("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                    "and must start and end with an alphanumeric character")
    return errs


def config_map_key(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append("must be no more than 253 characters")
    if not _CONFIG_MAP_KEY.match(value):
        errs.append("a valid config key must consist of alphanumeric characters, '-', '_' or '.'")
    if value in (".", ".."):
        errs.append(f"must not be '{value}'")
    elif value.startswith(".."):
        errs.append("must not start with '..'")
    return errs


# --- generic pieces -----------------------------------------------------------------
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _each(path: str, messages: Iterable[str], value: Any) -> Errors:
    for message in messages:
        yield path, f"Invalid value: {json.dumps(value)}: {message}"


def label_map(values: Any, path: str) -> Errors:
    """metav1 validation ValidateLabels."""
    if not isinstance(values, dict):
        return
    for key, value in values.items():
        yield from _each(path, qualified_name(str(key)), key)
        yield from _each(f"{path}[{key}]", label_value(str(value)) if isinstance(value, str) else ["must be a string"], value)


def annotation_map(values: Any, path: str) -> Errors:
    """apimachinery ValidateAnnotations: keys are qualified names (lower-cased), total size 256 KiB."""
    if not isinstance(values, dict):
        return
    total = 0
    for key, value in values.items():
        yield from _each(path, qualified_name(str(key).lower()), key)
        total += len(str(key).encode()) + len(str(value).encode())
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        yield path, f"Too long: may not be more than {TOTAL_ANNOTATION_SIZE_LIMIT} bytes (is {total})"


def label_selector(selector: Any, path: str) -> Errors:
    """metav1 validation ValidateLabelSelector."""
    if not isinstance(selector, dict):
        return
    yield from label_map(selector.get("matchLabels"), f"{path}.matchLabels")
    for i, expr in enumerate(selector.get("matchExpressions") or []):
        where = f"{path}.matchExpressions[{i}]"
        op, values = expr.get("operator"), expr.get("values") or []
        if op in ("In", "NotIn") and not values:
            yield f"{where}.values", "Required value: must be specified when `operator` is 'In' or 'NotIn'"
        elif op in ("Exists", "DoesNotExist") and values:
            yield f"{where}.values", "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
        elif op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            yield f"{where}.operator", f"Invalid value: {json.dumps(op)}: not a valid selector operator"
        yield from _each(f"{where}.key", qualified_name(str(expr.get("key", ""))), expr.get("key"))


def _selector_matches(selector: Any, target: dict[str, Any]) -> bool:
    if not isinstance(selector, dict):
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if target.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in target
        if (op == "In" and target.get(key) not in values) or (op == "NotIn" and present and target[key] in values):
            return False
        if (op == "Exists" and not present) or (op == "DoesNotExist" and present):
            return False
    return True


# Names per kind (the nameFn each kind's ValidateObjectMeta call passes); default DNS-1123 subdomain.
NAME_RULES: dict[str, Callable[[str], list[str]]] = {
    "Service": dns1035_label,
    "Namespace": dns1123_label,
    "ClusterRole": path_segment_name,
    "ClusterRoleBinding": path_segment_name,
    "Role": path_segment_name,
    "RoleBinding": path_segment_name,
}
# Cluster-scoped kinds fleetgen renders (metadata.namespace is not validated for them).
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "BGPConfiguration", "BGPPeer", "IPPool",
                  "ClusterProperty"}


def object_meta(obj: dict[str, Any]) -> Errors:
    """apimachinery ValidateObjectMetaAccessor: name, namespace, labels, annotations."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        yield "metadata", "Required value"
        return
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        yield "metadata.name", "Required value: name or generateName is required"
    else:
        yield from _each("metadata.name", NAME_RULES.get(obj.get("kind", ""), dns1123_subdomain)(name), name)
    namespace = meta.get("namespace")
    if obj.get("kind") not in CLUSTER_SCOPED and isinstance(namespace, str) and namespace:
        yield from _each("metadata.namespace", dns1123_label(namespace), namespace)
    yield from label_map(meta.get("labels"), "metadata.labels")
    yield from annotation_map(meta.get("annotations"), "metadata.annotations")
    for finalizer in meta.get("finalizers") or []:
        yield from _each("metadata.finalizers", qualified_name(str(finalizer)), finalizer)


# --- per kind -------------------------------------------------------------------------
def _port_number(value: Any, path: str) -> Errors:
    if not _is_int(value) or not 1 <= value <= 65535:
        yield path, f"Invalid value: {json.dumps(value)}: must be between 1 and 65535, inclusive"


def _port_num_or_name(value: Any, path: str) -> Errors:
    """ValidatePortNumOrName (targetPort, probe ports)."""
    if isinstance(value, str):
        yield from _each(path, port_name(value), value)
    elif value is not None:
        yield from _port_number(value, path)


def service(obj: dict[str, Any]) -> Errors:
    """core ValidateService + validateServicePort."""
    spec = obj.get("spec") or {}
    kind = spec.get("type", "ClusterIP")
    headless = spec.get("clusterIP") == "None"
    ports = spec.get("ports") or []
    if not ports and not headless and kind != "ExternalName":
        yield "spec.ports", "Required value"
    if headless and kind in ("NodePort", "LoadBalancer"):
        yield "spec.clusterIPs[0]", f"Invalid value: \"None\": may not be set to 'None' for {kind} services"
    if "clusterIPs" in spec and headless and spec["clusterIPs"] != ["None"]:
        yield "spec.clusterIPs", "Invalid value: must be ['None'] when clusterIP is 'None' (headless)"
    names: set[str] = set()
    pairs: set[tuple[str, Any]] = set()
    for i, port in enumerate(ports):
        where = f"spec.ports[{i}]"
        name = port.get("name") or ""
        if len(ports) > 1 and not name:
            yield f"{where}.name", "Required value"
        elif name:
            yield from _each(f"{where}.name", dns1123_label(name), name)
            if name in names:
                yield f"{where}.name", f"Duplicate value: {json.dumps(name)}"
            names.add(name)
        yield from _port_number(port.get("port"), f"{where}.port")
        yield from _port_num_or_name(port.get("targetPort"), f"{where}.targetPort")
        key = (port.get("protocol", "TCP"), port.get("port"))
        if key in pairs:
            yield where, f"Duplicate value: {json.dumps({'protocol': key[0], 'port': key[1]})}"
        pairs.add(key)
        if kind == "ClusterIP" and port.get("nodePort"):
            yield f"{where}.nodePort", "Forbidden: may not be used when `type` is 'ClusterIP'"
    for i, cidr in enumerate(spec.get("loadBalancerSourceRanges") or []):
        if kind != "LoadBalancer":
            yield "spec.loadBalancerSourceRanges", "Forbidden: may only be used when `type` is 'LoadBalancer'"
            break
        if not _is_cidr(str(cidr).strip()):
            yield f"spec.loadBalancerSourceRanges[{i}]", f"Invalid value: {json.dumps(cidr)}: must be a valid CIDR value"
    if "allocateLoadBalancerNodePorts" in spec and kind != "LoadBalancer":
        yield "spec.allocateLoadBalancerNodePorts", "Forbidden: may only be used when `type` is 'LoadBalancer'"
    if spec.get("externalTrafficPolicy") and kind not in ("NodePort", "LoadBalancer") and not spec.get("externalIPs"):
        yield "spec.externalTrafficPolicy", "Invalid value: may only be set for externally-accessible services"
    yield from label_map(spec.get("selector"), "spec.selector")


def _is_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return "/" in text


def _decoded_size(value: Any) -> int:
    try:
        return len(base64.b64decode(str(value), validate=True))
    except (binascii.Error, ValueError):
        return len(str(value).encode())


def config_map(obj: dict[str, Any]) -> Errors:
    """core ValidateConfigMap: keys, no key in both data and binaryData, total size 1 MiB."""
    total = 0
    data, binary = obj.get("data") or {}, obj.get("binaryData") or {}
    for key, value in data.items():
        yield from _each(f"data[{key}]", config_map_key(str(key)), key)
        if key in binary:
            yield f"data[{key}]", f"Invalid value: {json.dumps(key)}: duplicate of key present in binaryData"
        total += len(str(value).encode())
    for key, value in binary.items():
        yield from _each(f"binaryData[{key}]", config_map_key(str(key)), key)
        total += _decoded_size(value)
    if total > MAX_CONFIG_SIZE:
        yield "(object)", f"Too long: may not be more than {MAX_CONFIG_SIZE} bytes (is {total})"


def secret(obj: dict[str, Any]) -> Errors:
    """core ValidateSecret (stringData is merged into data before validation)."""
    sizes = {str(k): _decoded_size(v) for k, v in (obj.get("data") or {}).items()}
    sizes.update({str(k): len(str(v).encode()) for k, v in (obj.get("stringData") or {}).items()})
    for key in sizes:
        yield from _each(f"data[{key}]", config_map_key(key), key)
    total = sum(sizes.values())
    if total > MAX_CONFIG_SIZE:
        yield "data", f"Too long: may not be more than {MAX_CONFIG_SIZE} bytes (is {total})"
    if obj.get("type") == "kubernetes.io/service-account-token":
        if not ((obj.get("metadata") or {}).get("annotations") or {}).get("kubernetes.io/service-account.name"):
            yield "metadata.annotations[kubernetes.io/service-account.name]", "Required value"


def _pod_template(template: Any, path: str) -> Errors:
    """ValidatePodTemplateSpec: the parts fleetgen renders (containers, ports, volumes)."""
    if not isinstance(template, dict):
        yield path, "Required value"
        return
    yield from label_map((template.get("metadata") or {}).get("labels"), f"{path}.metadata.labels")
    yield from annotation_map((template.get("metadata") or {}).get("annotations"), f"{path}.metadata.annotations")
    spec = template.get("spec") or {}
    volumes: set[str] = set()
    for i, volume in enumerate(spec.get("volumes") or []):
        name = volume.get("name", "")
        yield from _each(f"{path}.spec.volumes[{i}].name", dns1123_label(name), name)
        if name in volumes:
            yield f"{path}.spec.volumes[{i}].name", f"Duplicate value: {json.dumps(name)}"
        volumes.add(name)
    containers: set[str] = set()
    port_names: set[str] = set()
    for group in ("initContainers", "containers"):
        for i, container in enumerate(spec.get(group) or []):
            where = f"{path}.spec.{group}[{i}]"
            name = container.get("name", "")
            yield from _each(f"{where}.name", dns1123_label(name), name)
            if name in containers:
                yield f"{where}.name", f"Duplicate value: {json.dumps(name)}"
            containers.add(name)
            if not container.get("image"):
                yield f"{where}.image", "Required value"
            for j, port in enumerate(container.get("ports") or []):
                pname = port.get("name")
                if pname:
                    yield from _each(f"{where}.ports[{j}].name", port_name(pname), pname)
                    if pname in port_names:
                        yield f"{where}.ports[{j}].name", f"Duplicate value: {json.dumps(pname)}"
                    port_names.add(pname)
                yield from _port_number(port.get("containerPort"), f"{where}.ports[{j}].containerPort")
            for j, mount in enumerate(container.get("volumeMounts") or []):
                if mount.get("name") not in volumes:
                    yield f"{where}.volumeMounts[{j}].name", f"Not found: {json.dumps(mount.get('name'))}"
            security = container.get("securityContext") or {}
            if security.get("allowPrivilegeEscalation") is False:
                if security.get("privileged"):
                    yield f"{where}.securityContext", "Invalid value: cannot set `allowPrivilegeEscalation` to false and `privileged` to true"
                if "CAP_SYS_ADMIN" in ((security.get("capabilities") or {}).get("add") or []):
                    yield f"{where}.securityContext", "Invalid value: cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                for handler in ("httpGet", "tcpSocket", "grpc"):
                    target = ((container.get(probe) or {}).get(handler) or {})
                    if "port" in target:
                        yield from _port_num_or_name(target["port"], f"{where}.{probe}.{handler}.port")
    if spec.get("restartPolicy", "Always") != "Always":
        yield f"{path}.spec.restartPolicy", "Unsupported value: only 'Always' is supported"


def deployment(obj: dict[str, Any]) -> Errors:
    """apps ValidateDeploymentSpec."""
    spec = obj.get("spec") or {}
    if _is_int(spec.get("replicas")) and spec["replicas"] < 0:
        yield "spec.replicas", "Invalid value: must be greater than or equal to 0"
    selector = spec.get("selector")
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        yield "spec.selector", "Invalid value: empty selector is invalid for deployment"
    else:
        yield from label_selector(selector, "spec.selector")
        template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        if not _selector_matches(selector, template_labels):
            yield "spec.template.metadata.labels", "Invalid value: `selector` does not match template `labels`"
    for fld in ("minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds"):
        if _is_int(spec.get(fld)) and spec[fld] < 0:
            yield f"spec.{fld}", f"Invalid value: {spec[fld]}: must be greater than or equal to 0"
    deadline: Any = spec.get("progressDeadlineSeconds")
    min_ready: Any = spec.get("minReadySeconds") or 0
    if _is_int(deadline) and _is_int(min_ready) and deadline <= min_ready:
        yield "spec.progressDeadlineSeconds", f"Invalid value: {deadline}: must be greater than minReadySeconds"
    rolling = (spec.get("strategy") or {}).get("rollingUpdate")
    if isinstance(rolling, dict):
        for fld in ("maxUnavailable", "maxSurge"):
            if fld in rolling:
                yield from _positive_int_or_percent(rolling[fld], f"spec.strategy.rollingUpdate.{fld}")
        # defaults: 25% each
        if _int_or_percent_value(rolling.get("maxUnavailable", "25%")) == 0 and \
                _int_or_percent_value(rolling.get("maxSurge", "25%")) == 0:
            yield "spec.strategy.rollingUpdate.maxUnavailable", "Invalid value: may not be 0 when `maxSurge` is 0"
    yield from _pod_template(spec.get("template"), "spec.template")


def _int_or_percent_value(value: Any) -> int | None:
    if isinstance(value, str) and _PERCENT.match(value):
        return int(value[:-1])
    return value if _is_int(value) else None


def _positive_int_or_percent(value: Any, path: str) -> Errors:
    if isinstance(value, str):
        if not _PERCENT.match(value):
            yield path, f"Invalid value: {json.dumps(value)}: a valid percent string must be a numeric string followed by an ending '%'"
        elif int(value[:-1]) > 100:
            yield path, f"Invalid value: {json.dumps(value)}: must not be greater than 100%"
    elif _is_int(value) and value < 0:
        yield path, f"Invalid value: {value}: must be greater than or equal to 0"


def pod_disruption_budget(obj: dict[str, Any]) -> Errors:
    """policy ValidatePodDisruptionBudgetSpec."""
    spec = obj.get("spec") or {}
    if "minAvailable" in spec and "maxUnavailable" in spec:
        yield "spec", "Invalid value: minAvailable and maxUnavailable cannot be both set"
    for fld in ("minAvailable", "maxUnavailable"):
        if fld in spec:
            yield from _positive_int_or_percent(spec[fld], f"spec.{fld}")
    yield from label_selector(spec.get("selector"), "spec.selector")


RBAC_GROUP = "rbac.authorization.k8s.io"


def _policy_rules(obj: dict[str, Any], namespaced: bool) -> Errors:
    """rbac ValidatePolicyRule."""
    for i, rule in enumerate(obj.get("rules") or []):
        where = f"rules[{i}]"
        if not rule.get("verbs"):
            yield f"{where}.verbs", "Required value: verbs must contain at least one value"
        if rule.get("nonResourceURLs"):
            if namespaced:
                yield f"{where}.nonResourceURLs", "Invalid value: namespaced rules cannot apply to non-resource URLs"
            if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
                yield f"{where}.nonResourceURLs", "Invalid value: rules cannot apply to both regular resources and non-resource URLs"
            continue
        if not rule.get("apiGroups"):
            yield f"{where}.apiGroups", "Required value: resource rules must supply at least one api group"
        if not rule.get("resources"):
            yield f"{where}.resources", "Required value: resource rules must supply at least one resource"
        if rule.get("resourceNames") and len(rule.get("resources") or []) > 1:
            yield f"{where}.resourceNames", "Required value: resource names cannot apply to multiple resources"


def _binding(obj: dict[str, Any], namespaced: bool) -> Errors:
    """rbac ValidateRoleBinding / ValidateClusterRoleBinding and ValidateRoleBindingSubject."""
    ref = obj.get("roleRef") or {}
    if ref.get("apiGroup") != RBAC_GROUP:
        yield "roleRef.apiGroup", f"Unsupported value: {json.dumps(ref.get('apiGroup'))}: supported values: \"{RBAC_GROUP}\""
    allowed = ("Role", "ClusterRole") if namespaced else ("ClusterRole",)
    if ref.get("kind") not in allowed:
        yield "roleRef.kind", f"Unsupported value: {json.dumps(ref.get('kind'))}: supported values: {', '.join(allowed)}"
    if not ref.get("name"):
        yield "roleRef.name", "Required value"
    else:
        yield from _each("roleRef.name", path_segment_name(ref["name"]), ref["name"])
    for i, subject in enumerate(obj.get("subjects") or []):
        where = f"subjects[{i}]"
        kind, name = subject.get("kind"), subject.get("name") or ""
        if not name:
            yield f"{where}.name", "Required value"
        if kind == "ServiceAccount":
            yield from _each(f"{where}.name", dns1123_subdomain(name), name)
            if subject.get("apiGroup"):
                yield f"{where}.apiGroup", "Unsupported value: supported values: \"\""
            if not namespaced and not subject.get("namespace"):
                yield f"{where}.namespace", "Required value"
        elif kind in ("User", "Group"):
            # v1 defaulting (SetDefaults_Subject) fills an empty apiGroup before validation
            if subject.get("apiGroup", RBAC_GROUP) != RBAC_GROUP:
                yield f"{where}.apiGroup", f"Unsupported value: supported values: \"{RBAC_GROUP}\""
        else:
            yield f"{where}.kind", f"Unsupported value: {json.dumps(kind)}: supported values: ServiceAccount, User, Group"


STANDARD_FINALIZERS = {"kubernetes"}


def namespace(obj: dict[str, Any]) -> Errors:
    """core ValidateNamespace: spec.finalizers are qualified names, standard ones unless prefixed."""
    for i, fin in enumerate((obj.get("spec") or {}).get("finalizers") or []):
        yield from _each(f"spec.finalizers[{i}]", qualified_name(str(fin)), fin)
        if "/" not in str(fin) and fin not in STANDARD_FINALIZERS:
            yield f"spec.finalizers[{i}]", f"Invalid value: {json.dumps(fin)}: name is neither a standard finalizer name nor is it fully qualified"


KINDS: dict[tuple[str, str], Callable[[dict[str, Any]], Errors]] = {
    ("v1", "Service"): service,
    ("v1", "ConfigMap"): config_map,
    ("v1", "Secret"): secret,
    ("v1", "Namespace"): namespace,
    ("apps/v1", "Deployment"): deployment,
    ("policy/v1", "PodDisruptionBudget"): pod_disruption_budget,
    (f"{RBAC_GROUP}/v1", "ClusterRole"): lambda o: _policy_rules(o, namespaced=False),
    (f"{RBAC_GROUP}/v1", "Role"): lambda o: _policy_rules(o, namespaced=True),
    (f"{RBAC_GROUP}/v1", "ClusterRoleBinding"): lambda o: _binding(o, namespaced=False),
    (f"{RBAC_GROUP}/v1", "RoleBinding"): lambda o: _binding(o, namespaced=True),
}
# Not API objects: never sent to an API server.
NOT_API_OBJECTS = {("kustomize.config.k8s.io/v1beta1", "Kustomization")}


def object_errors(obj: Any) -> tuple[tuple[str, str], ...]:
    """Every API-server validation error of one object, as (field path, message)."""
    if not isinstance(obj, dict) or (obj.get("apiVersion"), obj.get("kind")) in NOT_API_OBJECTS:
        return ()
    if not isinstance(obj.get("kind"), str):
        return ()
    errs = list(object_meta(obj))  # every kind, custom resources included
    kind_rules = KINDS.get((obj.get("apiVersion", ""), obj["kind"]))
    if kind_rules is not None:
        errs.extend(kind_rules(obj))
    return tuple(errs)


# --- locating the cause in the fleet file --------------------------------------------
def _workload_for(fleet: Fleet, path: str) -> Workload | None:
    parts = path.split("/")
    if len(parts) >= 5 and parts[0] == "clusters" and parts[2] == "workloads":
        for w in fleet.workloads:
            if w.namespace == parts[3] and w.name == parts[4]:
                return w
    return None


_INVALID_VALUE = re.compile(r'^Invalid value: "([^"]*)"')


def _contains_token(text: str, name: str) -> bool:
    """``name`` occurs in ``text`` as whole '-'/'.'-separated parts."""
    return bool(name) and re.search(rf"(^|[-.]){re.escape(name)}($|[-.])", text) is not None


def locate(fleet: Fleet, path: str, obj: dict[str, Any], field_path: str, message: str, out_dir: str) -> Location:
    """The fleet line that caused an error in ``path``'s object, else the output file."""
    workload = _workload_for(fleet, path)
    if workload is not None:
        if field_path.startswith("spec.ports") or field_path == "spec":
            return fleet.source.locate(f"{workload.pointer}/ports")
        if field_path == "metadata.namespace":
            return fleet.source.locate(f"{workload.pointer}/namespace")
        if field_path.startswith("metadata"):
            return fleet.source.locate(f"{workload.pointer}/name")
    if path.startswith("clusters/") and path.split("/")[2] == "namespaces":
        ns = path.split("/")[3].rsplit(".", 1)[0]
        for w in fleet.workloads:
            if w.namespace == ns:
                return fleet.source.locate(f"{w.pointer}/namespace")
    # A name or label value too long or malformed because a cluster's (or the fleet's) name is part of it.
    value = _INVALID_VALUE.search(message)
    offending = value.group(1) if value else ""
    for cluster in sorted(fleet.clusters, key=lambda c: -len(c.name)):
        if _contains_token(offending, cluster.name):
            return fleet.source.locate(f"{cluster.pointer}/name")
    if _contains_token(offending, fleet.name):
        return fleet.source.locate("/metadata/name")
    return Location(f"{out_dir}/{path}", 1, 1)


def _cluster_of(path: str) -> tuple[str, ...]:
    parts = path.split("/")
    return (parts[1],) if len(parts) > 2 and parts[0] == "clusters" else ()


def validate(fleet: Fleet, files: dict[str, Any], out_dir: str = "output",
             cache: dict[Any, tuple[tuple[str, str], ...]] | None = None,
             contents: dict[str, bytes] | None = None) -> list[Finding]:
    """``manifest-invalid`` findings for a render (output path -> object); each distinct object is checked once.

    Objects are told apart by content: by the bytes the render writes for them when
    ``contents`` is given (already computed, so the cache costs a dict lookup), else by
    their canonical JSON.
    """
    seen: dict[Any, tuple[tuple[str, str], ...]] = {} if cache is None else cache
    findings: list[Finding] = []
    for path, obj in sorted(files.items()):
        if not path.endswith((".yaml", ".yml")) or not isinstance(obj, dict):
            continue
        key: Any = contents[path] if contents is not None and path in contents else \
            json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
        errs = seen.get(key)
        if errs is None:
            errs = seen[key] = object_errors(obj)
        if not errs:
            continue
        meta = obj.get("metadata") or {}
        ns = meta.get("namespace")
        what = f"{obj.get('kind')} {f'{ns}/' if ns else ''}{meta.get('name', '?')}"
        for field_path, message in errs:
            where = locate(fleet, path, obj, field_path, message, out_dir)
            text = f"{what} in {out_dir}/{path}: {field_path or '(object)'}: {message} (the API server refuses it)"
            findings.append(error(RULE, text, where, _cluster_of(path)))
    return findings
