"""Run Rego unit tests the way ``opa test`` and ``conftest verify`` do.

Every rule named ``test_*`` in every ``*.rego`` under the directories (tests
and policies compiled together) is evaluated once; it passes if its value is
``true``. ``todo_test_*`` rules are skipped, as in OPA.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.diagnostics import Location
from generator.policy.engine import Engine, EvalError, describe_error, empty_environment
from generator.policy.runner import find_rego_files, read_modules


@dataclass(frozen=True)
class TestOutcome:
    """One test rule: ``name`` is ``data.<package>.<rule>``; ``reason`` says why it failed."""

    __test__ = False  # not a pytest class

    name: str
    passed: bool
    location: Location
    reason: str = ""


@dataclass(frozen=True)
class TestReport:
    __test__ = False  # not a pytest class

    outcomes: tuple[TestOutcome, ...]

    @property
    def passed(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.outcomes if o.passed)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.outcomes if not o.passed)

    @property
    def ok(self) -> bool:
        return not self.failed

    def lines(self) -> list[str]:
        """``PASS name`` / ``FAIL file:line: name: reason`` lines and a summary, for a CLI."""
        out = []
        for o in self.outcomes:
            out.append(f"PASS {o.name}" if o.passed else f"FAIL {o.location}: {o.name}: {o.reason}")
        out.append(f"{len(self.passed)} passed, {len(self.failed)} failed")
        return out


def run_tests(dirs: Sequence[Path]) -> TestReport:
    """Compile policies and tests under ``dirs`` once and evaluate every ``test_*`` rule."""
    modules = read_modules(find_rego_files([Path(d) for d in dirs], tests=True))
    tests = [
        (module, head)
        for module in modules
        for head in module.rules
        if head.name.startswith("test_") and not head.is_function
    ]
    if not tests:
        return TestReport(())
    entrypoints = [f"{module.package_path}/{head.name}" for module, head in tests]
    engine = Engine({m.path: m.source for m in modules}, None, entrypoints)
    outcomes = []
    for (module, head), entrypoint in zip(tests, entrypoints):
        name = f"data.{module.package}.{head.name}"
        with empty_environment():
            result = engine.query(entrypoint)
        if result is True:
            outcomes.append(TestOutcome(name, True, head.location))
        elif isinstance(result, EvalError):
            outcomes.append(TestOutcome(name, False, head.location, f"error: {describe_error(result)}"))
        else:
            reason = "undefined" if result is None else f"evaluated to {result!r}"
            outcomes.append(TestOutcome(name, False, head.location, reason))
    return TestReport(tuple(outcomes))
