"""The Corefile parser: structure, quoting, comments, imports, and located errors."""

from __future__ import annotations

import pytest

from generator.dnsproof.corefile import CorefileError, glob_importer, in_zone, parse, parse_key


def test_blocks_keys_plugins_and_nested_blocks() -> None:
    text = """\
# leading comment
.:53 {
    errors   # trailing comment
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf {
        max_concurrent 1000
    }
}
a.example:53, B.Example.:1053 dns://c.example {
    template IN A a.example {
        answer "{{ .Name }} 60 IN A 192.0.2.1"
    }
}
"""
    cf = parse(text)
    assert [b.label for b in cf.blocks] == [".:53", "a.example:53 B.Example.:1053 dns://c.example"]
    root, other = cf.blocks
    assert [(k.zone, k.port) for k in other.keys] == [("a.example", 53), ("b.example", 1053), ("c.example", 53)]
    k8s = root.plugins("kubernetes")[0]
    assert k8s.args == ("cluster.local", "in-addr.arpa", "ip6.arpa")
    assert [(d.name, d.args) for d in k8s.block] == [("pods", ("insecure",)), ("fallthrough", ("in-addr.arpa", "ip6.arpa"))]
    assert root.plugins("forward")[0].sub("max_concurrent")[0].args == ("1000",)
    assert [d.name for d in root.directives] == ["errors", "kubernetes", "forward"]
    answer = other.plugins("template")[0].sub("answer")[0]
    assert answer.args == ("{{ .Name }} 60 IN A 192.0.2.1",)
    assert answer.line == 14


def test_quoted_strings_keep_spaces_hashes_and_escaped_quotes() -> None:
    cf = parse('.:53 {\n    hosts {\n        fallthrough\n    }\n    log "# not a comment" "say \\"hi\\""\n}\n')
    assert cf.blocks[0].plugins("log")[0].args == ("# not a comment", 'say "hi"')


def test_snippets_and_file_imports() -> None:
    text = """\
(common) {
    errors
    cache 30
}
zone-a.local:53 {
    import common
    kubernetes zone-a.local
}
import custom/*.server
"""
    files = {"b.server": "zone-b.local:53 {\n    forward . 10.0.0.2\n}\n", "a.server": "zone-z.local {\n  import common\n}\n", "x.override": "log\n"}
    cf = parse(text, "Corefile", glob_importer(files, "custom/"))
    assert [b.label for b in cf.blocks] == ["zone-a.local:53", "zone-z.local", "zone-b.local:53"]
    assert [d.name for d in cf.blocks[0].directives] == ["errors", "cache", "kubernetes"]
    assert [d.name for d in cf.blocks[1].directives] == ["errors", "cache"]
    assert cf.blocks[2].source == "custom/b.server"


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        (".:53 {\n    errors\n", "block opened at line 1 is not closed", 1, 1),
        (".:53 {\n    log \"open\n}\n", "unterminated quoted string", 2, 9),
        ("}\n", "unexpected '}'", 1, 1),
        (".:53 {\n    import nothing\n}\n", "import nothing: no such snippet", 2, 12),
        ("zone.local:http {\n}\n", "server key 'zone.local:http' has an invalid port", 1, 1),
        ("(loop) {\n    import loop\n}\n.:53 {\n    import loop\n}\n", "imports nested too deeply (a cycle?)", 2, 1),
    ],
)
def test_errors_are_located(text: str, message: str, line: int, column: int) -> None:
    with pytest.raises(CorefileError) as info:
        parse(text, "Corefile")
    assert (info.value.message, info.value.line, info.value.column) == (message, line, column)


def test_keys_and_zone_matching() -> None:
    assert parse_key("tls://Example.ORG.").port == 853
    assert parse_key(".").zone == "."
    assert in_zone("a.b.example.org", "example.org")
    assert not in_zone("a.badexample.org", "example.org")
    assert in_zone("anything", ".")


def test_plain_fast_path_reads_like_the_general_parser() -> None:
    from generator.dnsproof.corefile import _Parser, _plain_blocks, tokenize

    text = (
        "# fleet\n.:53 {\n    errors # trailing comment\n    kubernetes cluster.local in-addr.arpa {\n"
        "        pods insecure\n        fallthrough in-addr.arpa\n    }\n    forward . /etc/resolv.conf\n}\n"
        "a.local:53 b.local:5353 {\n    forward . 10.0.0.1 10.0.0.2 {\n        except x.a.local\n    }\n}\n"
    )
    plain = _plain_blocks(text, "Corefile")
    assert plain is not None
    assert plain == _Parser(tokenize(text, "Corefile"), "Corefile", {}, None, 0).server_blocks()
    for other in ('x:53 {\n    a "q"\n}\n', "x:53\n{\n}\n", "x:53 {\n    a } b\n}\n", "import foo\n", "x:53 {\n"):
        assert _plain_blocks(other, "Corefile") is None


PEER = "z.local:53 {\n    errors\n    forward . 10.0.0.9\n}\n"
ROOT = ".:53 {\n    errors\n    forward . /etc/resolv.conf {\n        max_concurrent 10\n    }\n}\n"
OWN = "a.local:53 {\n    kubernetes a.local\n}\n"


@pytest.mark.parametrize("texts", [
    [ROOT + OWN + PEER, ROOT + PEER + OWN],  # the same block at another line: its own lines, never the other's
    [ROOT + OWN + PEER, ROOT + OWN.replace("a.local", "b.local") + PEER],  # same line, another file: shared
    ["a.local {\n    hosts {\n}\n    log\n}\n" + PEER, PEER],  # a `}` alone that closes a directive, not a block
    ["# c\n" + PEER + "\n# d\n" + OWN, "x:53, y:54 {\n    log\n}\n" + PEER + 'q:53 {\n    log "a b"\n}\n'],
])
def test_parse_cache_gives_what_parse_gives(texts: list[str]) -> None:
    from generator.dnsproof.corefile import ParseCache

    cache = ParseCache()
    for round_ in range(2):  # the second round reads every piece from the cache
        for i, text in enumerate(texts):
            source = f"file-{i}"
            assert parse(text, source, cache=cache) == parse(text, source), (round_, i)


def test_parse_cache_shares_blocks_by_text_and_line_and_names_each_file() -> None:
    from generator.dnsproof.corefile import ParseCache

    cache = ParseCache()
    one = parse(ROOT + OWN + PEER, "one", cache=cache).blocks
    two = parse(ROOT + OWN.replace("a.local", "b.local") + PEER, "two", cache=cache).blocks
    moved = parse(ROOT + PEER + OWN, "moved", cache=cache).blocks
    assert one[2].directives is two[2].directives
    assert (one[2].source, two[2].source, one[2].line, two[2].line) == ("one", "two", 10, 10)
    assert one[1].directives != two[1].directives
    assert moved[1].keys == one[2].keys and [d.line for d in moved[1].directives] == [8, 9]


def test_parse_cache_never_keeps_an_error() -> None:
    from generator.dnsproof.corefile import ParseCache

    cache = ParseCache()
    bad = PEER + "b.local:99999 {\n    log\n}\n"
    for _ in range(2):
        with pytest.raises(CorefileError) as info:
            parse(bad, "bad", cache=cache)
        assert (info.value.source, info.value.line, info.value.message) == ("bad", 5, "server key 'b.local:99999' has an invalid port")
    assert parse(PEER, "good", cache=cache).blocks[0].source == "good"
