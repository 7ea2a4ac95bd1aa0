"""``fleetgen cmp generate``: the Argo CD Config Management Plugin's generate command.

Argo CD runs it in the sidecar on the synced revision, in the Application's source
directory (``<gitops.path>/clusters/<cluster>``), with the build environment
(``ARGOCD_APP_SOURCE_PATH``, ...) and the Application's plugin env prefixed with
``ARGOCD_ENV_``. It runs every check ``fleetgen check`` runs and prints the cluster's
manifests only if none is an error; stdout then holds nothing but manifests. On an
error it prints the findings to stderr, one per line, and exits 1: Argo CD shows
them as the Application's ComparisonError and syncs nothing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath
from typing import Mapping, TextIO

from generator import kustomize, pipeline
from generator.commands import check_findings, default_output
from generator.diagnostics import sorted_findings

ENV_CLUSTER = "ARGOCD_ENV_FLEETGEN_CLUSTER"
ENV_FLEET = "ARGOCD_ENV_FLEETGEN_FLEET"
ENV_SOURCE_PATH = "ARGOCD_APP_SOURCE_PATH"
DEFAULT_FLEET = "fleet.yaml"
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_FLEET_FILE = re.compile(r"^[A-Za-z0-9._/-]{1,255}$")


def generate(cwd: Path, env: Mapping[str, str], stdout: TextIO, stderr: TextIO, *, use_kubectl: bool = True) -> int:
    """Exit 0 with the manifests on stdout; 1 with findings on stderr; 2 when misconfigured."""
    cluster = env.get(ENV_CLUSTER, "")
    if not _LABEL.match(cluster):
        stderr.write(f"fleetgen: {ENV_CLUSTER} is {cluster!r}: set the Application's spec.source.plugin.env "
                     "FLEETGEN_CLUSTER to the cluster's name in the fleet\n")
        return 2
    root = _repository_root(cwd, env.get(ENV_SOURCE_PATH, ""))
    if root is None:
        stderr.write(f"fleetgen: the working directory {cwd} does not end with {ENV_SOURCE_PATH}="
                     f"{env.get(ENV_SOURCE_PATH, '')!r}: not run as Argo CD runs a plugin\n")
        return 2
    fleet_rel = env.get(ENV_FLEET) or DEFAULT_FLEET
    rel = PurePosixPath(fleet_rel)
    if not _FLEET_FILE.match(fleet_rel) or rel.is_absolute() or ".." in rel.parts:
        stderr.write(f"fleetgen: {ENV_FLEET} is {fleet_rel!r}: give the fleet file's path relative to the "
                     "repository root, without '..'\n")
        return 2
    # Findings name files relative to the repository root, as the user sees them in git:
    # the plugin runs as its own process, in a checkout made for this one call.
    os.chdir(root)
    fleet_path = Path(rel)
    if not fleet_path.is_file() or fleet_path.is_symlink():
        stderr.write(f"fleetgen: no fleet file {fleet_rel} in the repository (set FLEETGEN_FLEET in the "
                     "Application's plugin env)\n")
        return 2
    findings = sorted_findings(check_findings(fleet_path))
    for finding in findings:
        stderr.write(finding.parsable() + "\n")
    if any(f.is_error for f in findings):
        errors = sum(1 for f in findings if f.is_error)
        stderr.write(f"fleetgen: {errors} error(s) in {fleet_rel}; nothing is synced until they are fixed\n")
        return 1
    loaded = pipeline.load(fleet_path, fleet_rel)
    if loaded.fleet is None or loaded.fleet.cluster(cluster) is None:
        stderr.write(f"fleetgen: the fleet {fleet_rel} has no cluster {cluster!r}\n")
        return 2
    target = default_output(fleet_path) / "clusters" / cluster
    if os.path.realpath(target) != os.path.realpath(cwd):
        stderr.write(f"fleetgen: the Application's path is {env.get(ENV_SOURCE_PATH, '')!r}, but cluster "
                     f"{cluster}'s manifests are in {target.as_posix()}; set spec.source.path "
                     "to that directory\n")
        return 2
    try:
        stdout.write(kustomize.build(target, use_kubectl=use_kubectl))
    except kustomize.KustomizeError as exc:
        stderr.write(f"fleetgen: {exc}\n")
        return 1
    return 0


def _repository_root(cwd: Path, source_path: str) -> Path | None:
    """The checkout's root: the working directory minus ``ARGOCD_APP_SOURCE_PATH``'s components."""
    parts = [p for p in PurePosixPath(source_path).parts if p not in (".", "/")]
    if ".." in parts:
        return None
    here = Path(os.path.abspath(cwd))
    if parts and tuple(here.parts[-len(parts):]) != tuple(parts):
        return None
    return Path(*here.parts[: len(here.parts) - len(parts)]) if parts else here
