"""`fleetgen check` runs the Rego policies over the render, like conftest over files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import FLEETS, ROOT


def public_lb_blueprints(tmp_path: Path) -> Path:
    """Blueprints whose GKE load balancers forget to be internal."""
    blueprints = tmp_path / "blueprints"
    shutil.copytree(ROOT / "blueprints", blueprints)
    lb = blueprints / "lib" / "lb.libsonnet"
    text = lb.read_text()
    assert "'networking.gke.io/load-balancer-type': 'Internal'," in text
    lb.write_text(text.replace("'networking.gke.io/load-balancer-type': 'Internal',", ""))
    return blueprints


def test_shipped_policies_pass_on_the_example(example: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    run = fleetgen("check", str(example), "--format", "json", "-o", str(example.parent / "output"))
    assert run.code == 0, run.out
    assert json.loads(run.out) == {"summary": {"errors": 0, "warnings": 0}, "findings": []}


def test_public_load_balancer_is_refused_at_every_rendered_path(tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    fleet = FLEETS / "render" / "gke-gke.yaml"
    run = fleetgen("check", str(fleet), "--blueprints", str(public_lb_blueprints(tmp_path)), "--format", "json",
                   "-o", str(tmp_path / "output"))
    assert run.code == 1
    out = tmp_path / "output"
    found = [(f["rule"], f["location"]["file"].replace(str(out), "output"), f["clusters"]) for f in json.loads(run.out)["findings"]]
    # the two clusters' endpoint Services (UDP and TCP apart on GKE) are identical but for names: all are reported
    assert found == [
        ("lb-public", "output/clusters/gke-east/dns/service-dns-endpoint-tcp.yaml", ["gke-east"]),
        ("lb-public", "output/clusters/gke-east/dns/service-dns-endpoint.yaml", ["gke-east"]),
        ("lb-public", "output/clusters/gke-west/dns/service-dns-endpoint-tcp.yaml", ["gke-west"]),
        ("lb-public", "output/clusters/gke-west/dns/service-dns-endpoint.yaml", ["gke-west"]),
    ]


def test_identical_documents_share_one_evaluation_but_each_path_is_reported(tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "ns.rego").write_text(
        "package team.namespaces\n\nimport rego.v1\n\n"
        "# METADATA\n# title: no db namespace\n# custom:\n#   id: team-no-db-namespace\n"
        'deny_db contains msg if {\n\tinput.kind == "Namespace"\n\tinput.metadata.name == "db"\n'
        '\tmsg := "namespace db is reserved by the team"\n}\n'
    )
    run = fleetgen("check", str(ROOT / "fleet.yaml"), "--policy", str(policy), "-o", str(tmp_path / "output"))
    assert run.code == 1
    out = tmp_path / "output"
    assert [line for line in run.out.splitlines() if "team-no-db-namespace" in line] == [
        f"{out}/clusters/aws-euwest1/namespaces/db.yaml:1:1: [error] team-no-db-namespace "
        "namespace db is reserved by the team (clusters: aws-euwest1)",
        f"{out}/clusters/gcp-europe-west4-c/namespaces/db.yaml:1:1: [error] team-no-db-namespace "
        "namespace db is reserved by the team (clusters: gcp-europe-west4-c)",
    ]


def test_missing_policy_dir_is_a_usage_error(example: Path, tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    run = fleetgen("check", str(example), "--policy", str(tmp_path / "nope"))
    assert run.code == 2
    assert run.err == f"fleetgen: policy directory {tmp_path / 'nope'} does not exist\n"


def combined_policy(tmp_path: Path) -> Path:
    """A user's combined-mode policy: at most one DNS ConfigMap per cluster."""
    policy = tmp_path / "team-policy"
    policy.mkdir()
    (policy / "one.rego").write_text(
        "package team.combined\n\nimport rego.v1\n\n"
        "# METADATA\n# title: one DNS config per cluster\n# custom:\n#   id: team-one-dns-config\n"
        "deny_two contains msg if {\n\tis_array(input)\n\tcount(input) > 100000\n\tmsg := \"too many\"\n}\n"
    )
    return policy


def test_only_shipped_policies_never_need_combined_mode(example: Path, tmp_path: Path, fleetgen, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # the shipped policies are per-document; their cross-cluster twins are built in: no limit applies
    from generator.policy import output as policy_output

    monkeypatch.setattr(policy_output, "COMBINED_MAX_DOCUMENTS", 5)
    out = tmp_path / "output"
    run = fleetgen("check", str(example), "-o", str(out), "--format", "text")
    assert (run.code, run.out) == (0, "0 error(s), 0 warning(s)\n")


def test_combined_policies_above_the_engine_limit_are_an_error(example: Path, tmp_path: Path, fleetgen, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from generator.policy import output as policy_output

    monkeypatch.setattr(policy_output, "COMBINED_MAX_DOCUMENTS", 5)
    out = tmp_path / "output"
    policy = combined_policy(tmp_path)
    run = fleetgen("check", str(example), "-o", str(out), "--format", "text", "--policy", str(policy))
    assert run.code == 1
    assert run.out.splitlines() == [
        f"{out}/fleet.facts.json:1:1: [error] policy-combined-skipped combined-mode policies were not evaluated: "
        "24 documents exceed the 5 the embedded Rego engine evaluates in reasonable time (packages team.combined); "
        "per-document policies ran; pass --skip-combined-policies to skip them on purpose. "
        f"Run them with conftest: `conftest test --combine --all-namespaces --policy policies --policy {policy} {out}`",
        "1 error(s), 0 warning(s)",
    ]


def test_combined_policies_above_the_limit_are_skipped_with_a_warning_when_asked(example: Path, tmp_path: Path, fleetgen, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from generator.policy import output as policy_output

    monkeypatch.setattr(policy_output, "COMBINED_MAX_DOCUMENTS", 5)
    out = tmp_path / "output"
    policy = combined_policy(tmp_path)
    run = fleetgen("check", str(example), "-o", str(out), "--format", "text", "--skip-combined-policies",
                   "--policy", str(policy))
    assert run.code == 0
    assert run.out.splitlines() == [
        f"{out}/fleet.facts.json:1:1: [warning] policy-combined-skipped combined-mode policies were not evaluated: "
        "24 documents exceed the 5 the embedded Rego engine evaluates in reasonable time (packages team.combined); "
        "per-document policies ran; skipped as asked (--skip-combined-policies). "
        f"Run them with conftest: `conftest test --combine --all-namespaces --policy policies --policy {policy} {out}`",
        "0 error(s), 1 warning(s)",
    ]


def test_a_user_combined_policy_runs_below_the_limit(example: Path, tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    policy = tmp_path / "team-policy"
    policy.mkdir()
    (policy / "count.rego").write_text(
        "package team.combined\n\nimport rego.v1\n\n"
        "# METADATA\n# title: small fleets only\n# custom:\n#   id: team-small\n"
        "deny_big contains msg if {\n\tis_array(input)\n\tcount(input) > 3\n"
        "\tmsg := sprintf(\"%d documents\", [count(input)])\n}\n"
    )
    out = tmp_path / "output"
    run = fleetgen("check", str(example), "-o", str(out), "--format", "text", "--policy", str(policy))
    assert run.code == 1
    assert run.out.splitlines() == [
        # a combined finding without a path sits at the first document
        f"{out}/clusters/aws-euwest1/dns/configmap-coredns.yaml:1:1: [error] team-small 24 documents",
        "1 error(s), 0 warning(s)",
    ]


def test_check_reports_committed_output_that_is_stale(example: Path, tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "output"
    shutil.copytree(ROOT / "output", out)
    assert fleetgen("check", str(example), "-o", str(out)).code == 0
    (out / "clusters" / "aws-euwest1" / "namespaces" / "db.yaml").unlink()
    seeds = out / "clusters" / "gcp-europe-west4-c" / "workloads" / "db" / "cassandra" / "configmap-seeds.yaml"
    seeds.write_text(seeds.read_text().replace("cassandra-1", "cassandra-7"))
    run = fleetgen("check", str(example), "-o", str(out))
    assert run.code == 1
    assert [line for line in run.out.splitlines() if "output-stale" in line] == [
        f"{out}/clusters/aws-euwest1/namespaces/db.yaml:1:1: [error] output-stale {out}/clusters/aws-euwest1/"
        f"namespaces/db.yaml is missing; run `fleetgen render {example}` and commit the result",
        f"{out}/clusters/gcp-europe-west4-c/workloads/db/cassandra/configmap-seeds.yaml:1:1: [error] output-stale "
        f"{out}/clusters/gcp-europe-west4-c/workloads/db/cassandra/configmap-seeds.yaml differs from what the fleet "
        f"renders; run `fleetgen render {example}` and commit the result",
    ]


def test_verdicts_are_cached_per_document_and_invalidated_by_a_policy_change(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from generator import pipeline
    from generator.policy import output as policy_output

    loaded = pipeline.load(FLEETS / "render" / "gke-gke.yaml", "gke-gke.yaml")
    assert loaded.fleet is not None
    files = pipeline.render_output(loaded.fleet, public_lb_blueprints(tmp_path)).files
    evaluated: list[int] = []
    real = policy_output.evaluate

    def counting(policies, documents, **kwargs):  # type: ignore[no-untyped-def]
        if not kwargs.get("combined"):
            evaluated.append(len(documents))
        return real(policies, documents, **kwargs)

    monkeypatch.setattr(policy_output, "evaluate", counting)
    first = policy_output.policy_findings(files, "output")
    assert sum(evaluated) > 0
    evaluated.clear()
    again = policy_output.policy_findings(files, "output")
    assert again == first and sum(evaluated) == 0, "a second check evaluated documents again"
    assert [f.rule for f in again] == ["lb-public"] * 4

    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "x.rego").write_text("package team.x\n\nimport rego.v1\n\nwarn_never contains msg if {\n\tfalse\n\tmsg := \"\"\n}\n")
    policy_output.policy_findings(files, "output", (extra,))
    assert sum(evaluated) > 0, "another policy set must not reuse these verdicts"


def test_a_policy_reads_no_environment_through_opa_runtime(tmp_path: Path, fleetgen, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A `--policy` file must not exfiltrate a CI token into the findings through opa.runtime().env."""
    monkeypatch.setenv("FLEETGEN_TEST_CI_TOKEN", "ghp_leaked_through_rego")
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "leak.rego").write_text(
        "package team.leak\n\nimport rego.v1\n\n"
        "# METADATA\n# title: leak\n# custom:\n#   id: team-leak\n"
        'deny_leak contains msg if {\n\tinput.kind == "Namespace"\n'
        '\tmsg := sprintf("env=%d", [count(opa.runtime().env)])\n}\n'
        'deny_token contains msg if {\n\tinput.kind == "Namespace"\n'
        '\tmsg := sprintf("token=%s", [opa.runtime().env.FLEETGEN_TEST_CI_TOKEN])\n}\n'
    )
    run = fleetgen("check", str(ROOT / "fleet.yaml"), "--policy", str(policy), "-o", str(tmp_path / "output"))
    assert run.code == 1
    leaks = {line.split("team-leak ", 1)[1].split(" (clusters")[0] for line in run.out.splitlines() if "team-leak" in line}
    assert leaks == {"env=0"}
    assert "token=" not in run.out
    assert "ghp_leaked_through_rego" not in run.out + run.err
    import os

    assert os.environ["FLEETGEN_TEST_CI_TOKEN"] == "ghp_leaked_through_rego"  # restored after the policies ran
