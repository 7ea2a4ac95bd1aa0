"""Credentials in URLs (issue 10, item 3): refused at the fleet line (rule url-credentials),
and found by the shipped secrets policy in any rendered URL (secret-url-credentials)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT

EXAMPLE = (ROOT / "fleet.yaml").read_text()
ADVICE = (
    ": the URL is rendered into the committed output; remove it and keep the credential in a Secret created "
    "out of band (Argo CD repository/cluster Secret, Flux credentialsSecret)"
)


@pytest.mark.parametrize("command", ["render", "check"])
@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("apiServer: https://a.eks.example.com", "apiServer: https://admin:S3cret@a.eks.example.com",
         "32:18: [error] url-credentials apiServer of cluster 'aws-euwest1' carries a password in its user info "
         "('admin:***@')" + ADVICE + " (clusters: aws-euwest1)"),
        ("repoURL: https://git.example.com/platform/fleet.git",
         "repoURL: https://git.example.com/platform/fleet.git?private_token=S3cret",
         "15:14: [error] url-credentials spec.gitops.repoURL carries the credential parameter 'private_token=***'" + ADVICE),
        ("repoURL: https://git.example.com/platform/fleet.git",
         "repoURL: https://S3cret@git.example.com/platform/fleet.git",
         "15:14: [error] url-credentials spec.gitops.repoURL carries user info ('***@'), which HTTP Git hosts and API "
         "servers read as a token" + ADVICE),
    ],
)
def test_credentials_in_fleet_urls_are_refused_at_the_fleet_line(
    tmp_path: Path, fleetgen, command: str, old: str, new: str, expected: str  # type: ignore[no-untyped-def]
) -> None:
    assert old in EXAMPLE
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(EXAMPLE.replace(old, new, 1))
    out = tmp_path / "output"
    run = fleetgen(command, str(fleet), "-o", str(out))
    assert run.code == 1
    text = run.out if command == "check" else run.err
    assert [line for line in text.splitlines() if "[error]" in line] == [f"{fleet}:{expected}"]
    assert "S3cret" not in run.out + run.err
    assert not out.exists()


def test_the_secrets_policy_finds_a_credential_in_any_rendered_url(tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    """A user blueprint that writes a tokenized URL into a manifest: the fleet is clean, the output is not."""
    blueprints = tmp_path / "blueprints"
    shutil.copytree(ROOT / "blueprints", blueprints)
    lib = blueprints / "lib" / "k.libsonnet"
    labels = "    'app.kubernetes.io/managed-by': 'fleetgen',\n"
    text = lib.read_text()
    assert labels in text
    lib.write_text(text.replace("  keepOnPrune:: {\n", "  keepOnPrune:: {\n    'example.com/backup': 'https://store.example.com/b?access_token=S3cret',\n"))
    run = fleetgen("check", str(ROOT / "fleet.yaml"), "--blueprints", str(blueprints), "--format", "json",
                   "-o", str(tmp_path / "output"))
    assert run.code == 1
    found = {(f["rule"], f["location"]["file"].rsplit("/output/", 1)[1]) for f in json.loads(run.out)["findings"]}
    assert ("secret-url-credentials", "clusters/aws-euwest1/dns/configmap-coredns.yaml") in found
    assert {rule for rule, _ in found} == {"secret-url-credentials"}
    message = next(f["message"] for f in json.loads(run.out)["findings"]
                   if f["location"]["file"].endswith("clusters/aws-euwest1/dns/configmap-coredns.yaml"))
    assert message == (
        "ConfigMap kube-system/coredns has a URL with a credential parameter at "
        '["metadata", "annotations", "example.com/backup"]: keep the credential in a Secret created out of band'
    )
