"""``fleetgen init``: the files a platform team starts from, as text (the command writes them).

The fleet file is a commented template whose ranges and DNS endpoints are picked by
the IP planner (``generator.allocate``) from the ``spec.ipam.pools`` it declares, so
adding a cluster later is ``fleetgen allocate``. Pure: options in, {path: text} out.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from generator import allocate as planner
from generator.errors import UsageError
from generator.loader import load_bytes
from generator.model import build
from generator.validate import fleet_schema, validate_document

PROVIDERS = ("aws", "gcp", "azure", "generic")
ENGINES = ("argocd", "flux")
SCHEMA_FILE = "fleet.schema.json"
WORKFLOW_FILE = ".github/workflows/fleetgen.yaml"
PRECOMMIT_FILE = ".pre-commit-config.yaml"
FLEET_FILE = "fleet.yaml"


@dataclass(frozen=True)
class _Default:
    region: str
    api_server: str
    comment: str


_DEFAULTS = {
    "aws": _Default("eu-west-1", "https://aws-eu-west-1.eks.example.com",
                    "EKS; CoreDNS; the DNS endpoint is an internal NLB (add loadBalancerSubnets)"),
    "gcp": _Default("europe-west4", "https://gcp-europe-west4.gke.example.com",
                    "GKE; kube-dns stub domains; the DNS endpoint is an internal passthrough LB"),
    "azure": _Default("westeurope", "https://azure-westeurope.aks.example.com",
                      "AKS; coredns-custom; the DNS endpoint is an internal Azure LB"),
    "generic": _Default("dc1", "https://generic-dc1.k8s.example.com",
                        "any conformant cluster running CoreDNS"),
}


def parse_providers(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    unknown = [p for p in names if p not in PROVIDERS]
    if unknown or not names:
        raise UsageError(f"--provider {text!r}: choose one or more of {', '.join(PROVIDERS)}, comma-separated")
    return names


def _cluster_name(provider: str) -> str:
    return f"{provider}-{_DEFAULTS[provider].region}"


def fleet_text(providers: tuple[str, ...], engine: str, name: str = "my-fleet") -> str:
    """The commented fleet file with every range and DNS endpoint filled by the IP planner."""
    if engine not in ENGINES:
        raise UsageError(f"--engine {engine!r}: choose argocd or flux")
    clusters = [_cluster_name(p) for p in providers]
    lines = [
        f"# yaml-language-server: $schema=./{SCHEMA_FILE}",
        "#",
        f"# The fleet: {len(clusters)} cluster(s), one source of truth for their IP plan, routes, DNS",
        "# and GitOps wiring. Edit it, then:",
        "#   fleetgen check     refuse what does not add up (also a pre-commit hook and a CI job)",
        "#   fleetgen render    write every cluster's manifests into output/ and commit them",
        "#   fleetgen diff      what your change does to the network, for the pull request",
        "#   fleetgen allocate  pick free ranges for a cluster you add without them",
        f"# {SCHEMA_FILE} (from `fleetgen schema`) gives editors completion and validation.",
        "apiVersion: fleetgen/v1alpha1",
        "kind: Fleet",
        "metadata:",
        f"  name: {name}                       # DNS-1123 label",
        "spec:",
        "  gitops:",
        f"    engine: {engine}                    # argocd | flux: syncs output/clusters/<cluster> to each cluster",
        "    repoURL: https://git.example.com/platform/fleet.git   # CHANGE ME: this repository",
        "    revision: main",
        "    path: output                        # where `fleetgen render` writes, relative to the repository",
        "  dns:",
        '    zonePattern: "{cluster}.local"      # each cluster\'s zone: <pod>.<service>.<namespace>.svc.<zone>',
        "    discovery: forward                  # forward | kubernetai | consul | mcs",
        "  connectivity:",
        "    mode: native                        # native (VPC routing) | overlay (Calico BGP)",
    ]
    if len(clusters) > 1:
        lines += [
            "    links:                              # every pair of clusters inside one entry is connected",
            f"      - clusters: [{', '.join(clusters)}]",
            "        via: vpn                        # vpn | peering | transit-gateway",
        ]
    else:
        lines.append("    links: []                           # add clusters, then connect them here")
    lines += [
        "  mesh:",
        "    type: none                          # none | istio | linkerd | cilium",
        "  ipam:                                 # the IP planner picks free blocks from these pools",
        "    pools:",
        "      - {for: nodeCIDRs, cidr: 10.0.0.0/12, prefixLength: 16}     # VPCs / node subnets",
        "      - {for: podCIDRs, cidr: 10.64.0.0/10, prefixLength: 14}",
        "      - {for: serviceCIDRs, cidr: 172.20.0.0/14, prefixLength: 16}",
        "  clusters:",
    ]
    for provider, cluster in zip(providers, clusters):
        d = _DEFAULTS[provider]
        lines += [
            f"    - name: {cluster}  # {d.comment}",
            f"      provider: {provider}",
            f"      region: {d.region}",
            f"      apiServer: {d.api_server}   # CHANGE ME: the cluster's API server",
        ]
    lines += [
        "  workloads: []",
        "  # A stateful workload gets, in every cluster it is placed in, its namespace, a headless",
        "  # Service and a seeds list naming pods of every cluster. For example:",
        "  # workloads:",
        "  #   - name: cassandra",
        "  #     namespace: db",
        "  #     ports: [{name: cql, port: 9042}, {name: intra-node, port: 7000}]",
        f"  #     placement: {{{', '.join(f'{c}: 3' for c in clusters)}}}",
        "  #     seedsPerCluster: 2",
    ]
    template = "\n".join(lines) + "\n"
    document = load_bytes(template.encode(), FLEET_FILE)
    problems = validate_document(document.data, document.source)
    assert not problems, problems  # the template is ours: a schema error here is a fleetgen bug
    result = planner.plan(build(document.data, document.source))
    assert not result.findings, result.findings
    return planner.rewrite(template, result.assignments)


PRECOMMIT = """\
# pre-commit (https://pre-commit.com) runs fleetgen before every commit: `pre-commit install`.
# Hooks run the fleetgen on PATH (pip install fleetgen in the environment you commit from).
minimum_pre_commit_version: "4.4.0"   # `language: unsupported` (formerly `system`)
repos:
  - repo: local
    hooks:
      - id: fleetgen-check
        name: fleetgen check
        entry: fleetgen check fleet.yaml
        language: unsupported
        files: ^(fleet\\.yaml|fleet\\.schema\\.json)$
        pass_filenames: false
      - id: fleetgen-render-check
        name: fleetgen render --check (committed output/ is fresh)
        entry: fleetgen render fleet.yaml -o output --check
        language: unsupported
        files: ^(fleet\\.yaml|output/)
        pass_filenames: false
"""

WORKFLOW = """\
# CI for the fleet: check (findings in code scanning), fresh output, and the network diff as a PR comment.
name: fleetgen
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  fleet:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      security-events: write    # github/codeql-action/upload-sarif
      pull-requests: write      # gh pr comment (read-only for pull requests from forks)
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0        # fleetgen diff reads the base fleet from git history
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install fleetgen   # pin the version you tested with
      - name: fleetgen check
        run: fleetgen check fleet.yaml --format sarif > fleetgen.sarif
      - name: upload findings to code scanning
        if: ${{ !cancelled() }}
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: fleetgen.sarif
          category: fleetgen
      - name: committed output is fresh
        run: fleetgen render fleet.yaml -o output --check
      - name: network diff as a pull-request comment
        if: ${{ github.event_name == 'pull_request' && !cancelled() }}
        env:
          GH_TOKEN: ${{ github.token }}
          BASE_REF: ${{ github.base_ref }}
          PR: ${{ github.event.pull_request.number }}
        run: |
          fleetgen diff fleet.yaml --base "origin/$BASE_REF" --format markdown > fleetgen-diff.md
          gh pr comment "$PR" --edit-last --create-if-none --body-file fleetgen-diff.md
"""


def schema_text() -> str:
    return json.dumps(fleet_schema(), indent=2) + "\n"


def files(providers: tuple[str, ...], engine: str, name: str = "my-fleet") -> dict[str, str]:
    """Every file ``fleetgen init`` writes (before it renders), relative to the target directory."""
    return {
        FLEET_FILE: fleet_text(providers, engine, name),
        SCHEMA_FILE: schema_text(),
        PRECOMMIT_FILE: PRECOMMIT,
        WORKFLOW_FILE: WORKFLOW,
    }


def write_new(directory: Path, contents: dict[str, str]) -> list[Path]:
    """Create every file under ``directory``; refuse (writing nothing) if any of them exists already."""
    targets = {rel: directory / rel for rel in contents}
    existing = [str(p) for p in targets.values() if p.exists() or p.is_symlink()]
    if existing:
        raise UsageError(f"{', '.join(existing)} already exist(s); fleetgen init never overwrites: "
                         "choose an empty directory")
    staged: list[tuple[Path, Path]] = []
    try:
        for rel, path in targets.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".fleetgen-init-", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(contents[rel])
            os.chmod(tmp, 0o644)
            staged.append((Path(tmp), path))
        for tmp_path, path in staged:
            os.link(tmp_path, path)  # fails instead of replacing a file that appeared meanwhile
    except BaseException:
        for tmp_path, path in staged:
            if path.exists() and path.samefile(tmp_path):
                path.unlink()
        raise
    finally:
        for tmp_path, _ in staged:
            tmp_path.unlink(missing_ok=True)
    return list(targets.values())
