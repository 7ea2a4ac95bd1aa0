"""Bad fleet files through the real command line: exact message, exit code, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT

EXAMPLE = (ROOT / "fleet.yaml").read_text()


def edit(old: str, new: str) -> str:
    assert old in EXAMPLE, old
    return EXAMPLE.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


CASES = {
    "unknown-field": (
        edit("        podCIDRs: [10.100.0.0/16]", "        podCIDR: [10.100.0.0/16]"),
        1,
        "{f}:{l}:9: [error] schema spec.clusters[0].network.podCIDR: unknown field (did you mean 'podCIDRs'?)",
        "podCIDR:",
    ),
    "wrong-type": (
        edit("aws-euwest1: 3", "aws-euwest1: three"),
        1,
        "{f}:{l}:22: [error] schema spec.workloads[0].placement.aws-euwest1: 'three' is not of type 'integer'",
        "aws-euwest1: three",
    ),
    "bad-enum": (
        edit("provider: gcp", "provider: gke"),
        1,
        '{f}:{l}:17: [error] schema spec.clusters[1].provider: "gke" is not one of "aws", "gcp", "azure", "generic"',
        "provider: gke",
    ),
    "path-like-cluster-name": (
        edit("    - name: gcp-europe-west4-c", "    - name: ../../etc"),
        1,
        "{f}:{l}:13: [error] schema spec.clusters[1].name: \"../../etc\" is not a DNS-1123 label "
        "(lower case letters, digits and '-', starting and ending with a letter or digit)",
        "name: ../../etc",
    ),
    "missing-required": (
        edit("      apiServer: https://b.gke.example.com\n", ""),
        1,
        "{f}:{l}:7: [error] schema spec.clusters[1]: 'apiServer' is a required property",
        "- name: gcp-europe-west4-c",
    ),
    "duplicate-key": (
        edit("      region: eu-west-1\n", "      region: eu-west-1\n      region: eu-west-2\n"),
        2,
        "{f}:{l}:7: [error] load duplicate key 'region' (first defined at line {p})",
        "region: eu-west-2",
    ),
    "malformed": (
        edit("    revision: main", "    revision: [main"),
        2,
        "{f}:{l}:9: [error] load invalid YAML: did not find expected ',' or ']' "
        "(while parsing a flow sequence started at line {s}, column 15)",
        "path: output",
    ),
    "hostile-tag": (
        edit("    revision: main", "    revision: !!python/object/apply:os.system ['id']"),
        2,
        "{f}:{l}:15: [error] load tag tag:yaml.org,2002:python/object/apply:os.system is not allowed in a fleet file",
        "revision: !!python",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", ["render", "check"])
def test_bad_fleet(case: str, command: str, tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    text, code, template, needle = CASES[case]
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(text)
    out = tmp_path / "output"
    args = [command, str(fleet)] + (["-o", str(out)] if command == "render" else [])
    run = fleetgen(*args)
    expected = template.format(f=fleet, l=line_of(text, needle), p=line_of(text, "region: eu-west-1"), s=line_of(text, "revision:"))
    stream = run.err if (command == "render" or code == 2) else run.out
    assert run.code == code
    assert expected in stream.splitlines(), stream
    assert "Traceback" not in run.out + run.err
    assert not out.exists(), "nothing may be written for a bad fleet"


def test_semantic_error_refuses_render_and_writes_nothing(tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    text = edit("gcp-europe-west4-c: 3", "gcp-europe-west4-d: 3")
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(text)
    run = fleetgen("render", str(fleet), "-o", str(tmp_path / "output"))
    line = line_of(text, "gcp-europe-west4-d: 3")
    assert run.code == 1
    assert (
        f"{fleet}:{line}:9: [error] placement workload 'db/cassandra' is placed in unknown cluster "
        "'gcp-europe-west4-d' (did you mean 'gcp-europe-west4-c'?) (clusters: gcp-europe-west4-d)"
    ) in run.err.splitlines()
    assert run.err.rstrip().endswith("render refused: fix the errors above; nothing was written")
    assert not (tmp_path / "output").exists()


def test_unknown_format_is_usage_error(example: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    run = fleetgen("check", str(example), "--format", "xml")
    assert run.code == 2
    assert "invalid choice: 'xml'" in run.err


def test_output_path_that_is_a_file(example: Path, tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "out"
    target.write_text("not a dir")
    run = fleetgen("render", str(example), "-o", str(target))
    assert run.code == 2
    assert run.err == f"fleetgen: {target} exists and is not a directory\n"


def test_a_reader_that_leaves_early_gets_no_crash_report(tmp_path: Path) -> None:
    import subprocess
    import sys

    import yaml

    from generator.synth import synthetic_fleet

    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(yaml.safe_dump(synthetic_fleet(300)))
    # `render --check` into an empty dir lists ~3,000 files: far more than a pipe buffer
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator", "render", str(fleet), "--check", "-o", str(tmp_path / "out")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert err == ""
    assert not (tmp_path / "out").exists()
