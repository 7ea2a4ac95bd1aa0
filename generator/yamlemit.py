"""A fast block-style YAML emitter that writes exactly the bytes of ``write.dump_yaml``.

PyYAML's representer is pure Python and costs about ten times libyaml's emitter, so
the writer spent most of its time turning objects into events. The output only holds
dicts with str keys, lists and a few scalar types, laid out in a handful of ways, so
this module writes the block structure itself (the layout libyaml uses for fleetgen's
Dumper settings: two-space indent, sequences in mappings not indented, ``{}``/``[]``
for empty containers).

Scalar styling (plain, quoted, escaped, literal block) is the risky part, so it is
never decided here: each distinct scalar is dumped once by the real Dumper, as a
mapping value and as a key, and the text libyaml chose is reused (``Styles``). Anything
outside what this layout reproduces exactly raises ``Unsupported`` and the caller dumps
that document the old way: floats and other types, shared containers (PyYAML would
write anchors), keys that are not simple keys, literal blocks with kept trailing
newlines (libyaml then ends the document with ``...``), line separators other than
``\\n`` (libyaml indents after them), any line long enough for libyaml to wrap and
nesting deep enough to overflow PyYAML's recursion.
"""

from __future__ import annotations

from typing import Any, Callable

# Longest line (in characters) emitted here when the scalar holds a space: libyaml wraps
# a plain or quoted scalar only at a space past its width (4096), so below this, or
# without a space, nothing can differ.
MAX_LINE = 4000
# Breaks libyaml treats as line breaks besides "\n": it indents the line after them.
_OTHER_BREAKS = ("\r", "\x85", "\u2028", "\u2029")
_SCALARS = (str, int, bool, type(None))
# Deepest indentation emitted here (nesting depth is at most this plus one): PyYAML's
# recursive representer overflows Python's stack from about 330 levels, and a document
# that made it fail before must still fail the same way, so deeper ones go to PyYAML.
MAX_INDENT = 200


class Unsupported(Exception):
    """This document needs PyYAML itself (see the module docstring for when)."""


# A value as emitted after "key: " or "- ": its one line of text, or, for a literal
# block, a 1-tuple of its header (such as "|-"): the block's lines are the value's
# own lines (checked against the dump when the value is probed), so none are kept.
_Text = str | tuple[str]
# Strings longer than this are forgotten by ``Styles.forget_long`` (a render job's
# Corefiles and seed lists: rarely seen again by the next job, and large).
LONG = 256


class Styles:
    """How the real Dumper writes each distinct scalar, learned from one dump of it.

    ``values`` and ``keys`` hold only what the emitter can use (a key with its colon);
    ``value()`` and ``key()`` fill them, or raise ``Unsupported`` for what it cannot.
    """

    def __init__(self, dump: Callable[[Any], str]) -> None:
        self._dump = dump
        self.values: dict[str, _Text] = {}
        self.keys: dict[str, str] = {}
        self._others: dict[tuple[type, Any], _Text] = {}  # int, bool, None (True == 1, so typed)
        self._refused: set[tuple[type, Any]] = set()

    def value(self, v: Any) -> _Text:
        t = type(v)
        if t is str and v in self.values:
            return self.values[v]
        memo = (t, v) if t in _SCALARS else (t, id(v))
        if t is not str and memo in self._others:
            return self._others[memo]
        if memo in self._refused:
            raise Unsupported(f"value {v!r:.60}")
        found = self._probe_value(v)
        if found is None:
            self._refused.add(memo)
            raise Unsupported(f"value {v!r:.60}")
        if t is str:
            self.values[v] = found
        else:
            self._others[memo] = found
        return found

    def key(self, k: Any) -> str:
        if type(k) is not str:
            raise Unsupported(f"key {k!r:.60}")
        if k in self.keys:
            return self.keys[k]
        if (dict, k) in self._refused:
            raise Unsupported(f"key {k!r:.60}")
        found = self._probe_key(k)
        if found is None:
            self._refused.add((dict, k))
            raise Unsupported(f"key {k!r:.60}")
        self.keys[k] = found = found + ":"
        return found

    def forget_long(self) -> None:
        """Drop what was learned about long strings (kept across render jobs, they would pile up)."""
        for v in [v for v in self.values if len(v) > LONG]:
            del self.values[v]
        self._refused = {memo for memo in self._refused if not (type(memo[1]) is str and len(memo[1]) > LONG)}

    def _probe_value(self, v: Any) -> _Text | None:
        if type(v) not in _SCALARS or (type(v) is str and any(b in v for b in _OTHER_BREAKS)):
            return None
        try:
            text = self._dump({"k": v})
        except Exception:  # the fallback raises it again, where callers expect it
            return None
        if not text.startswith("k: ") or not text.endswith("\n"):
            return None
        body = text[3:-1]
        if body.startswith("|"):
            header, _, block = body.partition("\n")
            if "+" in header:  # kept trailing newlines: libyaml then ends the document with "..."
                return None
            dumped = block.split("\n")
            if any(line and not line.startswith("  ") for line in dumped):
                return None
            if type(v) is not str or [line[2:] for line in dumped] != _lines(v):
                return None
            return (header,)
        if "\n" in body or body.startswith((">", "&", "*", "!")):
            return None
        return body

    def _probe_key(self, k: str) -> str | None:
        if any(b in k for b in _OTHER_BREAKS):
            return None
        try:
            text = self._dump({k: 0})
        except Exception:
            return None
        if text.startswith("? ") or not text.endswith(": 0\n"):
            return None
        body = text[:-4]
        return None if "\n" in body else body


def emit(doc: dict[str, Any], styles: Styles) -> str:
    """The YAML text of a non-empty mapping, as the Dumper would write it (or ``Unsupported``)."""
    if type(doc) is not dict or not doc:
        raise Unsupported("not a non-empty mapping")
    out: list[str] = []
    _mapping(doc, 0, "", out, styles, {id(doc)})
    return "".join(out)


def _lines(v: str) -> list[str]:
    """A literal block's lines: the value's lines, less the one final line break the header's chomping implies."""
    return (v[:-1] if v.endswith("\n") else v).split("\n")


def _literal(head: str, header: str, v: str, indent: int, out: list[str]) -> None:
    pad = " " * indent
    out.append(f"{head}{header}\n")
    out.append("".join(f"{pad}{line}\n" if line else "\n" for line in _lines(v)))


def _mapping(m: dict[Any, Any], indent: int, lead: str, out: list[str], styles: Styles, seen: set[int]) -> None:
    """A non-empty mapping whose keys start at column ``indent``; ``lead`` starts its first line."""
    if indent > MAX_INDENT:
        raise Unsupported("nested too deep")
    pad = " " * indent
    keys = styles.keys
    values = styles.values
    for k, v in m.items():
        head = lead + ((keys.get(k) if k.__class__ is str else None) or styles.key(k))
        lead = pad
        t = type(v)
        if t is str:
            text = values.get(v) or styles.value(v)
        elif t is dict or t is list:
            if id(v) in seen:  # PyYAML would write an anchor and an alias
                raise Unsupported("shared container")
            seen.add(id(v))
            if not v:
                out.append(head + (" {}\n" if t is dict else " []\n"))
            elif t is dict:
                out.append(head + "\n")
                _mapping(v, indent + 2, pad + "  ", out, styles, seen)
            else:
                out.append(head + "\n")
                _sequence(v, indent, pad, out, styles, seen)
            continue
        else:
            text = styles.value(v)
        if text.__class__ is str:
            if len(head) + len(text) > MAX_LINE and " " in text:
                raise Unsupported("long line")
            out.append(f"{head} {text}\n")
        else:
            _literal(head + " ", text[0], v, indent + 2, out)


def _sequence(s: list[Any], indent: int, lead: str, out: list[str], styles: Styles, seen: set[int]) -> None:
    """A non-empty sequence whose dashes are at column ``indent``; ``lead`` starts its first line."""
    if indent > MAX_INDENT:
        raise Unsupported("nested too deep")
    pad = " " * indent
    values = styles.values
    for v in s:
        dash = lead + "- "
        lead = pad
        t = type(v)
        if t is str:
            text = values.get(v) or styles.value(v)
        elif t is dict or t is list:
            if id(v) in seen:
                raise Unsupported("shared container")
            seen.add(id(v))
            if not v:
                out.append(dash + ("{}\n" if t is dict else "[]\n"))
            elif t is dict:
                _mapping(v, indent + 2, dash, out, styles, seen)
            else:
                _sequence(v, indent + 2, dash, out, styles, seen)
            continue
        else:
            text = styles.value(v)
        if text.__class__ is str:
            if len(dash) + len(text) > MAX_LINE and " " in text:
                raise Unsupported("long line")
            out.append(f"{dash}{text}\n")
        else:
            _literal(dash, text[0], v, indent + 2, out)
