"""Run conftest-style Rego policies over documents and turn their verdicts into findings.

Semantics follow conftest:

* In every package, rules named ``deny``, ``violation``, ``warn`` or
  ``deny_<name>``, ``violation_<name>``, ``warn_<name>`` report; ``deny`` and
  ``violation`` are errors, ``warn`` warnings.
* A rule's value is a set of messages: strings, or objects with ``msg``
  (``clusters``, and in combined mode ``path``, are read too; other keys
  such as ``details`` are ignored). A boolean ``true`` reports the rule's
  METADATA title.
* ``exception contains names if {...}`` in a package, with ``names`` a set
  or array of suffixes, silences ``deny_<suffix>``/``violation_<suffix>``/
  ``warn_<suffix>`` of that package for that input.
* ``combined=True`` evaluates once with ``input`` = ``[{"path", "contents"}]``
  (conftest ``--combine``).

The rule id of a finding is the rule's METADATA ``custom.id``, else
``policy/<package with slashes>/<rule>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.diagnostics import Finding, Location, Severity, sorted_findings
from generator.policy.engine import Engine, EvalError, PolicyError, describe_error, empty_environment
from generator.policy.source import MetadataError, Metadata, Module, read_module

# rego-cpp 1.5.2 aborts (uncatchable) when compiling `with input as X` over rules
# that depend on other rules; refuse it before it reaches the engine.
_WITH_INPUT = re.compile(r"\bwith\s+input\s+as\b")
_REPORTING = re.compile(r"^(deny|violation|warn)(?:_([A-Za-z0-9_]+))?$")


@dataclass(frozen=True)
class Document:
    """One input to the policies.

    ``path`` is shown in findings (``output/clusters/a/dns/configmap-coredns.yaml``),
    ``contents`` is the parsed JSON/YAML value, ``line`` the document's first
    line inside ``path``; ``clusters`` are reported with its findings when the
    message names none (the caller knows which cluster a file belongs to).
    """

    path: str
    contents: Any
    line: int = 1
    clusters: tuple[str, ...] = ()

    @property
    def location(self) -> Location:
        return Location(self.path, self.line)


@dataclass(frozen=True)
class PolicyRule:
    """A reporting rule (``deny``/``violation``/``warn``, bare or suffixed)."""

    package: str
    name: str
    location: Location
    metadata: Metadata

    @property
    def entrypoint(self) -> str:
        return f"{self.package.replace('.', '/')}/{self.name}"

    @property
    def rule_id(self) -> str:
        return self.metadata.custom_id or f"policy/{self.entrypoint}"

    @property
    def severity(self) -> Severity:
        return Severity.WARNING if self.name.startswith("warn") else Severity.ERROR

    @property
    def suffix(self) -> str:
        match = _REPORTING.match(self.name)
        return (match.group(2) or "") if match else ""


@dataclass(frozen=True, eq=False)
class PolicySet:
    """Policies compiled once; evaluate them with :func:`evaluate`.

    ``exception_packages`` lists the packages that define ``exception``.
    ``engine`` is ``None`` when the directories hold no reporting rule.
    """

    rules: tuple[PolicyRule, ...]
    exception_packages: tuple[str, ...]
    modules: tuple[Module, ...] = field(repr=False)
    engine: Engine | None = field(repr=False)

    @property
    def packages(self) -> tuple[str, ...]:
        return tuple(sorted({rule.package for rule in self.rules}))


def find_rego_files(dirs: Sequence[Path], *, tests: bool) -> list[Path]:
    """Every ``*.rego`` under ``dirs`` (sorted); ``*_test.rego`` only if ``tests``."""
    files: list[Path] = []
    for root in dirs:
        root = Path(root)
        if root.is_file():
            candidates = [root]
        elif root.is_dir():
            candidates = sorted(p for p in root.rglob("*.rego") if p.is_file())
        else:
            raise PolicyError(f"policy directory not found: {root}")
        files.extend(p for p in candidates if tests or not p.name.endswith("_test.rego"))
    return files


def read_modules(files: Sequence[Path]) -> tuple[Module, ...]:
    modules = []
    for path in files:
        try:
            module = read_module(path, str(path))
        except MetadataError as exc:
            raise PolicyError(str(exc), exc.location) from None
        except (OSError, UnicodeError) as exc:
            raise PolicyError(f"cannot read policy: {exc}", Location(str(path))) from None
        if not module.package:
            raise PolicyError("no package declaration", Location(str(path), 1, 1))
        line = _with_input_line(module.source)
        if line:
            raise PolicyError(
                "`with input as <value>` aborts the regopy process; mock keys "
                "(`with input.kind as ...`) or rules (`with data.fleetgen.lib.documents as ...`)",
                Location(str(path), line, 1),
            )
        modules.append(module)
    return tuple(modules)


def _with_input_line(source: str) -> int:
    """Line of the first `with input as` outside comments, 0 if none."""
    for number, text in enumerate(source.splitlines(), start=1):
        if not text.lstrip().startswith("#") and _WITH_INPUT.search(text):
            return number
    return 0


def load_policies(dirs: Sequence[Path]) -> PolicySet:
    """Compile every ``*.rego`` except ``*_test.rego`` under ``dirs`` into one bundle.

    Raises :class:`PolicyError` (exit 2) with ``file:line:col`` for bad Rego.
    """
    modules = read_modules(find_rego_files(dirs, tests=False))
    rules: dict[str, PolicyRule] = {}
    exception_packages: list[str] = []
    for module in modules:
        for head in module.rules:
            if head.name == "exception" and module.package not in exception_packages:
                exception_packages.append(module.package)
            if _REPORTING.match(head.name) and not head.is_function:
                rule = PolicyRule(module.package, head.name, head.location, head.metadata)
                rules.setdefault(rule.entrypoint, rule)
    ordered = tuple(rules.values())
    engine = None
    if ordered:
        slots = [_ref(rule.package, rule.name) for rule in ordered]
        slots += [_ref(package, "exception") for package in exception_packages]
        query = "x := [" + ", ".join(f"[v | v := {ref}]" for ref in slots) + "]"
        entrypoints = [rule.entrypoint for rule in ordered]
        entrypoints += [f"{p.replace('.', '/')}/exception" for p in exception_packages]
        engine = Engine({m.path: m.source for m in modules}, query, entrypoints)
    return PolicySet(ordered, tuple(exception_packages), modules, engine)


def evaluate(
    policies: PolicySet,
    documents: Sequence[Document],
    *,
    combined: bool = False,
    namespaces: Sequence[str] | None = None,
) -> list[Finding]:
    """Findings of ``policies`` over ``documents``, with an empty environment for ``opa.runtime()``."""
    with empty_environment():  # once for every query (see engine.empty_environment)
        return _evaluate(policies, documents, combined=combined, namespaces=namespaces)


def _evaluate(
    policies: PolicySet,
    documents: Sequence[Document],
    *,
    combined: bool = False,
    namespaces: Sequence[str] | None = None,
) -> list[Finding]:
    """Findings of ``policies`` over ``documents``, sorted.

    ``namespaces`` limits the packages (``None``: all, like ``--all-namespaces``).
    Per document, a policy runtime error becomes an error finding of that rule;
    an unsupported builtin or unknown function raises :class:`PolicyError`.
    """
    if policies.engine is None or not documents:
        return []
    wanted = None if namespaces is None else frozenset(namespaces)
    selected = [r for r in policies.rules if wanted is None or r.package in wanted]
    findings: list[Finding] = []
    if combined:
        value = [{"path": d.path, "contents": d.contents} for d in documents]
        findings += _evaluate_one(policies, policies.engine, selected, value, documents, combined=True)
    else:
        for document in documents:
            findings += _evaluate_one(
                policies, policies.engine, selected, document.contents, [document], combined=False
            )
    return sorted_findings(findings)


def _evaluate_one(
    policies: PolicySet,
    engine: Engine,
    selected: Sequence[PolicyRule],
    value: Any,
    documents: Sequence[Document],
    *,
    combined: bool,
) -> list[Finding]:
    try:
        engine.set_input(value)
    except PolicyError as exc:
        raise PolicyError(exc.detail, documents[0].location) from None
    values = _rule_values(policies, engine, selected)
    exempt = _exemptions(policies, values)
    findings: list[Finding] = []
    for rule in selected:
        result = values[rule.entrypoint]
        if isinstance(result, EvalError):
            if result.is_authoring_error:
                raise PolicyError(
                    f"rule {rule.name} cannot run on regopy: {describe_error(result)}", rule.location
                )
            message = f"policy evaluation failed: {describe_error(result)}"
            findings.append(Finding(rule.rule_id, Severity.ERROR, message, documents[0].location))
            continue
        if rule.suffix and rule.suffix in exempt.get(rule.package, ()):
            continue
        for message in _messages(result):
            findings.append(_finding(rule, message, documents, combined))
    return findings


def _rule_values(
    policies: PolicySet, engine: Engine, selected: Sequence[PolicyRule]
) -> dict[str, Any]:
    """Entrypoint -> rule value (``None`` if undefined) or :class:`EvalError`.

    One query answers every rule; if it fails, each rule is queried on its own
    so one broken rule does not hide the others.
    """
    slots = [r.entrypoint for r in policies.rules]
    slots += [f"{p.replace('.', '/')}/exception" for p in policies.exception_packages]
    result = engine.query()
    if not isinstance(result, EvalError) and isinstance(result, list):
        return {slot: (got[0] if got else None) for slot, got in zip(slots, result)}
    wanted = {r.entrypoint for r in selected}
    wanted |= {s for s in slots if s.endswith("/exception")}
    return {slot: engine.query(slot) for slot in slots if slot in wanted}


def _exemptions(policies: PolicySet, values: dict[str, Any]) -> dict[str, frozenset[str]]:
    exempt: dict[str, frozenset[str]] = {}
    for package in policies.exception_packages:
        found = values.get(f"{package.replace('.', '/')}/exception")
        names: set[str] = set()
        for item in found if isinstance(found, list) else []:
            names.update(n for n in (item if isinstance(item, list) else [item]) if isinstance(n, str))
        exempt[package] = frozenset(names)
    return exempt


def _messages(value: Any) -> list[Any]:
    if value is None or value is False:
        return []
    if value is True:
        return [None]
    return value if isinstance(value, list) else [value]


def _finding(rule: PolicyRule, message: Any, documents: Sequence[Document], combined: bool) -> Finding:
    location = documents[0].location
    clusters: tuple[str, ...] = () if combined else documents[0].clusters
    if message is None:
        text = rule.metadata.title or rule.name
    elif isinstance(message, dict):
        msg = message.get("msg")
        text = msg if isinstance(msg, str) else _dump(message)
        raw_clusters = message.get("clusters")
        if isinstance(raw_clusters, list):
            clusters = tuple(str(c) for c in raw_clusters)
        path = message.get("path")
        if combined and isinstance(path, str):
            location = next((d.location for d in documents if d.path == path), Location(path, 1))
    else:
        text = message if isinstance(message, str) else _dump(message)
    return Finding(rule.rule_id, rule.severity, text, location, clusters)


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _ref(package: str, name: str) -> str:
    return "data" + "".join(f'["{part}"]' for part in [*package.split("."), name])
