"""Load a fleet file safely and remember where every node came from.

PyYAML's safe loader alone is not enough for untrusted input: it keeps the last
of two duplicate keys, expands aliases without bound and accepts ``!!set``/
``!!binary``. We compose the node tree (which keeps marks), then build plain
Python values from it ourselves, rejecting what a fleet file never needs.
"""

from __future__ import annotations

import os
import stat

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.diagnostics import Location, error
from generator.errors import LoadError

try:  # libyaml's parser is ~10x faster; marks are the same
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 32 * 1024 * 1024
MAX_NODES = 2_000_000
MAX_DEPTH = 64

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP}


@dataclass(frozen=True)
class SourceMap:
    """JSON pointer -> location of the value (and of its key, for mapping entries)."""

    file: str
    values: dict[str, tuple[int, int]]
    keys: dict[str, tuple[int, int]]

    def locate(self, pointer: str, *, key: bool = False) -> Location:
        """The closest known location for ``pointer``, walking up to its parents."""
        table = self.keys if key else self.values
        probe = pointer
        while True:
            hit = table.get(probe) or self.values.get(probe)
            if hit:
                return Location(self.file, hit[0], hit[1])
            if not probe:
                return Location(self.file, 1, 1)
            probe = probe.rsplit("/", 1)[0]


@dataclass(frozen=True)
class Document:
    data: Any
    source: SourceMap


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*parts: object) -> str:
    return "".join("/" + escape(str(p)) for p in parts)


def load_file(path: Path, display: str | None = None) -> Document:
    name = display or str(path)
    try:
        st = os.stat(path)  # before opening: opening a FIFO would wait for a writer
        if not stat.S_ISREG(st.st_mode):
            what = "a directory" if stat.S_ISDIR(st.st_mode) else "a device, FIFO or socket"
            _fail(name, 1, 1, f"cannot read fleet file: it is {what}, not a regular file")
        if st.st_size > MAX_BYTES:
            _fail(name, 1, 1, f"file is {st.st_size} bytes; the limit is {MAX_BYTES}")
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)  # never more than the limit, even if the file grows meanwhile
        if len(raw) > MAX_BYTES:
            _fail(name, 1, 1, f"file is over {MAX_BYTES} bytes, the limit")
    except OSError as exc:
        raise LoadError(error("load", f"cannot read fleet file: {exc.strerror or exc}", Location(name))) from None
    return load_bytes(raw, name)


def load_bytes(raw: bytes, name: str) -> Document:
    if len(raw) > MAX_BYTES:
        _fail(name, 1, 1, f"file is {len(raw)} bytes; the limit is {MAX_BYTES}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        _fail(name, line, column, "file is not valid UTF-8")
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        cm = exc.context_mark
        if exc.problem and exc.context and cm and (cm.line, cm.column) != (line - 1, column - 1):
            problem += f" ({exc.context} started at line {cm.line + 1}, column {cm.column + 1})"
        _fail(name, line, column, f"invalid YAML: {problem}")
    except yaml.YAMLError as exc:  # reader errors (control characters) have no problem_mark
        _fail(name, 1, 1, f"invalid YAML: {exc}")
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        _fail(name, 1, 1, "file is empty; expected a Fleet document")
    if len(nodes) > 1:
        second = nodes[1].start_mark
        _fail(name, second.line + 1, second.column + 1, "expected one YAML document, found several")
    builder = _Builder(name)
    data = builder.build(nodes[0], "", 0)
    return Document(data, SourceMap(name, builder.values, builder.keys))


def _fail(name: str, line: int, column: int, message: str) -> None:
    raise LoadError(error("load", message, Location(name, line, column)))


class _Builder:
    def __init__(self, name: str) -> None:
        self.name = name
        self.values: dict[str, tuple[int, int]] = {}
        self.keys: dict[str, tuple[int, int]] = {}
        self.count = 0
        self.active: set[int] = set()

    def _where(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def _fail(self, node: yaml.Node, message: str) -> None:
        line, column = self._where(node)
        _fail(self.name, line, column, message)

    def build(self, node: yaml.Node, ptr: str, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            self._fail(node, f"document expands to more than {MAX_NODES} nodes (alias bomb?)")
        if depth > MAX_DEPTH:
            self._fail(node, f"nesting deeper than {MAX_DEPTH} levels")
        self.values.setdefault(ptr, self._where(node))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if id(node) in self.active:
            self._fail(node, "recursive alias")
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                if node.tag != _SEQ:
                    self._fail(node, f"tag {node.tag} is not allowed in a fleet file")
                return [self.build(item, f"{ptr}/{i}", depth + 1) for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, ptr, depth)
        finally:
            self.active.discard(id(node))
        self._fail(node, "unsupported YAML node")  # pragma: no cover - compose yields only these

    def _mapping(self, node: yaml.MappingNode, ptr: str, depth: int) -> dict[str, Any]:
        if node.tag != _MAP:
            self._fail(node, f"tag {node.tag} is not allowed in a fleet file")
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._fail(key_node, "merge keys (<<) are not supported in a fleet file; write the fields out")
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in (_STR, _INT, _BOOL, _NULL, _FLOAT):
                self._fail(key_node, "mapping keys must be plain strings")
            key = str(key_node.value)
            if key in out:
                first = self.keys.get(f"{ptr}/{escape(key)}", (0, 0))
                self._fail(key_node, f"duplicate key '{key}' (first defined at line {first[0]})")
            child = f"{ptr}/{escape(key)}"
            self.keys[child] = self._where(key_node)
            out[key] = self.build(value_node, child, depth + 1)
        return out

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag not in _SCALAR_TAGS:
            self._fail(node, f"tag {tag} is not allowed in a fleet file")
        value = node.value
        if tag == _STR or tag == _TIMESTAMP:
            return value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return value.lower() in ("yes", "true", "on", "y")
        if tag == _INT:
            return _int(value)
        if tag == _FLOAT:
            try:
                return float(value.replace("_", ""))
            except ValueError:
                low = value.lower().lstrip("+")
                if low in (".inf", "-.inf"):
                    return float("-inf") if low.startswith("-") else float("inf")
                return float("nan")
        return value  # pragma: no cover


def _int(text: str) -> int:
    raw = text.replace("_", "")
    sign = -1 if raw.startswith("-") else 1
    raw = raw.lstrip("+-")
    if raw.startswith("0b"):
        return sign * int(raw[2:], 2)
    if raw.startswith("0x"):
        return sign * int(raw[2:], 16)
    if raw.startswith("0o"):
        return sign * int(raw[2:], 8)
    if raw.startswith("0") and len(raw) > 1 and ":" not in raw:
        return sign * int(raw, 8)
    if ":" in raw:  # YAML 1.1 sexagesimal, e.g. 1:30
        total = 0
        for part in raw.split(":"):
            total = total * 60 + int(part)
        return sign * total
    return sign * int(raw)
