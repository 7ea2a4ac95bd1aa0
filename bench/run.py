"""`make bench`: time fleetgen's stages on synthetic fleets and compare with what users would run otherwise.

For each size N (default 10, 100, 1,000, 5,000 clusters in groups of 50, each group
joined by one transit gateway and running two stateful workloads) a fresh
subprocess times, as the median of several runs:

  load     read + schema-validate + model the fleet file
  checks   every built-in check
  render   Jsonnet blueprints + Kubernetes/CRD schema validation + serialization
  write    writing the output tree into an empty directory
  noop     `fleetgen render` again with nothing changed (load + digest + hash check; mtimes checked)
  check    `fleetgen check` end to end on the output just rendered (current output;
           load, checks, render, policies, DNS proof), no cache
  check_current `fleetgen check` right after `fleetgen render` on this machine: the render's own
           record proves the output current, so it is checked as it is (no second render);
           no cached policy verdicts. `fleetgen render` then `fleetgen check` = load + render
           + write + check_current (the "render, then check" column)
  check_warm  the same again, per-document policy verdicts from the per-machine cache
  check_stale `fleetgen check` after one rendered file was edited by hand (stale output:
           it must report `output-stale`), no cache

Then, once per size, the two commands as a user or CI runs them: `fleetgen render` and
then `fleetgen check`, each a fresh process on a machine with no cache, with each
command's wall time and peak memory (its own, and its largest worker's).

The shipped policies are per-document (the cross-cluster checks are built in), so
`check` runs with its defaults at every size; no combined-mode policy is involved.

and the subprocess's peak memory. Start-up, size-independent, as the median of 15
fresh processes each (wall and CPU): `python -c pass`, `fleetgen --version` and
`fleetgen check` of the 2-cluster root fleet on its committed output. Then, on the same output, the alternatives:
the `kubernetes-validate` command line versus fleetgen's integrated validation,
and an all-pairs CIDR comparison versus fleetgen's sorted sweep.

Usage: bench/run.py [--sizes 10,100,1000,5000] [--json FILE]
This is a benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import io
import ipaddress
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import yaml

from generator import checks, commands, manifests, outdir, pipeline, write
from generator.checks.overlap import brute_force_pairs, overlapping_pairs
from generator.loader import load_file
from generator.model import Fleet, build
from generator.synth import synthetic_fleet
from generator.validate import validate_document

STAGES = ("load", "checks", "render", "write", "noop", "check", "check_current", "check_warm", "check_stale")
ROOT = Path(__file__).resolve().parent.parent


def runs_for(n: int) -> int:
    return 5 if n <= 100 else 3 if n <= 1000 else 2


def median_time(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def write_fleet(n: int, directory: Path) -> Path:
    path = directory / "fleet.yaml"
    path.write_text(yaml.dump(synthetic_fleet(n), Dumper=yaml.CSafeDumper, sort_keys=False))
    return path


def load_model(path: Path) -> Fleet:
    doc = load_file(path, "fleet.yaml")
    assert not validate_document(doc.data, doc.source)
    return build(doc.data, doc.source)


def one_size(n: int, runs: int) -> dict[str, Any]:
    """Runs in its own process so that peak memory is this size's alone."""
    out: dict[str, Any] = {"clusters": n, "runs": runs}
    with tempfile.TemporaryDirectory() as tmp:
        fleet_path = write_fleet(n, Path(tmp))
        target = Path(tmp) / "out"
        out["load"], fleet = median_time(lambda: load_model(fleet_path), runs)
        out["checks"], findings = median_time(lambda: checks.run(fleet), runs)
        assert not [f for f in findings if f.is_error], findings[:3]
        out["render"], output = median_time(lambda: pipeline.render_output(fleet, keep_objects=False), runs)
        out["files"] = len(output.contents)
        out["output_mb"] = round(sum(map(len, output.contents.values())) / 1e6, 1)

        fresh_dirs = iter(Path(tmp) / f"write-{i}" for i in range(runs))

        def write_fresh() -> None:  # into an empty directory; deleting the last one is not timed
            where = next(fresh_dirs)
            write.write_tree(where, output.contents, outdir.owner_for(fleet.name, fleet_path, where))

        out["write"], _ = median_time(write_fresh, runs)
        for i in range(runs):
            shutil.rmtree(Path(tmp) / f"write-{i}")
        sink = io.StringIO()
        # `fleetgen render` twice: the first populates the render cache, the second is the no-op
        commands.render(fleet_path, target, stdout=sink, stderr=sink)
        stamps = {p: p.stat().st_mtime_ns for p in target.rglob("*") if p.is_file()}
        out["noop"], code = median_time(lambda: commands.render(fleet_path, target, stdout=sink, stderr=sink), runs)
        out["noop_rewrote_files"] = code != 0 or any(p.stat().st_mtime_ns != s for p, s in stamps.items())
        sink = io.StringIO()
        rendered_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fleetgen"

        def current_check() -> int:
            fresh = Path(tempfile.mkdtemp(dir=tmp))
            (fresh / "fleetgen").mkdir()
            for record in rendered_cache.glob("render-*"):  # this machine's render record, no verdicts
                shutil.copy(record, fresh / "fleetgen" / record.name)
            os.environ["XDG_CACHE_HOME"] = str(fresh)
            return commands.check(fleet_path, fmt="json", out_dir=target, stdout=sink)

        out["check_current"], _ = median_time(current_check, runs)

        def cold_check() -> int:
            os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(dir=tmp)  # no cached policy verdicts
            return commands.check(fleet_path, fmt="json", out_dir=target, stdout=sink)

        out["check"], code = median_time(cold_check, runs)
        out["check_exit"] = code
        # a second check with nothing changed: per-document policy verdicts come from the cache
        out["check_warm"], _ = median_time(
            lambda: commands.check(fleet_path, fmt="json", out_dir=target, stdout=sink), runs
        )
        # stale output: one rendered file edited by hand after the render
        edited = sorted(target.glob("clusters/*/namespaces/*.yaml"))[0]
        edited.write_bytes(edited.read_bytes() + b"# edited by hand\n")
        sink = io.StringIO()
        out["check_stale"], code = median_time(cold_check, runs)
        out["check_stale_exit"] = code
        out["check_stale_reported"] = "output-stale" in sink.getvalue()
        out.update(commands_in_fresh_processes(fleet_path, Path(tmp)))
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out["peak_mb"] = round(self_mb)
    out["peak_worker_mb"] = round(child_mb)
    return out


# Runs one fleetgen command in this fresh process and reports its exit code, wall time and
# peak resident memory: its own and its largest worker's (forked workers count their
# inherited pages too, as `ps` would show them). Linux only (/proc).
_COMMAND = """
import resource, sys, time
from generator import cli
start = time.perf_counter()
try:
    code = cli.main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
# VmHWM, not RUSAGE_SELF: Linux keeps the pre-exec peak (the forked benchmark's) in ru_maxrss
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print("RESULT", code, time.perf_counter() - start, peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
      file=sys.stderr)
"""


def commands_in_fresh_processes(fleet_path: Path, tmp: Path) -> dict[str, Any]:
    """What a user or CI runs: `fleetgen render`, then `fleetgen check`, each a fresh process,
    on a machine with no cache (a fresh XDG_CACHE_HOME: no earlier record, no verdicts)."""
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp / "fresh-machine"))
    target = tmp / "cli-output"
    out: dict[str, Any] = {}
    for name, args in (("render", ["render", str(fleet_path), "-o", str(target), "-q"]),
                       ("check", ["check", str(fleet_path), "-o", str(target), "-q", "--format", "json"])):
        proc = subprocess.run([sys.executable, "-c", _COMMAND, *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, check=False)
        result = [line.split() for line in proc.stderr.splitlines() if line.startswith("RESULT ")]
        if not result or result[-1][1] != "0":
            raise SystemExit(f"fleetgen {name} failed:\n{proc.stderr[-3000:]}")
        _, _, seconds, main_kb, worker_kb = result[-1]
        out[f"cli_{name}"] = round(float(seconds), 2)
        out[f"cli_{name}_peak"] = [round(int(main_kb) / 1024), round(int(worker_kb) / 1024)]
    return out


def validate_alternative(n: int) -> dict[str, Any]:
    """kubernetes-validate's command line vs fleetgen's integrated validation, on the same files."""
    with tempfile.TemporaryDirectory() as tmp:
        fleet = load_model(write_fleet(n, Path(tmp)))
        output = pipeline.render_output(fleet, processes=1)
        target = Path(tmp) / "out"
        write.write_tree(target, output.contents, outdir.Owner(fleet.name, "../fleet.yaml"))
        # API objects only (kustomization.yaml is kustomize's, not Kubernetes')
        docs = [(p, o) for p, o in sorted(output.files.items())
                if p.endswith(".yaml") and (o["apiVersion"], o["kind"]) not in manifests.NOT_API_OBJECTS]
        # the CLI knows no custom resources: give it the core objects only, and time ours on the same
        core = [(p, o) for p, o in docs if "." not in o["apiVersion"].split("/")[0] or o["apiVersion"].endswith("k8s.io/v1")]
        files = [str(target / p) for p, _ in core]
        cli = Path(sys.executable).parent / "kubernetes-validate"
        start = time.perf_counter()
        proc = subprocess.run([str(cli), "--strict", "-k", fleet.kubernetes_version, *files], capture_output=True, text=True)
        cli_time = time.perf_counter() - start
        manifests.schema_set.cache_clear()  # ours pays for loading its schemas too
        start = time.perf_counter()
        report = manifests.validate(core, fleet.kubernetes_version)
        ours = time.perf_counter() - start
    return {"clusters": n, "documents": len(files), "cli_s": round(cli_time, 2), "cli_exit": proc.returncode,
            "fleetgen_s": round(ours, 3), "ratio": round(cli_time / ours, 1), "fleetgen_findings": len(report.findings)}


def overlap_alternative(n: int) -> dict[str, Any]:
    """An all-pairs CIDR comparison versus the sorted sweep, same ranges, same answer."""
    items = [
        (ipaddress.ip_network(text), (c["name"], field))
        for c in synthetic_fleet(n)["spec"]["clusters"]
        for field, cidrs in c["network"].items()
        for text in cidrs
    ]
    sweep, a = median_time(lambda: list(overlapping_pairs(items)), 3)
    allpairs, b = median_time(lambda: list(brute_force_pairs(items)), 1)
    assert sorted(map(sorted, a)) == sorted(map(sorted, b))
    return {"clusters": n, "ranges": len(items), "sweep_s": round(sweep, 4), "all_pairs_s": round(allpairs, 2),
            "ratio": round(allpairs / max(sweep, 1e-9))}


def startup(runs: int = 15) -> dict[str, Any]:
    """Median wall and CPU (user+sys) milliseconds of fresh processes, interleaved so load hits all alike."""
    fleetgen = [sys.executable, "-m", "generator"]
    commands_ = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "fleetgen --version": [*fleetgen, "--version"],
        "check 2-cluster example": [*fleetgen, "check", "fleet.yaml"],
    }
    wall: dict[str, list[float]] = {k: [] for k in commands_}
    cpu: dict[str, list[float]] = {k: [] for k in commands_}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, XDG_CACHE_HOME=cache)
        for _ in range(runs):
            for name, argv in commands_.items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
                wall[name].append(time.perf_counter() - start)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return {name: {"wall_ms": round(statistics.median(wall[name]) * 1000, 1),
                   "cpu_ms": round(statistics.median(cpu[name]) * 1000, 1)} for name in commands_}


def startup_table(s: dict[str, Any]) -> str:
    lines = ["| start-up (median of fresh processes) | wall ms | CPU ms | x `python -c pass` (wall) |", "|---|---|---|---|"]
    base = s["python -c pass"]["wall_ms"]
    for name, v in s.items():
        lines.append(f"| {name} | {v['wall_ms']} | {v['cpu_ms']} | {v['wall_ms'] / max(base, 1e-9):.1f} |")
    return "\n".join(lines)


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| clusters | files | output MB | " + " | ".join(f"{s} s" for s in STAGES)
            + " | render+check s | render, then check s | peak MiB (main / worker) |")
    lines = [head, "|" + "---|" * (len(STAGES) + 6)]
    for r in rows:
        lines.append(
            f"| {r['clusters']:,} | {r['files']:,} | {r['output_mb']} | "
            + " | ".join(f"{r[s]:.2f}" for s in STAGES)
            + f" | {r['render'] + r['check']:.2f}"
            + f" | {r['load'] + r['render'] + r['write'] + r['check_current']:.2f} | {r['peak_mb']} / {r['peak_worker_mb']} |"
        )
    return "\n".join(lines)


def commands_table(rows: list[dict[str, Any]]) -> str:
    """The two commands as a user runs them, each a fresh process, on a machine with no cache."""
    lines = ["| clusters | `fleetgen render` s | then `fleetgen check` s | together s | render peak MiB (main / worker) "
             "| check peak MiB (main / worker) |", "|---|---|---|---|---|---|"]
    for r in rows:
        (rm, rw), (cm, cw) = r["cli_render_peak"], r["cli_check_peak"]
        lines.append(f"| {r['clusters']:,} | {r['cli_render']:.2f} | {r['cli_check']:.2f} | "
                     f"{r['cli_render'] + r['cli_check']:.2f} | {rm} / {rw} | {cm} / {cw} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="time fleetgen's stages on synthetic fleets")
    parser.add_argument("--sizes", default="10,100,1000,5000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, runs_for(args.one))))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}", flush=True)
    rows = []
    for n in sizes:
        proc = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr)
            return 1
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        r = rows[-1]
        note = "  (NO-OP RE-RENDER REWROTE FILES)" if r["noop_rewrote_files"] else ""
        if not r["check_stale_reported"]:
            note += "  (STALE OUTPUT NOT REPORTED)"
        print(f"  {n:>5} clusters: render {r['render']:.2f} s, check {r['check']:.2f} s (warm {r['check_warm']:.2f} s, "
              f"stale output {r['check_stale']:.2f} s), peak {r['peak_mb']} MiB{note}", flush=True)
    print()
    print(table(rows))
    print()
    print(commands_table(rows))
    for a, b in zip(rows, rows[1:]):
        cost = (b["cli_render"] + b["cli_check"]) / max(a["cli_render"] + a["cli_check"], 1e-9)
        print(f"{a['clusters']:,} -> {b['clusters']:,} clusters ({b['clusters'] / a['clusters']:.0f}x): "
              f"`fleetgen render` then `fleetgen check` costs {cost:.1f}x")
    print()
    s = startup()
    print(startup_table(s))
    print()
    v = validate_alternative(100)
    print(f"manifest validation, {v['documents']} core objects (100 clusters): kubernetes-validate CLI {v['cli_s']} s, "
          f"fleetgen {v['fleetgen_s']} s -> {v['ratio']}x faster")
    o = overlap_alternative(1000)
    print(f"CIDR overlap, {o['ranges']} ranges (1,000 clusters): all pairs {o['all_pairs_s']} s, "
          f"sweep {o['sweep_s']} s -> {o['ratio']}x faster")
    if args.json:
        args.json.write_text(json.dumps({"sizes": rows, "startup": s, "validate": v, "overlap": o}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
