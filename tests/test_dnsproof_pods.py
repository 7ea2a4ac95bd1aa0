"""The DNS proof and `fleetgen explain dns` know which pods exist (generator/dnsproof/pods.py)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from generator import commands, dnsproof, pipeline

REPO = Path(__file__).resolve().parent.parent
EXTRA = """\
    - name: elasticsearch
      namespace: search
      ports: [{name: http, port: 9200}]
      placement: {aws-euwest1: 3, gcp-europe-west4-c: 3}
    - name: postgres
      namespace: db
      ports: [{name: pg, port: 5432}]
      placement: {aws-euwest1: 2}
"""


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    path = tmp_path / "fleet.yaml"
    path.write_text((REPO / "fleet.yaml").read_text() + EXTRA)
    return path


def explain(fleet: Path, asker: str, name: str) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = commands.explain_dns(asker, name, fleet, stdout=out)
    return code, out.getvalue().splitlines()[-2:]


def test_pod_of_a_workload_not_placed_in_the_owner_is_no_such_pod(fleet: Path) -> None:
    assert explain(fleet, "aws-euwest1", "postgres-0.postgres.db.svc.gcp-europe-west4-c.local") == (1, [
        "  x  no such pod: workload db/postgres is not placed in gcp-europe-west4-c (placed in aws-euwest1)",
        "resolves: no",
    ])
    # the same name in the cluster where postgres runs resolves
    assert explain(fleet, "gcp-europe-west4-c", "postgres-1.postgres.db.svc.aws-euwest1.local")[0] == 0
    # and the Service name alone
    assert explain(fleet, "aws-euwest1", "postgres.db.svc.gcp-europe-west4-c.local") == (1, [
        "  x  no such service: workload db/postgres is not placed in gcp-europe-west4-c (placed in aws-euwest1)",
        "resolves: no",
    ])


@pytest.mark.parametrize("pod", ["elasticsearch-9", "elasticsearch-3", "elasticsearch-01", "elasticsearch-x", "es-0"])
def test_pod_beyond_the_replicas_is_no_such_pod(fleet: Path, pod: str) -> None:
    assert explain(fleet, "aws-euwest1", f"{pod}.elasticsearch.search.svc.gcp-europe-west4-c.local") == (1, [
        "  x  no such pod: workload search/elasticsearch has 3 replicas in gcp-europe-west4-c "
        "(elasticsearch-0 to elasticsearch-2)",
        "resolves: no",
    ])
    code, lines = explain(fleet, "aws-euwest1", "elasticsearch-2.elasticsearch.search.svc.gcp-europe-west4-c.local")
    assert (code, lines[1]) == (0, "resolves: yes")
    assert lines[0].endswith("server block gcp-europe-west4-c.local:53 -> kubernetes gcp-europe-west4-c.local answers")


def test_services_that_are_not_fleet_workloads_are_not_judged(fleet: Path) -> None:
    assert explain(fleet, "aws-euwest1", "redis-7.redis.cache.svc.gcp-europe-west4-c.local")[1][-1] == "resolves: yes"


def test_mcs_names_know_their_pods(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    shutil.copy(REPO / "examples" / "discovery-mcs" / "fleet.yaml", path)
    code, lines = explain(path, "aws-euwest1", "cassandra-7.gcp-europe-west4-c.cassandra.db.svc.clusterset.local")
    assert (code, lines[0]) == (1, "  x  no such pod: workload db/cassandra has 3 replicas in gcp-europe-west4-c "
                                   "(cassandra-0 to cassandra-2)")
    assert explain(path, "aws-euwest1", "cassandra-2.gcp-europe-west4-c.cassandra.db.svc.clusterset.local")[0] == 0


def test_the_proof_refuses_a_seed_that_names_no_pod(fleet: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A seeds list naming a pod that does not exist (a view or discovery bug) is a dns-unresolvable finding."""
    loaded = pipeline.load(fleet, "fleet.yaml")
    assert loaded.fleet is not None
    output = pipeline.render_output(loaded.fleet)
    assert dnsproof.prove(loaded.fleet, output.files) == []
    real = dnsproof.seeds
    monkeypatch.setattr(dnsproof, "seeds",
                        lambda f, w, v=None: [*real(f, w, v), f"{w.name}-5.{w.name}.{w.namespace}.svc.aws-euwest1.local"])
    found = dnsproof.prove(loaded.fleet, output.files)
    assert [f.parsable() for f in found][:1] == [
        "fleet.yaml:29:7: [error] dns-unresolvable from aws-euwest1, cassandra-5.cassandra.db.svc.aws-euwest1.local "
        "names no such pod: workload db/cassandra has 3 replicas in aws-euwest1 (cassandra-0 to cassandra-2)",
    ]
