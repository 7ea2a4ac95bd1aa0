"""The Rego runner against small policy folders written per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.diagnostics import Location, Severity
from generator.policy import Document, PolicyError, evaluate, load_policies, run_tests

DEMO = """package fleetgen.demo

import rego.v1

# METADATA
# title: No services
# custom:
#   id: demo-no-service
deny contains msg if {
	input.kind == "Service"
	msg := sprintf("Service %s is not allowed", [input.metadata.name])
}

deny_named contains {"msg": "named service", "clusters": ["a", "b"]} if input.kind == "Service"

violation_pod contains "pods are violations" if input.kind == "Pod"

warn_pod contains "pods only warn" if input.kind == "Pod"

exception contains rules if {
	input.metadata.name == "allowed"
	rules := ["named"]
}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return folder


def service(name: str) -> dict[str, object]:
    return {"kind": "Service", "metadata": {"name": name}}


def test_messages_metadata_ids_and_severities(tmp_path: Path) -> None:
    policies = load_policies([write(tmp_path, "demo.rego", DEMO)])
    docs = [
        Document("out/svc.yaml", service("web"), line=3),
        Document("out/pod.yaml", {"kind": "Pod", "metadata": {"name": "p"}}),
    ]
    assert [(f.rule, f.severity, f.message, f.location, f.clusters) for f in evaluate(policies, docs)] == [
        ("policy/fleetgen/demo/violation_pod", Severity.ERROR, "pods are violations", Location("out/pod.yaml", 1), ()),
        ("policy/fleetgen/demo/warn_pod", Severity.WARNING, "pods only warn", Location("out/pod.yaml", 1), ()),
        ("demo-no-service", Severity.ERROR, "Service web is not allowed", Location("out/svc.yaml", 3), ()),
        ("policy/fleetgen/demo/deny_named", Severity.ERROR, "named service", Location("out/svc.yaml", 3), ("a", "b")),
    ]


def test_exception_silences_only_the_named_rule(tmp_path: Path) -> None:
    policies = load_policies([write(tmp_path, "demo.rego", DEMO)])
    findings = evaluate(policies, [Document("svc.yaml", service("allowed"))])
    assert [f.rule for f in findings] == ["demo-no-service"]


def test_input_strings_keep_quotes_and_newlines(tmp_path: Path) -> None:
    policies = load_policies([write(tmp_path, "demo.rego", DEMO)])
    findings = evaluate(policies, [Document("svc.yaml", service('we"b\nx'))], namespaces=["fleetgen.demo"])
    assert findings[0].message == 'Service we"b\nx is not allowed'


def test_document_clusters_are_the_default_clusters(tmp_path: Path) -> None:
    policies = load_policies([write(tmp_path, "demo.rego", DEMO)])
    findings = evaluate(policies, [Document("svc.yaml", service("web"), clusters=("c",))])
    assert [(f.rule, f.clusters) for f in findings] == [
        ("demo-no-service", ("c",)),
        ("policy/fleetgen/demo/deny_named", ("a", "b")),
    ]


def test_namespaces_limit_the_packages(tmp_path: Path) -> None:
    write(tmp_path, "demo.rego", DEMO)
    write(tmp_path, "main.rego", 'package main\n\nimport rego.v1\n\ndeny contains "main says no" if input.kind\n')
    policies = load_policies([tmp_path])
    docs = [Document("svc.yaml", service("allowed"))]
    assert [f.rule for f in evaluate(policies, docs, namespaces=["main"])] == ["policy/main/deny"]
    assert [f.rule for f in evaluate(policies, docs)] == ["demo-no-service", "policy/main/deny"]


def test_combined_mode_sees_every_document_and_points_at_message_path(tmp_path: Path) -> None:
    policy = """package fleetgen.pairs

import rego.v1

deny_duplicate contains {"msg": sprintf("%s is declared twice", [name]), "path": b.path} if {
	some a in input
	some b in input
	a.path < b.path
	name := a.contents.metadata.name
	name == b.contents.metadata.name
}

warn_count contains sprintf("%d documents", [count(input)]) if is_array(input)
"""
    policies = load_policies([write(tmp_path, "pairs.rego", policy)])
    docs = [
        Document("a.yaml", service("db")),
        Document("b.yaml", service("db"), line=7),
        Document("c.yaml", service("web")),
    ]
    findings = evaluate(policies, docs, combined=True)
    assert [(f.rule, f.message, str(f.location)) for f in findings] == [
        ("policy/fleetgen/pairs/warn_count", "3 documents", "a.yaml:1:1"),
        ("policy/fleetgen/pairs/deny_duplicate", "db is declared twice", "b.yaml:7:1"),
    ]
    assert evaluate(policies, docs) == []  # per document, input is no list


def test_missing_builtin_is_a_policy_error_naming_the_file(tmp_path: Path) -> None:
    policy = 'package fleetgen.cidr\n\nimport rego.v1\n\ndeny_outside contains "outside" if {\n\tnot net.cidr_contains("10.0.0.0/8", input.ip)\n}\n'
    policies = load_policies([write(tmp_path, "net.rego", policy)])
    with pytest.raises(PolicyError) as caught:
        evaluate(policies, [Document("x.yaml", {"ip": "10.1.2.3"})])
    assert str(caught.value) == (
        f"{tmp_path}/net.rego:5:1: rule deny_outside cannot run on regopy: "
        "Networking builtins are not supported (eval_builtin_error)"
    )
    assert caught.value.exit_code == 2


def test_unknown_function_is_a_policy_error(tmp_path: Path) -> None:
    policy = 'package fleetgen.typo\n\nimport rego.v1\n\ndeny contains msg if {\n\tmsg := no_such_function(input)\n}\n'
    policies = load_policies([write(tmp_path, "typo.rego", policy)])
    with pytest.raises(PolicyError, match=r"typo.rego:5:1: rule deny cannot run on regopy: Function not found: no_such_function"):
        evaluate(policies, [Document("x.yaml", {})])


def test_syntax_error_reports_file_line_column(tmp_path: Path) -> None:
    write(tmp_path, "bad.rego", 'package fleetgen.bad\n\nimport rego.v1\n\ndeny contains "x" if {\n\tinput.kind ==\n}\n')
    with pytest.raises(PolicyError) as caught:
        load_policies([tmp_path])
    assert str(caught.value) == f"{tmp_path}/bad.rego:6:13: Invalid boolean operator"
    assert caught.value.location == Location(f"{tmp_path}/bad.rego", 6, 13)


def test_runtime_error_is_a_finding_and_other_rules_still_report(tmp_path: Path) -> None:
    policy = """package fleetgen.divide

import rego.v1

deny_ratio contains sprintf("ratio %d", [100 / input.n]) if input.n < 1

warn_small contains "small" if input.n < 1
"""
    policies = load_policies([write(tmp_path, "divide.rego", policy)])
    findings = evaluate(policies, [Document("x.yaml", {"n": 0})])
    assert [(f.rule, f.severity, f.message) for f in findings] == [
        ("policy/fleetgen/divide/deny_ratio", Severity.ERROR, "policy evaluation failed: divide by zero (eval_builtin_error)"),
        ("policy/fleetgen/divide/warn_small", Severity.WARNING, "small"),
    ]


def test_with_input_as_is_refused_before_it_can_abort(tmp_path: Path) -> None:
    write(tmp_path, "demo.rego", DEMO)
    write(tmp_path, "demo_test.rego", 'package fleetgen.demo_test\n\nimport rego.v1\n\ntest_x if {\n\tdata.fleetgen.demo.deny with input as {}\n}\n')
    with pytest.raises(PolicyError, match=r"demo_test.rego:6:1: `with input as <value>` aborts"):
        run_tests([tmp_path])


def test_run_tests_lists_passed_and_failed(tmp_path: Path) -> None:
    write(tmp_path, "demo.rego", DEMO)
    tests = """package fleetgen.demo_test

import rego.v1

import data.fleetgen.demo

test_service_denied if {
	demo.deny == {"Service web is not allowed"} with input.kind as "Service" with input.metadata as {"name": "web"}
}

test_wrong_expectation if {
	demo.deny == {"nothing"} with input.kind as "Service" with input.metadata as {"name": "web"}
}

todo_test_later if false
"""
    write(tmp_path, "demo_test.rego", tests)
    report = run_tests([tmp_path])
    assert report.passed == ("data.fleetgen.demo_test.test_service_denied",)
    assert report.failed == ("data.fleetgen.demo_test.test_wrong_expectation",)
    assert report.outcomes[1].reason == "undefined"
    assert report.lines()[-1] == "1 passed, 1 failed"
    assert not report.ok


def test_test_files_are_not_policies(tmp_path: Path) -> None:
    write(tmp_path, "demo.rego", DEMO)
    write(tmp_path, "demo_test.rego", 'package fleetgen.demo_test\n\nimport rego.v1\n\ndeny contains "from a test file" if true\n')
    policies = load_policies([tmp_path])
    assert policies.packages == ("fleetgen.demo",)


def test_missing_policy_directory_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="policy directory not found"):
        load_policies([tmp_path / "nope"])


def test_value_json_cannot_hold_is_a_policy_error_at_the_document(tmp_path: Path) -> None:
    policies = load_policies([write(tmp_path, "demo.rego", DEMO)])
    with pytest.raises(PolicyError) as caught:
        evaluate(policies, [Document("x.yaml", {"kind": "Pod", "when": object()}, line=4)])
    assert caught.value.location == Location("x.yaml", 4)
    assert "cannot pass the document to Rego" in str(caught.value)


RUNTIME = """package fleetgen.runtime

import rego.v1

deny contains sprintf("env has %d variables", [count(opa.runtime().env)]) if input.kind == "Pod"

test_env_is_empty if count(opa.runtime().env) == 0
"""


def test_policies_and_rego_tests_see_an_empty_runtime_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEETGEN_TEST_SECRET", "s3cret")
    folder = write(tmp_path, "runtime.rego", RUNTIME)
    findings = evaluate(load_policies([folder]), [Document("p.yaml", {"kind": "Pod"})])
    assert [f.message for f in findings] == ["env has 0 variables"]
    report = run_tests([folder])
    assert report.passed == ("data.fleetgen.runtime.test_env_is_empty",)
    import os

    assert os.environ["FLEETGEN_TEST_SECRET"] == "s3cret"


def test_without_a_readable_c_environ_the_os_environment_is_emptied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Platforms without an `environ` symbol (macOS dylibs) fall back to emptying os.environ."""
    from generator.policy import engine

    def unreadable() -> list[bytes]:
        raise ValueError("symbol 'environ' not found")

    monkeypatch.setenv("FLEETGEN_TEST_SECRET", "s3cret")
    monkeypatch.setattr(engine, "_c_environment", unreadable)
    leak = 'package fleetgen.leak\n\nimport rego.v1\n\ndeny contains opa.runtime().env.FLEETGEN_TEST_SECRET if input.kind == "Pod"\n'
    folder = write(tmp_path, "leak.rego", leak)
    assert evaluate(load_policies([folder]), [Document("p.yaml", {"kind": "Pod"})]) == []
    import os

    assert os.environ["FLEETGEN_TEST_SECRET"] == "s3cret"
