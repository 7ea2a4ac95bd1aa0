"""A thin adapter over regopy (rego-cpp): compile Rego once, query it many times.

Everything that knows regopy's quirks lives here, so the rest of the package
deals in plain Python values and :class:`PolicyError`.

Quirks handled (measured with regopy 1.5.2):

* ``Output`` parses the engine's JSON text, which does not escape quotes or
  control characters of strings that came from the input (a Corefile's
  newlines); results are therefore read from the output node tree.
* Errors are S-expressions (``(error 15:file.rego|65|2 (errormsg 24:...))``)
  carrying byte offsets; :func:`describe_error` turns them into
  ``file:line:col: message``.
* Missing builtins are silently undefined unless ``strict_built_in_errors``
  is set; it is always set here.
* String values come back in mixed forms (see :func:`_plain_string`).
* A call to an unknown function is reported at query time, as an error node
  of an output that claims to be ok.
* ``opa.runtime()`` returns the process environment, read at each call; every
  build and query therefore runs with an empty environment
  (:func:`empty_environment`), so no policy can read a CI token into a finding.
"""

from __future__ import annotations

import ctypes
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from regopy import Input, Interpreter, LogLevel, RegoError
from regopy import rego_shared as native
from regopy.rego_shared import NodeKind

from generator.diagnostics import Location
from generator.errors import FleetError


class PolicyError(FleetError):
    """The policies could not be compiled or cannot run on this engine (exit 2)."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(f"{location}: {message}" if location else message)
        self.location = location
        self.detail = message


@contextmanager
def empty_environment() -> Iterator[None]:
    """Run the block with an empty C environment (restored afterwards, also on error).

    rego-cpp's ``opa.runtime().env`` is the C library's ``environ`` at the time of
    the call, which can hold more than ``os.environ`` (variables set by C code,
    such as curses' LINES/COLUMNS); ``os.environ`` itself is left alone. Callers
    that run many queries enter this once around all of them; a nested use costs
    nothing. Not for threads: the environment belongs to the process.
    """
    try:
        entries = _c_environment()
    except (OSError, ValueError, AttributeError):  # no `environ` symbol to read (not glibc/musl)
        with _empty_os_environ():
            yield
        return
    if not entries:
        yield
        return
    libc = _libc()
    names = [entry.split(b"=", 1)[0] for entry in entries]
    for name in names:
        libc.unsetenv(name)
    try:
        yield
    finally:
        for entry in entries:
            name, _, value = entry.partition(b"=")
            libc.setenv(name, value, 1)


@contextmanager
def _empty_os_environ() -> Iterator[None]:
    """The portable fallback: empty ``os.environ`` (which unsets the C variables it knows)."""
    saved = dict(os.environ)
    os.environ.clear()
    try:
        yield
    finally:
        os.environ.update(saved)


@lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None)


def _c_environment() -> list[bytes]:
    """Every ``NAME=value`` of the C ``environ`` array."""
    environ = ctypes.POINTER(ctypes.c_char_p).in_dll(_libc(), "environ")
    entries: list[bytes] = []
    if not environ:
        return entries
    index = 0
    while environ[index] is not None:
        entries.append(environ[index])
        index += 1
    return entries


@dataclass(frozen=True)
class EvalError:
    """A query that failed at run time: engine message and error code."""

    message: str
    code: str

    @property
    def is_authoring_error(self) -> bool:
        """True when the policy can never run here (unsupported builtin, unknown function)."""
        return "not supported" in self.message or "not found" in self.message


@dataclass(frozen=True)
class _Located:
    file: str
    offset: int
    message: str


class Engine:
    """Rego modules compiled once into a bundle with one query and some entrypoints."""

    def __init__(
        self, modules: Mapping[str, str], query: str | None, entrypoints: Sequence[str] = ()
    ) -> None:
        self._sources = dict(modules)
        self._interpreter = Interpreter()
        self._interpreter.log_level = LogLevel.NONE
        self._interpreter.strict_built_in_errors = True
        try:
            with empty_environment():
                for name, source in self._sources.items():
                    self._interpreter.add_module(name, source)
                self._bundle = self._interpreter.build(query, list(entrypoints))
        except RegoError as exc:
            raise self._compile_error(str(exc)) from None
        if not self._bundle.ok():
            raise PolicyError("the Rego bundle failed to build")

    def set_input(self, value: Any) -> None:
        """Make ``value`` (JSON-like Python) the ``input`` of the following queries."""
        try:
            self._interpreter.set_input(Input(value))
        except (RegoError, TypeError, ValueError) as exc:
            raise PolicyError(f"cannot pass the document to Rego: {exc}") from None

    def query(self, entrypoint: str | None = None) -> Any:
        """Evaluate the build query (value bound to ``x``) or one entrypoint (the rule's value).

        Returns plain Python, ``None`` for undefined, or an :class:`EvalError`.
        """
        impl = self._interpreter._impl  # regopy offers no node access without Output's JSON parse
        bundle = self._bundle._impl
        try:
            with empty_environment():
                if entrypoint is None:
                    output = native.rego_bundle_query(impl, bundle)
                else:
                    output = native.rego_bundle_query_entrypoint(impl, bundle, entrypoint)
        except RegoError as exc:
            return EvalError(_first_message(str(exc)), "rego_error")
        try:
            return _read_output(native.rego_output_node(output), entrypoint is None)
        finally:
            native.rego_free_output(output)

    def _compile_error(self, text: str) -> PolicyError:
        located = _parse_errors(text)
        if not located:
            return PolicyError(f"Rego compile error: {text.strip()}")
        first, *rest = located
        message = first.message
        if rest:
            message += "; " + "; ".join(f"{self._location(e)}: {e.message}" for e in rest)
        return PolicyError(message, self._location(first))

    def _location(self, err: _Located) -> Location:
        source = self._sources.get(err.file)
        if source is None:
            return Location(err.file)
        head = source.encode("utf-8")[: err.offset]
        line = head.count(b"\n") + 1
        column = len(head) - (head.rfind(b"\n") + 1) + 1
        return Location(err.file, line, column)


def describe_error(err: EvalError) -> str:
    return f"{err.message} ({err.code})" if err.code else err.message


def _read_output(root: int, bound: bool) -> Any:
    kind = native.rego_node_type(root)
    if kind in (NodeKind.ErrorSeq, NodeKind.Error):
        return _read_error(root)
    if kind is NodeKind.Undefined or native.rego_node_size(root) == 0:
        return None
    result = native.rego_node_get(root, 0)  # Results -> first Result
    if bound:
        bindings = native.rego_node_get(result, 1)
        if native.rego_node_size(bindings) == 0:
            return None
        binding = native.rego_node_get(bindings, 0)  # Binding(Var, value)
        return to_python(native.rego_node_get(binding, 1))
    terms = native.rego_node_get(result, 0)
    if native.rego_node_size(terms) == 0:
        return None
    return to_python(native.rego_node_get(terms, 0))


def _read_error(root: int) -> EvalError:
    error = root
    if native.rego_node_type(root) is NodeKind.ErrorSeq and native.rego_node_size(root):
        error = native.rego_node_get(root, 0)
    message, code = "unknown Rego error", ""
    for index in range(native.rego_node_size(error)):
        child = native.rego_node_get(error, index)
        kind = native.rego_node_type(child)
        if kind is NodeKind.ErrorMessage:
            message = native.rego_node_value(child)
        elif kind is NodeKind.ErrorCode:
            code = native.rego_node_value(child)
    return EvalError(message, code)


def to_python(node: int) -> Any:
    """Convert an engine value node into JSON-like Python (sets become sorted-as-given lists)."""
    kind = native.rego_node_type(node)
    if kind in (NodeKind.Term, NodeKind.Scalar):
        return to_python(native.rego_node_get(node, 0))
    size = native.rego_node_size(node)
    if kind in (NodeKind.Array, NodeKind.Set):
        return [to_python(native.rego_node_get(node, i)) for i in range(size)]
    if kind is NodeKind.Object:
        result: dict[str, Any] = {}
        for i in range(size):
            item = native.rego_node_get(node, i)
            key = to_python(native.rego_node_get(item, 0))
            result[key if isinstance(key, str) else repr(key)] = to_python(native.rego_node_get(item, 1))
        return result
    text = native.rego_node_value(node)
    if kind is NodeKind.String:
        return _plain_string(text)
    if kind is NodeKind.Int:
        return int(text)
    if kind is NodeKind.Float:
        return float(text)
    if kind is NodeKind.Boolean:
        return text == "true"
    return None


def _plain_string(text: str) -> str:
    """Undo rego-cpp's mixed string forms.

    Strings made by some builtins (``lower``, ``concat``, ``regex.*``,
    ``object.get``) come back wrapped in quotes, and string literals and
    ``sprintf("%v")`` keep ``\\"`` escapes; input strings come back raw.
    """
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1]
    return text.replace('\\"', '"')


_ERROR_HEAD = re.compile(rb"\(error (\d+):")
_ERROR_MSG = re.compile(rb"\(errormsg (\d+):")


def _parse_errors(text: str) -> list[_Located]:
    """Pull (file, byte offset, message) out of rego-cpp's error S-expression."""
    raw = text.encode("utf-8")
    found = []
    for head in _ERROR_HEAD.finditer(raw):
        start = head.end()
        name = raw[start : start + int(head.group(1))]
        offset = re.match(rb"\|(\d+)\|", raw[start + len(name) :])
        msg = _ERROR_MSG.search(raw, start)
        if not msg:
            continue
        body = raw[msg.end() : msg.end() + int(msg.group(1))]
        found.append(
            _Located(
                name.decode("utf-8", "replace"),
                int(offset.group(1)) if offset else 0,
                body.decode("utf-8", "replace"),
            )
        )
    return found


def _first_message(text: str) -> str:
    located = _parse_errors(text)
    if located:
        return located[0].message
    msg = _ERROR_MSG.search(text.encode("utf-8"))
    if msg:
        return text.encode("utf-8")[msg.end() : msg.end() + int(msg.group(1))].decode("utf-8", "replace")
    return text.strip()
