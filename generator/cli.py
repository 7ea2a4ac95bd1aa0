# PYTHON_ARGCOMPLETE_OK
"""Command line: parse arguments, dispatch to ``generator.commands``, map errors to exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from generator import __version__, completion
from generator.errors import FleetError, LoadError, RenderError, UsageError

# Everything else is imported where it is used: `fleetgen --version` and `--help`
# must not pay for jsonschema, regopy and the Jsonnet engine (start-up budget:
# under 3x `python -c pass`; pre-commit runs fleetgen on every commit).


def _parser() -> argparse.ArgumentParser:
    from generator.report import FORMATTERS

    parser = argparse.ArgumentParser(
        prog="fleetgen",
        description="Render and check cross-cluster manifests for a multi-cluster stateful fleet.",
    )
    parser.add_argument("--version", action="version", version=f"fleetgen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("render", help="write every cluster's manifests into the output directory")
    r.add_argument("fleet", nargs="?", default="fleet.yaml", type=Path, help="fleet file (default: fleet.yaml)")
    r.add_argument("-o", "--output", type=Path, help=OUTPUT_HELP)
    r.add_argument("--check", action="store_true", help="write nothing; exit 1 and list files that would change")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr (shown only on a terminal)")
    r.add_argument("--adopt", action="store_true",
                   help="take over an output directory that belongs to another fleet (its files are pruned)")
    r.add_argument("--blueprints", type=Path, help="Jsonnet blueprints directory (default: the shipped ones)")
    r.add_argument("--crd-schemas", type=Path, action="append", default=[], help="extra folder of CRD JSON schemas")
    r.add_argument("--engine", choices=("rjsonnet", "gojsonnet"), help="Jsonnet implementation")

    c = sub.add_parser("check", help="report every inconsistency in the fleet (exit 1 on errors)")
    c.add_argument("fleet", nargs="?", default="fleet.yaml", type=Path, help="fleet file (default: fleet.yaml)")
    c.add_argument("--format", default="text", choices=sorted(FORMATTERS), help="report format (default: text)")
    c.add_argument("-o", "--output", type=Path, help=OUTPUT_HELP)
    c.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr (shown only on a terminal)")
    c.add_argument("--blueprints", type=Path, help="Jsonnet blueprints directory (default: the shipped ones)")
    c.add_argument("--crd-schemas", type=Path, action="append", default=[], help="extra folder of CRD JSON schemas")
    c.add_argument("--policy", type=Path, action="append", default=[], metavar="DIR",
                   help="extra folder of Rego policies (conftest layout), besides the shipped ones")
    c.add_argument("--skip-combined-policies", action="store_true",
                   help="above the combined-mode limit (docs/policies.md), warn instead of failing and skip them")

    a = sub.add_parser("allocate", help="fill missing ranges from spec.ipam.pools and write the fleet file back")
    a.add_argument("fleet", nargs="?", default="fleet.yaml", type=Path, help="fleet file (default: fleet.yaml)")
    a.add_argument("--dry-run", action="store_true", help="print the unified diff; write nothing")

    e = sub.add_parser("explain", help="show how something in the rendered output works, step by step")
    esub = e.add_subparsers(dest="topic", required=True, metavar="TOPIC")
    ed = esub.add_parser("dns", help="the hops a DNS name takes from a cluster (exit 0 resolves, 1 not, 2 unknown cluster)")
    ed.add_argument("cluster", help="the asking cluster").completer = completion.clusters  # type: ignore[attr-defined]
    ed.add_argument("name", help="the DNS name, e.g. cassandra-0.cassandra.db.svc.<zone>")
    ed.add_argument("fleet", nargs="?", default="fleet.yaml", type=Path, help="fleet file (default: fleet.yaml)")
    ed.add_argument("-o", "--output", type=Path, help=OUTPUT_HELP)
    ed.add_argument("--blueprints", type=Path, help="Jsonnet blueprints directory (default: the shipped ones)")

    cmp = sub.add_parser("cmp", help="Argo CD Config Management Plugin commands (run by the repo-server sidecar)")
    cmpsub = cmp.add_subparsers(dest="cmp_command", required=True, metavar="COMMAND")
    cmpsub.add_parser("generate", help="check the fleet, then print the cluster's manifests (cwd: the Application's "
                      "path; env ARGOCD_ENV_FLEETGEN_CLUSTER, ARGOCD_ENV_FLEETGEN_FLEET, ARGOCD_APP_SOURCE_PATH)")

    ev = esub.add_parser("verify", help="what the post-sync verification Job of a cluster checks (spec.verify)")
    ev.add_argument("cluster", help="the cluster whose Job to explain")
    ev.add_argument("fleet", nargs="?", default="fleet.yaml", type=Path, help="fleet file (default: fleet.yaml)")

    d = sub.add_parser("diff", help="what a fleet change does to the network, against a git revision")
    d.add_argument("fleet", nargs="?", default="fleet.yaml", type=Path, help="fleet file (default: fleet.yaml)")
    d.add_argument("--base", metavar="REF",
                   help="git revision to compare with (default: merge base with the default branch, "
                        "or HEAD when the working tree has changes)")
    d.add_argument("--format", default="text", choices=("text", "json", "markdown", "github"),
                   help="report format (default: text)")
    d.add_argument("--fail-on", choices=("warning", "error"), help="exit 1 on risky changes of this severity or worse")
    d.add_argument("--blueprints", type=Path, help="Jsonnet blueprints directory (default: the shipped ones)")

    g = sub.add_parser("graph", help="the fleet's topology as a picture (Mermaid, dot, SVG)")
    g.add_argument("fleet", nargs="?", default="fleet.yaml", type=Path, help="fleet file (default: fleet.yaml)")
    g.add_argument("--format", default="mermaid", choices=("mermaid", "dot", "svg"),
                   help="mermaid (default), dot, or svg (needs Graphviz's `dot`)")

    i = sub.add_parser("init", help="start a fleet: commented fleet.yaml, schema, pre-commit and CI files; render")
    i.add_argument("directory", nargs="?", default=".", type=Path, help="target directory (default: .)")
    i.add_argument("--provider", default="aws,gcp", metavar="LIST",
                   help="one cluster per provider, comma-separated: aws,gcp,azure,generic (default: aws,gcp)")
    i.add_argument("--engine", default="argocd", choices=("argocd", "flux"), help="GitOps engine (default: argocd)")

    sub.add_parser("schema", help="print the fleet JSON Schema (for editors: save it beside fleet.yaml)")

    sc = sub.add_parser("completion", help="print the shell completion script (bash, zsh, fish)")
    sc.add_argument("shell", choices=completion.SHELLS, help="e.g. `source <(fleetgen completion bash)`")

    h = sub.add_parser("hook", help="run a check for every fleet that a list of changed files belongs to (pre-commit)")
    h.add_argument("action", choices=("check", "render-check"), help="fleetgen check, or fleetgen render --check")
    h.add_argument("files", nargs="*", type=Path,
                   help="changed files (fleet files, or files in a fleet's output); none: every fleet in the repository")
    return parser


OUTPUT_HELP = "output directory (default: output/ next to the fleet file)"


def _directories(args: argparse.Namespace) -> None:
    """Folders named by options must exist: a typo is misuse (exit 2), never silently nothing."""
    for what, option in (("blueprints", "blueprints"), ("CRD schema", "crd_schemas")):
        value = getattr(args, option, None)
        for path in value if isinstance(value, list) else [value] if value else []:
            if not path.is_dir():
                raise UsageError(f"{what} directory {path} does not exist")


def run(argv: Sequence[str]) -> int:
    parser = _parser()
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions: answer and exit
        import argcomplete

        argcomplete.autocomplete(parser)
    args = parser.parse_args(argv)
    _directories(args)
    from generator import commands
    if args.command == "render":
        return commands.render(
            args.fleet, args.output, check_only=args.check, blueprints=args.blueprints,
            crd_schemas=tuple(args.crd_schemas), engine=args.engine, adopt=args.adopt, quiet=args.quiet,
        )
    if args.command == "check":
        return commands.check(
            args.fleet, fmt=args.format, out_dir=args.output, blueprints=args.blueprints,
            crd_schemas=tuple(args.crd_schemas), policy_dirs=tuple(args.policy),
            skip_combined=args.skip_combined_policies, quiet=args.quiet,
        )
    if args.command == "allocate":
        return commands.allocate(args.fleet, dry_run=args.dry_run)
    if args.command == "explain" and args.topic == "dns":
        return commands.explain_dns(args.cluster, args.name, args.fleet, out_dir=args.output, blueprints=args.blueprints)
    if args.command == "explain" and args.topic == "verify":
        return commands.explain_verify(args.cluster, args.fleet)
    if args.command == "cmp":
        from generator import argocd_cmp

        return argocd_cmp.generate(Path.cwd(), os.environ, sys.stdout, sys.stderr)
    if args.command == "diff":
        from generator import diffcmd

        return diffcmd.diff(args.fleet, base=args.base, fmt=args.format, fail_on=args.fail_on,
                            blueprints=args.blueprints)
    if args.command == "graph":
        from generator import diffcmd

        return diffcmd.graph_cmd(args.fleet, fmt=args.format)
    if args.command == "init":
        from generator import initcmd

        return initcmd.init(args.directory, providers=args.provider, engine=args.engine)
    if args.command == "schema":
        from generator import initcmd

        return initcmd.schema()
    if args.command == "completion":
        sys.stdout.write(completion.script(args.shell))
        return 0
    if args.command == "hook":
        return commands.hook(args.action, tuple(args.files))
    raise AssertionError(args.command)  # pragma: no cover - argparse enforces the choices


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:  # argparse: --help, --version (0) and misuse (2)
        return exc.code if isinstance(exc.code, int) else 2
    except LoadError as exc:
        sys.stderr.write(exc.finding.parsable() + "\n")
        return exc.exit_code
    except RenderError as exc:
        for finding in exc.findings:
            sys.stderr.write(finding.parsable() + "\n")
        if not exc.findings:
            sys.stderr.write(f"fleetgen: {exc}\n")
        return 1
    except FleetError as exc:
        sys.stderr.write(f"fleetgen: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("fleetgen: interrupted; an interrupted render is finished by the next one\n")
        return 130
    except BrokenPipeError:  # `fleetgen ... | head`: the reader left; say nothing more
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep interpreter shutdown from flushing into the pipe
        except OSError:
            pass
        return 1
    except OSError as exc:  # disk full, read-only, permission denied, not a directory, file too large
        where = f" {exc.filename}:" if exc.filename else ""
        sys.stderr.write(f"fleetgen:{where} {exc.strerror or exc}; nothing half-written is left behind "
                         "(the next render finishes or repairs the output)\n")
        return 2
    except Exception:  # noqa: BLE001 - the one place an unexpected error becomes a message
        import tempfile
        import traceback

        fd, log = tempfile.mkstemp(prefix="fleetgen-crash-", suffix=".log")
        with os.fdopen(fd, "w") as fh:
            traceback.print_exc(file=fh)
        exc_type, exc_value = sys.exc_info()[:2]
        name = exc_type.__name__ if exc_type else "error"
        sys.stderr.write(f"fleetgen: internal error ({name}: {exc_value}); details in {log}. Please report it.\n")
        return 2
