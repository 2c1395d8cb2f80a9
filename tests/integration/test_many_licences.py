"""A licensee holding thousands of work licences gets correct answers (issue 15).

2,000 confirmed works and 2,000 work licences (one work each, reproduce) to bob, built the way
``benchmarks.scaling`` builds its ledgers (batched registrations, grants signed locally and sent
in JSON-RPC batches with big blocks). Then ``licence status`` (CLI), ``licence check`` (a file of
every work and a use no licence covers), the portal's API and ``licence list`` answer right for
works at the start, the middle and the end of bob's list. The 10,000-licence figures come from
``python -m benchmarks.scaling``.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from benchmarks.scaling import _ids, build
from ledger.portal import create_app
from tests.fixtures.chain import make_env

N = 2000
RL = [str(Path(sys.executable).with_name("rights-ledger"))]


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    env = make_env(tmp_path_factory.mktemp("many-licences"))
    build(env, N)
    yield env, ["0x" + h.hex() for h in _ids("bulk", N)]
    env.node.stop()


def test_licence_status_for_a_licensee_with_thousands_of_licences(many):
    env, works = many
    bob = env.addresses["bob"]
    for wid in (works[0], works[N // 2], works[-1]):
        p = subprocess.run([*RL, "licence", "status", wid, bob, "--use", "reproduce", "--json"], env=env.env(),
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr + p.stdout
        doc = json.loads(p.stdout)
        assert doc["covered"] is True and doc["licenceId"] is not None
        p = subprocess.run([*RL, "licence", "status", wid, bob, "--use", "perform"], env=env.env(),
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 1, p.stderr + p.stdout
    # the licence that covers the last work is the last one granted to bob (ids follow the grants)
    last = json.loads(subprocess.run([*RL, "licence", "status", works[-1], bob, "--use", "reproduce", "--json"],
                                     env=env.env(), capture_output=True, text=True, timeout=120).stdout)
    first = json.loads(subprocess.run([*RL, "licence", "status", works[0], bob, "--use", "reproduce", "--json"],
                                      env=env.env(), capture_output=True, text=True, timeout=120).stdout)
    assert last["licenceId"] - first["licenceId"] == N - 1


def test_licence_check_answers_every_work_of_the_licensee(many, tmp_path):
    env, works = many
    questions = tmp_path / "questions.csv"
    with open(questions, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["work", "use", "territory", "at"])
        for wid in works:
            w.writerow([wid, "reproduce", "", ""])
        for wid in works[:50]:
            w.writerow([wid, "perform", "", ""])
    p = subprocess.run([*RL, "licence", "check", str(questions), "--licensee", env.addresses["bob"]], env=env.env(),
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    answers = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(answers) == N + 50
    assert all(a["covered"] for a in answers[:N]), [a for a in answers[:N] if not a["covered"]][:3]
    assert not any(a["covered"] for a in answers[N:])
    assert len({a["licenceId"] for a in answers[:N]}) == N  # each work by its own licence


def test_the_portal_answers_for_a_licensee_with_thousands_of_licences(many):
    env, works = many
    client = TestClient(create_app(env.settings))
    bob = env.addresses["bob"]
    for wid in (works[0], works[N // 2], works[-1]):
        r = client.get("/api/licence-status", params={"work": wid, "licensee": bob, "use": "reproduce"})
        assert r.status_code == 200, r.text
        assert r.json()["covered"] is True
        r = client.get("/api/licence-status", params={"work": wid, "licensee": bob, "use": "broadcast"})
        assert r.status_code == 200 and r.json()["covered"] is False
        r = client.get(f"/api/works/{wid}")
        assert r.status_code == 200, r.text
        assert bob in json.dumps(r.json())  # the work page lists its licence to bob


def test_licence_list_of_the_licensee_has_every_licence(many):
    env, works = many
    p = subprocess.run([*RL, "licence", "list", "--licensee", env.addresses["bob"], "--json"], env=env.env(),
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    listed = json.loads(p.stdout)
    items = listed if isinstance(listed, list) else listed.get("licences", [])
    covered = {w for lic in items for w in lic.get("works", [])}
    assert len(items) == N and covered == set(works)
