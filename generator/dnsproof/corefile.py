"""A Corefile parser: server blocks, zones and ports, plugins with arguments and nested blocks.

The grammar is the Caddyfile (v1) dialect CoreDNS reads: tokens separated by
white space, ``#`` comments, double-quoted strings (with ``\\"``), ``{``/``}``
as tokens of their own, server keys ``[scheme://]zone[:port]`` (several per
block, separated by spaces or commas), ``(name) { ... }`` snippets and
``import`` of snippets or files (resolved through a callback, since the files
are ConfigMap keys). ``{$ENV}`` placeholders are kept as written.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Callable, NamedTuple

MAX_IMPORT_DEPTH = 10
SCHEME_PORTS = {"dns": 53, "tls": 853, "https": 443, "grpc": 443, "quic": 853}

# pattern -> [(source name, text)], in the order CoreDNS would import them (sorted glob)
Importer = Callable[[str], "list[tuple[str, str]]"]


class CorefileError(Exception):
    def __init__(self, message: str, source: str, line: int, column: int) -> None:
        super().__init__(f"{source}:{line}:{column}: {message}")
        self.message = message
        self.source = source
        self.line = line
        self.column = column


class Token(NamedTuple):
    """A token and where it starts. A named tuple, not a dataclass: a fleet's Corefiles hold millions."""

    text: str
    line: int
    column: int
    quoted: bool = False
    brace: str = ""  # "{" or "}" when the token is an unquoted brace (use ``token()``)


def token(text: str, line: int, column: int, quoted: bool = False) -> Token:
    return Token(text, line, column, quoted, "" if quoted or text not in ("{", "}") else text)


class Directive(NamedTuple):
    """A plugin line (or a line inside a plugin's block): name, arguments, nested lines.

    Directive, ServerKey and ServerBlock are named tuples (immutable, like frozen dataclasses, but
    about three times cheaper to build): a 1,000-cluster fleet's Corefiles hold 200,000 of them. A
    directive records its line but not its file: identical server blocks at the same line of different
    files share their directives (``ParseCache``); the ``ServerBlock`` names the file."""

    name: str
    args: tuple[str, ...]
    block: tuple[Directive, ...]
    line: int

    def sub(self, name: str) -> tuple[Directive, ...]:
        return tuple(d for d in self.block if d.name == name)


class ServerKey(NamedTuple):
    scheme: str
    zone: str  # lower case, no trailing dot; "." is the root
    port: int
    text: str

    def __str__(self) -> str:
        return self.text


class ServerBlock(NamedTuple):
    keys: tuple[ServerKey, ...]
    directives: tuple[Directive, ...]
    source: str
    line: int

    @property
    def label(self) -> str:
        return " ".join(k.text for k in self.keys)

    def plugins(self, name: str) -> tuple[Directive, ...]:
        return tuple(d for d in self.directives if d.name == name)


@dataclass(frozen=True)
class Corefile:
    blocks: tuple[ServerBlock, ...]


def normalize_zone(text: str) -> str:
    zone = text.strip().lower().rstrip(".")
    return zone or "."


def in_zone(name: str, zone: str) -> bool:
    name = normalize_zone(name)
    return zone == "." or name == zone or name.endswith("." + zone)


def zone_depth(zone: str) -> int:
    return 0 if zone == "." else zone.count(".") + 1


def parse_key(text: str, source: str = "Corefile", line: int = 0) -> ServerKey:
    rest = text
    scheme = "dns"
    if "://" in rest:
        scheme, rest = rest.split("://", 1)
        scheme = scheme.lower()
    port = SCHEME_PORTS.get(scheme, 53)
    host = rest
    if rest.startswith("[") and "]" in rest:  # not a zone, but keep CoreDNS's own error for later
        raise CorefileError(f"server key {text!r} is not a zone", source, line, 1)
    if ":" in rest:
        host, _, port_text = rest.rpartition(":")
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise CorefileError(f"server key {text!r} has an invalid port", source, line, 1)
        port = int(port_text)
    if not host:
        raise CorefileError(f"server key {text!r} has no zone", source, line, 1)
    return ServerKey(scheme, normalize_zone(host), port, text)


_WORD = re.compile(r"[^ \t\r]+")


def tokenize(text: str, source: str = "Corefile") -> list[Token]:
    if '"' not in text:  # no quoted strings: every token ends on its own line
        out: list[Token] = []
        for number, row in enumerate(text.split("\n"), 1):
            for m in _WORD.finditer(row):
                word = m.group()
                if word[0] == "#":
                    break
                out.append(Token(word, number, m.start() + 1, False, word if word in ("{", "}") else ""))
        return out
    tokens: list[Token] = []
    i, line, col, n = 0, 1, 1, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            i, line, col = i + 1, line + 1, 1
            continue
        if ch in " \t\r":
            i, col = i + 1, col + 1
            continue
        if ch == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        start_line, start_col = line, col
        if ch == '"':
            i, col = i + 1, col + 1
            buf: list[str] = []
            while True:
                if i >= n:
                    raise CorefileError("unterminated quoted string", source, start_line, start_col)
                c = text[i]
                if c == "\\" and i + 1 < n and text[i + 1] in '"\\':
                    buf.append(text[i + 1])
                    i, col = i + 2, col + 2
                    continue
                if c == '"':
                    i, col = i + 1, col + 1
                    break
                if c == "\n":
                    line, col = line + 1, 0
                buf.append(c)
                i, col = i + 1, col + 1
            tokens.append(token("".join(buf), start_line, start_col, quoted=True))
            continue
        j = i
        while j < n and text[j] not in " \t\r\n":
            j += 1
        tokens.append(token(text[i:j], start_line, start_col))
        col += j - i
        i = j
    return tokens


_Shapes = tuple[tuple[tuple[ServerKey, ...], tuple[Directive, ...], int], ...]


class ParseCache:
    """Parsed pieces shared by content across many Corefiles (one cache per fleet proof).

    A fleet's Corefiles repeat themselves: every cluster of a group carries the same server block
    for a peer's zone, mostly at the same line. Plain text is cut after each line that is exactly
    ``}`` and each piece is parsed once per (text, first line); the server blocks built from it share
    its keys and directives. Token lists are kept per text for the general parser (the AKS base
    Corefile is the same for every AKS cluster). Errors are never cached: a piece that does not
    parse is parsed again in place, and the result is what ``parse`` without a cache returns."""

    def __init__(self) -> None:
        self.pieces: dict[tuple[str, int], _Shapes | None] = {}
        self.tokens: dict[str, list[Token]] = {}

    def tokenize(self, text: str, source: str) -> list[Token]:
        tokens = self.tokens.get(text)
        if tokens is None:
            tokens = self.tokens[text] = tokenize(text, source)
        return tokens

    def plain_blocks(self, text: str, source: str) -> list[ServerBlock] | None:
        """``_plain_blocks(text, source)``, piece by piece. A piece starts where the whole-text parse is
        between server blocks (after a top-level ``}``) or it does not parse alone and the whole text
        is None too; either way each line is read in the same state as in one pass."""
        if '"' in text or "import" in text:
            return None
        parts = text.split("\n}\n")
        blocks: list[ServerBlock] = []
        line = 1
        for i, part in enumerate(parts):
            piece = part + "\n}" if i < len(parts) - 1 else part
            key = (piece, line)
            if key in self.pieces:
                shapes = self.pieces[key]
            else:
                parsed = _plain_blocks(piece, source, line)
                shapes = self.pieces[key] = (
                    None if parsed is None else tuple((b.keys, b.directives, b.line) for b in parsed))
            if shapes is None:
                return None
            blocks.extend(ServerBlock(keys, directives, source, at) for keys, directives, at in shapes)
            line += part.count("\n") + 2
        return blocks


class _Parser:
    def __init__(self, tokens: list[Token], source: str, snippets: dict[str, list[Token]], importer: Importer | None,
                 depth: int, cache: ParseCache | None = None) -> None:
        self.cache = cache
        self.tokens = tokens
        self.pos = 0
        self.source = source
        self.snippets = snippets
        self.importer = importer
        self.depth = depth

    def _error(self, message: str, tok: Token | None = None) -> CorefileError:
        tok = tok or (self.tokens[self.pos] if self.pos < len(self.tokens) else (self.tokens[-1] if self.tokens else token("", 1, 1)))
        return CorefileError(message, self.source, tok.line, tok.column)

    def _line(self) -> list[Token]:
        """The remaining tokens of the current line (they share the first token's line)."""
        first = self.tokens[self.pos]
        out = [first]
        self.pos += 1
        while self.pos < len(self.tokens) and self.tokens[self.pos].line == first.line:
            out.append(self.tokens[self.pos])
            self.pos += 1
        return out

    # -- top level ---------------------------------------------------------
    def server_blocks(self) -> list[ServerBlock]:
        blocks: list[ServerBlock] = []
        while self.pos < len(self.tokens):
            tok = self.tokens[self.pos]
            if tok.brace:
                raise self._error(f"unexpected '{tok.text}'", tok)
            if not tok.quoted and tok.text.startswith("(") and tok.text.endswith(")") and len(tok.text) > 2:
                self.pos += 1
                self.snippets[tok.text[1:-1]] = self._raw_block(tok)
                continue
            if not tok.quoted and tok.text == "import":
                line = self._line()
                for source, text in self._imports(line):
                    plain = self.cache.plain_blocks(text, source) if self.cache else _plain_blocks(text, source)
                    if plain is not None:
                        blocks.extend(plain)
                        continue
                    sub = _Parser(self._tokenize(text, source), source, self.snippets, self.importer, self.depth + 1,
                                  self.cache)
                    blocks.extend(sub.server_blocks())
                continue
            blocks.append(self._server_block())
        return blocks

    def _raw_block(self, opener: Token) -> list[Token]:
        if self.pos >= len(self.tokens) or self.tokens[self.pos].brace != "{":
            raise self._error(f"snippet {opener.text} must be followed by '{{'", opener)
        self.pos += 1
        depth = 1
        out: list[Token] = []
        while self.pos < len(self.tokens):
            tok = self.tokens[self.pos]
            self.pos += 1
            if tok.brace == "{":
                depth += 1
            elif tok.brace == "}":
                depth -= 1
                if depth == 0:
                    return out
            out.append(tok)
        raise self._error(f"snippet {opener.text} is not closed", opener)

    def _server_block(self) -> ServerBlock:
        first = self.tokens[self.pos]
        keys: list[ServerKey] = []
        while self.pos < len(self.tokens) and not self.tokens[self.pos].brace:
            tok = self.tokens[self.pos]
            if keys and tok.line != self.tokens[self.pos - 1].line and not self.tokens[self.pos - 1].text.endswith(","):
                break
            self.pos += 1
            for part in tok.text.split(","):
                if part:
                    keys.append(parse_key(part, self.source, tok.line))
        if self.pos < len(self.tokens) and self.tokens[self.pos].brace == "{":
            self.pos += 1
            directives = self._directives(first, closing=True)
        elif self.pos >= len(self.tokens) or not self.tokens[self.pos].brace:
            directives = self._directives(first, closing=False)  # a lone block without braces
        else:
            raise self._error("unexpected '}'")
        return ServerBlock(tuple(keys), tuple(directives), self.source, first.line)

    # -- inside blocks -------------------------------------------------------
    def _directives(self, opener: Token, closing: bool) -> list[Directive]:
        out: list[Directive] = []
        while self.pos < len(self.tokens):
            tok = self.tokens[self.pos]
            if tok.brace == "}":
                if not closing:
                    raise self._error("unexpected '}'", tok)
                self.pos += 1
                return out
            if tok.brace == "{":
                raise self._error("unexpected '{'", tok)
            line = self._line()
            opens = bool(line[-1].brace == "{")
            if opens:
                line = line[:-1]
            if any(t.brace for t in line):
                raise self._error("braces must be the last token of a line", next(t for t in line if t.brace))
            if not line[0].quoted and line[0].text == "import" and not opens:
                out.extend(self._import_directives(line))
                continue
            block = tuple(self._directives(line[0], closing=True)) if opens else ()
            out.append(Directive(line[0].text.lower(), tuple(t.text for t in line[1:]), block, line[0].line))
        if closing:
            raise self._error(f"block opened at line {opener.line} is not closed", opener)
        return out

    def _import_directives(self, line: list[Token]) -> list[Directive]:
        out: list[Directive] = []
        for source, text in self._imports(line):
            sub = _Parser(self._tokenize(text, source), source, self.snippets, self.importer, self.depth + 1, self.cache)
            out.extend(sub._directives(token("import", line[0].line, line[0].column), closing=False))
        return out

    def _tokenize(self, text: str, source: str) -> list[Token]:
        return self.cache.tokenize(text, source) if self.cache else tokenize(text, source)

    def _imports(self, line: list[Token]) -> list[tuple[str, str]]:
        if len(line) != 2:
            raise self._error("import takes exactly one argument", line[0])
        if self.depth >= MAX_IMPORT_DEPTH:
            raise self._error("imports nested too deeply (a cycle?)", line[0])
        pattern = line[1].text
        if pattern in self.snippets:
            return [(f"{self.source} (snippet {pattern})", _detokenize(self.snippets[pattern]))]
        if self.importer is None:
            raise self._error(f"import {pattern}: no such snippet", line[1])
        return self.importer(pattern)


def _detokenize(tokens: list[Token]) -> str:
    """Tokens back to text on their original lines (line-based parsing and line numbers still hold)."""
    lines: dict[int, list[str]] = {}
    for t in tokens:
        text = '"' + t.text.replace("\\", "\\\\").replace('"', '\\"') + '"' if t.quoted else t.text
        lines.setdefault(t.line, []).append(text)
    last = max(lines, default=0)
    return "\n".join(" ".join(lines.get(k, [])) for k in range(1, last + 1)) + "\n"


def _plain_blocks(text: str, source: str, first_line: int = 1) -> list[ServerBlock] | None:
    """The common case, line by line without tokens: no quotes, snippets or imports, every block
    opened by a ``{`` ending its line and closed by a ``}`` alone on its line. None for anything
    else (the general parser then reads it and reports any error); the result is the same."""
    if '"' in text or "import" in text:
        return None
    blocks: list[ServerBlock] = []
    stack: list[tuple[str, tuple[str, ...], int, list[Directive]]] = []  # open directives, innermost last
    keys: tuple[ServerKey, ...] = ()
    top: list[Directive] = []
    key_line = 0
    for number, line in enumerate(text.split("\n"), first_line):
        words = _WORD.findall(line)
        for i, word in enumerate(words):
            if word[0] == "#":
                del words[i:]
                break
        if not words:
            continue
        last = words[-1]
        if not keys:  # outside any server block: `key [key...] {`
            if last != "{" or len(words) < 2 or any(w in ("{", "}") or w[0] == "(" or w.endswith(",") for w in words[:-1]):
                return None
            keys = tuple(parse_key(part, source, number) for w in words[:-1] for part in w.split(",") if part)
            key_line, top = number, []
            continue
        if last == "}":
            if len(words) != 1:
                return None
            if not stack:
                blocks.append(ServerBlock(keys, tuple(top), source, key_line))
                keys = ()
                continue
            name, args, at, children = stack.pop()
            (stack[-1][3] if stack else top).append(Directive(name, args, tuple(children), at))
            continue
        opens = last == "{"
        body = words[:-1] if opens else words
        if not body or any(w in ("{", "}") for w in body):
            return None
        if opens:
            stack.append((body[0].lower(), tuple(body[1:]), number, []))
        else:
            (stack[-1][3] if stack else top).append(Directive(body[0].lower(), tuple(body[1:]), (), number))
    return blocks if not keys else None


def parse(text: str, source: str = "Corefile", importer: Importer | None = None,
          cache: ParseCache | None = None) -> Corefile:
    """Parse a Corefile. Raises CorefileError with the source, line and column of the problem.
    ``cache``: share what is parsed by content with other Corefiles (same result, see ParseCache)."""
    plain = cache.plain_blocks(text, source) if cache else _plain_blocks(text, source)
    if plain is not None:
        return Corefile(tuple(plain))
    parser = _Parser(cache.tokenize(text, source) if cache else tokenize(text, source), source, {}, importer, 0, cache)
    return Corefile(tuple(parser.server_blocks()))


def glob_importer(files: dict[str, str], prefix: str = "") -> Importer:
    """An importer over named texts (e.g. ConfigMap keys mounted under ``prefix``)."""

    def importer(pattern: str) -> list[tuple[str, str]]:
        names = sorted(k for k in files if fnmatch.fnmatchcase(prefix + k, pattern))
        return [(prefix + k, files[k]) for k in names]

    return importer
