"""What counts as a valid DNS name for a zone, a cluster domain or a mesh trust domain."""

from __future__ import annotations

import re

MAX_NAME = 253
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid lower-case DNS name (labels of [a-z0-9-]), or None if it is."""
    if not name:
        return "is empty"
    if len(name) > MAX_NAME:
        return f"is {len(name)} characters long; a DNS name has at most {MAX_NAME}"
    for label in name.split("."):
        if not label:
            return "has an empty label (two dots in a row)"
        if len(label) > 63:
            return f"has a label of {len(label)} characters ('{label[:20]}...'); a label has at most 63"
        if not _LABEL.fullmatch(label):
            return (
                f"has an invalid label '{label}': use lower-case letters, digits and '-', "
                "not starting or ending with '-'"
            )
    return None


def proper_suffixes(name: str) -> list[str]:
    """``a.b.c`` -> ``["b.c", "c"]``: every parent domain of ``name``."""
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(1, len(labels))]
