"""Build a fleetgen kustomize root into one YAML stream: ``kubectl kustomize`` when it is installed.

Without kubectl, the roots fleetgen writes (a ``resources:`` list of plain files and
sub-directories that are kustomize roots themselves, nothing else) are built here:
the same objects, in kustomize's default ("legacy") kind order, then by namespace
and name. Anything else in a kustomization (patches, generators, remote bases) is
refused rather than built differently from kustomize.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from generator.errors import FleetError

KUSTOMIZE_TIMEOUT = 60  # seconds; Argo CD's own plugin timeout is 90 s (ARGOCD_EXEC_TIMEOUT)

# kustomize api/resid/gvk.go: orderFirst / orderLast (the legacy sort, kustomize's default).
_FIRST = (
    "Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition", "ServiceAccount",
    "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap", "Secret",
    "Endpoints", "Service", "LimitRange", "PriorityClass", "PersistentVolume", "PersistentVolumeClaim",
    "Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget",
)
_LAST = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
_ALLOWED_KEYS = {"apiVersion", "kind", "resources"}


class KustomizeError(FleetError):
    exit_code = 1


def build(root: Path, *, use_kubectl: bool = True) -> str:
    """The YAML stream ``kubectl kustomize root`` prints."""
    kubectl = shutil.which("kubectl") if use_kubectl else None
    if kubectl:
        try:
            done = subprocess.run([kubectl, "kustomize", str(root)], capture_output=True, timeout=KUSTOMIZE_TIMEOUT,
                                  check=False)
        except subprocess.TimeoutExpired as exc:
            raise KustomizeError(f"kubectl kustomize {root} did not finish in {KUSTOMIZE_TIMEOUT}s") from exc
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise KustomizeError(f"kubectl kustomize {root} failed: {detail[-1] if detail else done.returncode}")
        return done.stdout.decode("utf-8")
    objects = sorted(_objects(root, root, 0), key=_order)
    return yaml.safe_dump_all(objects, default_flow_style=False, sort_keys=True) if objects else ""


def _objects(root: Path, base: Path, depth: int) -> list[dict[str, Any]]:
    if depth > 8:
        raise KustomizeError(f"{root}: kustomization nesting deeper than 8")
    text = (root / "kustomization.yaml").read_text(encoding="utf-8")
    doc = yaml.safe_load(text) or {}
    extra = sorted(set(doc) - _ALLOWED_KEYS)
    if extra:
        raise KustomizeError(f"{root}/kustomization.yaml uses {', '.join(extra)}: install kubectl to build it")
    out: list[dict[str, Any]] = []
    for entry in doc.get("resources") or []:
        rel = PurePosixPath(str(entry))
        if rel.is_absolute() or ".." in rel.parts or "://" in str(entry):
            raise KustomizeError(f"{root}/kustomization.yaml: resource {entry!r} is outside the root")
        path = root / rel
        if path.is_symlink():
            raise KustomizeError(f"{path} is a symbolic link")
        if path.is_dir():
            out.extend(_objects(path, base, depth + 1))
            continue
        for obj in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if obj is not None:
                out.append(obj)
    return out


def _order(obj: dict[str, Any]) -> tuple[int, str, str, str, str]:
    kind = str(obj.get("kind", ""))
    api = str(obj.get("apiVersion", ""))
    group, _, version = api.rpartition("/")
    if kind in _FIRST:
        rank = _FIRST.index(kind)
    elif kind in _LAST:
        rank = len(_FIRST) + 1 + _LAST.index(kind)
    else:
        rank = len(_FIRST)
    meta = obj.get("metadata") or {}
    gvk = f"{group}_{version}_{kind}" if rank == len(_FIRST) else ""
    return (rank, gvk, str(meta.get("namespace", "")), str(meta.get("name", "")), kind)
