"""A fast validity gate in front of the Python ``jsonschema`` validators.

``jsonschema-rs`` (Rust) decides in microseconds whether an instance is valid. Only a
"valid" from it is trusted: then the Python validator would report nothing, so nothing
is reported. An "invalid", a schema it cannot compile, or an instance or schema this
module cannot prove it treats exactly like Python (``gate`` returns None, ``is_valid``
returns False) sends the instance through the Python validator as before, so every
diagnostic stays the one Python writes.

The gate is sound, never more permissive than Python, because it is only built where
both validators apply the same rules:
* the same draft (2020-12) and format setting (formats are annotations only: Python's
  ``Draft202012Validator`` is built without a format checker, Rust with
  ``validate_formats=False``);
* only keywords in ``SAFE_KEYWORDS`` act (a schema holding any other keyword that either
  side might evaluate differently, ``multipleOf`` with float rounding for one, is left to
  Python); a ``$ref`` must name a ``$defs``/``definitions`` entry or a whole document,
  and resolves offline only to the documents given;
* every ``pattern`` and ``patternProperties`` key is rewritten into a Rust regex that
  matches exactly the strings Python's ``re.search`` matches: it is parsed by Python's
  own regex parser, every character class (``\\s``, ``\\d``, ``\\w``, ``.``, ranges,
  negations) and every case-folded ASCII character is spelled out as the code points
  Python's engine matches (found by running it over every code point), Python's ``$`` is
  spelled ``\\n?$`` where nothing follows it, and constructs with no exact equivalent
  (case folding beyond ASCII literals, lookbehind, word boundaries, backreferences,
  multi-line mode) leave the schema to Python. The regex engine is Rust's ``regex`` crate (no backtracking, so
  no match can be cut short by a step limit);
* instances hold only what both read alike: dict with str keys, list, str, bool, None,
  int within 64 bits and finite float (Rust would read a tuple as an array, NaN as no number).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any, Callable, Iterable

try:  # Python >= 3.11
    from re import _constants as _sre_c  # type: ignore[attr-defined]
    from re import _parser as _sre_p  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _sre_c  # type: ignore[no-redef]
    import sre_parse as _sre_p  # type: ignore[no-redef]

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

# Keywords whose Draft 2020-12 meaning Python jsonschema and jsonschema-rs share (given the
# instance and pattern rules of this module). Anything else that either library evaluates
# sends the whole schema to Python.
SAFE_KEYWORDS = frozenset({
    "$ref", "additionalProperties", "allOf", "anyOf", "const", "dependentRequired", "else", "enum",
    "exclusiveMaximum", "exclusiveMinimum", "format", "if", "items", "maxItems", "maxLength", "maxProperties",
    "maximum", "minItems", "minLength", "minProperties", "minimum", "not", "oneOf", "pattern",
    "patternProperties", "prefixItems", "properties", "propertyNames", "required", "then", "type",
})
# Keywords that Python (Draft 2020-12) or Rust (any draft) may evaluate and that are not safe.
UNSAFE_KEYWORDS = frozenset({
    "multipleOf", "uniqueItems", "contains", "minContains", "maxContains", "unevaluatedItems",
    "unevaluatedProperties", "dependentSchemas", "$dynamicRef", "$dynamicAnchor", "$recursiveRef",
    "$recursiveAnchor", "dependencies", "additionalItems", "divisibleBy", "disallow", "extends",
    "contentSchema", "$anchor", "$vocabulary",
})
# Keywords whose value maps names to subschemas.
_NAMED_SCHEMAS = frozenset({"properties", "$defs", "definitions"})
# Keywords whose value is data (never a schema).
_DATA = frozenset({"enum", "const", "default", "examples", "required", "dependentRequired", "type", "format"})
_REF = re.compile(r"^[^#]*(#(/(\$defs|definitions)/[^/]+)?)?$")
_INT64 = (-(1 << 63), 1 << 63)
# Numeric bounds are left to Python unless they are integers every float holds exactly: Python
# compares an int with a float exactly, a float conversion would not.
_BOUNDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
_EXACT_FLOAT_INT = 1 << 53


class Unsupported(Exception):
    """The schema or pattern has no form this module can prove equivalent; Python decides."""


# --- patterns -------------------------------------------------------------------------

_SURROGATES = (0xD800, 0xDFFF)
_MAX = 0x10FFFF


@lru_cache(maxsize=1)
def _every_code_point() -> str:
    import array
    import sys

    codes = array.array("I", range(_MAX + 1))
    if codes.itemsize != 4:  # pragma: no cover - no such platform here
        return "".join(map(chr, range(_MAX + 1)))
    return codes.tobytes().decode(f"utf-32-{sys.byteorder[0]}e", "surrogatepass")


# What Python's ``\\s`` matches in a str pattern, by Unicode database version (``\\s`` is in the fleet
# schema, and finding it costs 0.1 s a process); tests/test_schemagate.py recomputes it by running ``re``.
KNOWN_CATEGORIES: dict[tuple[str, bool, str], tuple[tuple[int, int], ...]] = {
    ("s", False, "14.0.0"): ((9, 13), (28, 32), (133, 133), (160, 160), (5760, 5760), (8192, 8202), (8232, 8233),
                             (8239, 8239), (8287, 8287), (12288, 12288)),
}


# What an ASCII letter matches in Python's re with IGNORECASE besides its two cases, by Unicode database
# version (tests/test_schemagate.py recomputes every ASCII character's set by running ``re``); any other
# ASCII character matches only itself. Without an entry for the running version, (?i) stays with Python.
KNOWN_ASCII_FOLDS: dict[str, dict[str, tuple[int, ...]]] = {
    "14.0.0": {"i": (0x130, 0x131), "k": (0x212A,), "s": (0x17F,)},
}


def ascii_fold(code: int) -> tuple[int, ...]:
    """The code points Python's ``re`` matches with the ASCII character ``code`` under IGNORECASE."""
    import unicodedata

    extras = KNOWN_ASCII_FOLDS.get(unicodedata.unidata_version)
    if extras is None or code > 0x7F:
        raise Unsupported("case folding")
    char = chr(code)
    if not char.isalpha():
        return (code,)
    return tuple(sorted({ord(char.lower()), ord(char.upper()), *extras.get(char.lower(), ())}))


def scan_fold(code: int) -> tuple[int, ...]:
    """The same set, found by running Python's ``re`` over every code point."""
    rx = re.compile(re.escape(chr(code)), re.IGNORECASE)
    return tuple(m.start() for m in rx.finditer(_every_code_point()))


@lru_cache(maxsize=None)
def _category(name: str, ascii_only: bool) -> tuple[tuple[int, int], ...]:
    """The code point ranges Python's ``re`` matches with ``\\d``, ``\\s`` or ``\\w``."""
    import unicodedata

    known = KNOWN_CATEGORIES.get((name, ascii_only, unicodedata.unidata_version))
    return known if known is not None else scan_category(name, ascii_only)


def scan_category(name: str, ascii_only: bool) -> tuple[tuple[int, int], ...]:
    """The ranges found by running Python's ``re`` over every code point."""
    rx = re.compile("[\\" + name + "]+", re.ASCII if ascii_only else 0)
    return tuple((m.start(), m.end() - 1) for m in rx.finditer(_every_code_point()))


_CATEGORIES: dict[Any, tuple[str, bool]] = {
    _sre_c.CATEGORY_DIGIT: ("d", False), _sre_c.CATEGORY_NOT_DIGIT: ("d", True),
    _sre_c.CATEGORY_SPACE: ("s", False), _sre_c.CATEGORY_NOT_SPACE: ("s", True),
    _sre_c.CATEGORY_WORD: ("w", False), _sre_c.CATEGORY_NOT_WORD: ("w", True),
}


def _complement(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out, start = [], 0
    for lo, hi in sorted(ranges):
        if lo > start:
            out.append((start, lo - 1))
        start = max(start, hi + 1)
    if start <= _MAX:
        out.append((start, _MAX))
    return out


def _normalize(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, merged, without the surrogates (no Rust string holds one)."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    out = []
    for lo, hi in merged:
        if hi < _SURROGATES[0] or lo > _SURROGATES[1]:
            out.append((lo, hi))
            continue
        if lo < _SURROGATES[0]:
            out.append((lo, _SURROGATES[0] - 1))
        if hi > _SURROGATES[1]:
            out.append((_SURROGATES[1] + 1, hi))
    return out


def _class(ranges: Iterable[tuple[int, int]]) -> str:
    parts = _normalize(ranges)
    if not parts:
        raise Unsupported("empty character class")
    return "[" + "".join(f"\\x{{{lo:x}}}" if lo == hi else f"\\x{{{lo:x}}}-\\x{{{hi:x}}}" for lo, hi in parts) + "]"


class _Translator:
    def __init__(self, flags: int) -> None:
        if flags & (re.MULTILINE | re.LOCALE):
            raise Unsupported("multi-line or locale mode")
        self.fold = bool(flags & re.IGNORECASE)
        self.ascii = bool(flags & re.ASCII)
        self.dotall = bool(flags & re.DOTALL)

    def category(self, code: Any) -> list[tuple[int, int]]:
        if code not in _CATEGORIES:
            raise Unsupported(f"category {code}")
        name, negated = _CATEGORIES[code]
        ranges = list(_category(name, self.ascii))
        return _complement(ranges) if negated else ranges

    def char_set(self, op: Any, av: Any) -> list[tuple[int, int]]:
        """The code points one single-character item matches."""
        if op is _sre_c.LITERAL:
            return [(c, c) for c in ascii_fold(av)] if self.fold else [(av, av)]
        if self.fold and op is not _sre_c.ANY and not (op is _sre_c.IN and _only_literals(av)):
            raise Unsupported(f"{op} under case folding")
        if op is _sre_c.NOT_LITERAL:
            return _complement([(av, av)])
        if op is _sre_c.ANY:
            return [(0, _MAX)] if self.dotall else _complement([(10, 10)])
        if op is _sre_c.CATEGORY:
            return self.category(av)
        if op is _sre_c.IN:
            negate = bool(av) and av[0][0] is _sre_c.NEGATE
            ranges: list[tuple[int, int]] = []
            for item_op, item_av in av[1:] if negate else av:
                if item_op is _sre_c.RANGE:
                    ranges.append(item_av)
                elif item_op in (_sre_c.LITERAL, _sre_c.CATEGORY):
                    ranges.extend(self.char_set(item_op, item_av))
                else:
                    raise Unsupported(f"class item {item_op}")
            return _complement(ranges) if negate else ranges
        raise Unsupported(f"{op}")

    def sequence(self, items: list[tuple[Any, Any]], tail: bool) -> str:
        out = []
        i = 0
        while i < len(items):
            op, av = items[i]
            last = i == len(items) - 1
            if op is _sre_c.AT:
                if av in (_sre_c.AT_BEGINNING, _sre_c.AT_BEGINNING_STRING):
                    out.append("^")
                elif av is _sre_c.AT_END_STRING:
                    out.append("$")
                elif av is _sre_c.AT_END and not last and _is_no_newline_ahead(items[i + 1]):
                    out.append("$")  # Python's `$(?!\n)`: the very end of the string
                    i += 1
                elif av is _sre_c.AT_END and last and tail:
                    out.append("\\x{a}?$")  # Python's `$` also matches before a final newline
                else:
                    raise Unsupported(f"anchor {av}")
            elif op is _sre_c.BRANCH:
                out.append("(?:" + "|".join(self.sequence(list(b), tail and last) for b in av[1]) + ")")
            elif op is _sre_c.SUBPATTERN:
                _group, add_flags, del_flags, sub = av
                if add_flags or del_flags:
                    raise Unsupported("inline flags")
                out.append("(?:" + self.sequence(list(sub), tail and last) + ")")
            elif op in (_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT):
                lo, hi, sub = av
                body = self.sequence(list(sub), False)
                upper = "" if hi is _sre_c.MAXREPEAT else str(hi)
                out.append(f"(?:{body}){{{lo},{upper}}}")
            else:
                out.append(_class(self.char_set(op, av)))
            i += 1
        return "".join(out)


def _only_literals(items: Any) -> bool:
    return all(op is _sre_c.LITERAL for op, _av in items)


def _is_no_newline_ahead(item: tuple[Any, Any]) -> bool:
    op, av = item
    if op is not _sre_c.ASSERT_NOT or av[0] != 1:
        return False
    return list(av[1]) == [(_sre_c.LITERAL, 10)]


@lru_cache(maxsize=1024)
def translate(pattern: str) -> str:
    """A Rust regex matching (by search) exactly the strings Python's ``re.search(pattern, s)`` matches.

    Raises Unsupported when no exact spelling is known.
    """
    try:
        parsed = _sre_p.parse(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise Unsupported(f"Python cannot compile {pattern!r}") from exc
    flags = parsed.state.flags if hasattr(parsed, "state") else parsed.pattern.flags
    return _Translator(flags).sequence(list(parsed), True)


# --- schemas --------------------------------------------------------------------------


def rust_schema(node: Any, kind: str = "schema") -> Any:
    """A copy of the schema for jsonschema-rs (patterns translated); Unsupported if not provably equivalent."""
    if isinstance(node, list):
        return [rust_schema(x, kind) for x in node]
    if not isinstance(node, dict):
        return node
    if kind == "names":
        return {name: rust_schema(sub) for name, sub in node.items()}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if not isinstance(key, str):
            raise Unsupported("non-string key in a schema")
        if key in UNSAFE_KEYWORDS:
            raise Unsupported(f"keyword {key}")
        if key == "$schema" and value != DRAFT_2020_12:
            raise Unsupported(f"$schema {value!r}")
        if key == "$ref" and not (isinstance(value, str) and _REF.match(value)):
            raise Unsupported(f"$ref {value!r}")
        if key in _BOUNDS and not (type(value) is int and abs(value) <= _EXACT_FLOAT_INT):
            raise Unsupported(f"{key} {value!r}: compared exactly only when a float holds it exactly")
        if key == "pattern" and isinstance(value, str):
            out[key] = translate(value)
        elif key == "patternProperties" and isinstance(value, dict):
            translated = {translate(p): rust_schema(s) for p, s in value.items()}
            if len(translated) != len(value):
                raise Unsupported("two patternProperties translate alike")
            out[key] = translated
        elif key in _NAMED_SCHEMAS:
            out[key] = rust_schema(value, "names")
        elif key in _DATA:
            out[key] = value
        else:  # applicators (items, not, anyOf ...) and unknown keywords, whose objects a $ref may reach
            out[key] = rust_schema(value)
    return out


def plain(value: Any) -> bool:
    """Whether both validators read the instance alike (JSON types only, str keys, 64-bit ints, finite floats)."""
    t = type(value)
    if t is str or t is bool or value is None:
        return True
    if t is int:
        return _INT64[0] <= value < _INT64[1]
    if t is float:
        return math.isfinite(value)
    if t is dict:
        return all(type(k) is str and plain(v) for k, v in value.items())
    if t is list:
        return all(plain(v) for v in value)
    return False


def _refuse_retrieval(uri: str) -> Any:
    raise ValueError(f"{uri} is not one of the schemas given (no retrieval)")


class Gate:
    """``is_valid(instance)``: True only when Python jsonschema would report no error."""

    def __init__(self, check: Callable[[Any], bool]) -> None:
        self._check = check

    def is_valid(self, instance: Any) -> bool:
        if not plain(instance):
            return False
        try:
            return bool(self._check(instance))
        except Exception:  # an instance it cannot read, a reference it cannot resolve: Python decides
            return False


def gate(schema: Any, resources: Iterable[tuple[str, Any]] = (), registry: Any = None) -> Gate | None:
    """A gate for ``schema`` (resources: (uri, contents) its $refs may name), or None: Python alone decides.

    ``registry`` (from ``rust_registry``) shares compiled resources between gates.
    """
    try:
        rust = rust_schema(schema)
        if registry is None:
            registry = rust_registry(resources)
        if registry is False:
            return None
        import jsonschema_rs

        validator = jsonschema_rs.Draft202012Validator(
            rust,
            validate_formats=False,
            registry=registry,
            retriever=_refuse_retrieval,
            pattern_options=jsonschema_rs.RegexOptions(),
        )
    except Unsupported:
        return None
    except Exception:  # any schema jsonschema-rs refuses (unresolvable $ref, regex too large ...)
        return None
    return Gate(validator.is_valid)


def rust_registry(resources: Iterable[tuple[str, Any]]) -> Any:
    """A jsonschema-rs registry of the translated resources (None: no resources; False: not translatable)."""
    items = list(resources)
    if not items:
        return None
    try:
        translated = [(uri, rust_schema(contents)) for uri, contents in items]
        import jsonschema_rs

        return jsonschema_rs.Registry(translated, retriever=_refuse_retrieval)
    except Unsupported:
        return False
    except Exception:
        return False
