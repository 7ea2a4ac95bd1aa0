"""Rego policies on regopy, with conftest's rule conventions.

``load_policies`` compiles once, ``evaluate`` runs per document (or combined),
``run_tests`` runs ``test_*`` rules like ``opa test``/``conftest verify``.
"""

from __future__ import annotations

from generator.policy.engine import PolicyError
from generator.policy.runner import Document, PolicyRule, PolicySet, evaluate, load_policies
from generator.policy.testing import TestOutcome, TestReport, run_tests

__all__ = [
    "Document",
    "PolicyError",
    "PolicyRule",
    "PolicySet",
    "TestOutcome",
    "TestReport",
    "evaluate",
    "load_policies",
    "run_tests",
]
