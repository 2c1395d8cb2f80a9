"""The version holding a work, for many works at once (ADR 002, R81c; issue 15).

``Ledger.registries_for`` answers what ``registry_for`` answers for each work (the current
WorkRegistry when it knows the work, else the newest older one where it is live, else the
newest where it was recorded, else the current one), in one batched round per version, and
none before an upgrade. ``licensing_of_works`` gives each work's (LicenceRegistry,
CoverageLens), the pair ``Licensing.contracts_for`` and the usage coverage both use.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ledger.core import rpc as rpc_mod
from ledger.core.deploy import deploy_all
from ledger.core.errors import WorkAlreadyRegistered
from ledger.domain.licensing import Licensing
from ledger.domain.licensing.base import licensing_of_works, licensing_versions
from tests.fixtures.chain import make_env, register_text_work

UNKNOWN = "0x" + "ab" * 32


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    env = make_env(tmp_path_factory.mktemp("versions") / "home")
    try:
        before = {"live": register_text_work(env, "alice"), "pending": register_text_work(env, "alice",
                                                                                        confirm=False)}
        rejected = register_text_work(env, "alice", confirm=False)
        env.ledger("registrar").reject_work(rejected, "not original")
        before["rejected"] = rejected
        one = env.ledger()
        with Counter() as calls:
            assert one.registries_for([*before.values(), UNKNOWN]) == dict.fromkeys([*before.values(), UNKNOWN],
                                                                                    one.registry)
        assert calls.batches == 0  # one version: nothing to ask
        gov = env.ledger("governor")
        old = gov.deployment
        new = deploy_all(gov.chain, gov.signer, env.settings.build_dir, env.settings.deployments_file, previous=old)
        after = {"new": register_text_work(env, "alice")}
        yield {"env": env, "old": old, "new": new, "before": before, "after": after}
    finally:
        env.node.stop()


class Counter:
    """Counts the JSON-RPC batches the Rpc client sends while active."""

    def __init__(self) -> None:
        self.batches = 0

    def __enter__(self) -> Counter:
        self.real = rpc_mod.Rpc.batch
        counter = self

        def batch(this: Any, calls: Any, **kw: Any) -> Any:
            counter.batches += 1
            return counter.real(this, calls, **kw)

        rpc_mod.Rpc.batch = batch  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: Any) -> None:
        rpc_mod.Rpc.batch = self.real  # type: ignore[method-assign]


def test_registries_for_is_registry_for_of_each_work(upgraded):
    env, old, new = upgraded["env"], upgraded["old"], upgraded["new"]
    led = env.ledger()
    b, a = upgraded["before"], upgraded["after"]
    works = [b["live"], a["new"], b["pending"], b["rejected"], UNKNOWN, b["live"]]
    with Counter() as calls:
        many = led.registries_for(works)
    assert calls.batches == 2  # the current version, then v1 for the works v2 does not hold: not one per work
    assert {w: c.address for w, c in many.items()} == {w: led.registry_for(w).address for w in works}
    want = {b["live"]: old, b["pending"]: old, b["rejected"]: old, a["new"]: new, UNKNOWN: new}
    assert {w: c.address for w, c in many.items()} == {w: d.address("WorkRegistry") for w, d in want.items()}


def test_one_version_map_for_usage_and_licensing(upgraded):
    env, old, new = upgraded["env"], upgraded["old"], upgraded["new"]
    led = env.ledger()
    pairs = licensing_versions(led)
    assert pairs == {
        old.address("WorkRegistry").lower(): (old.address("LicenceRegistry"), old.address("CoverageLens")),
        new.address("WorkRegistry").lower(): (new.address("LicenceRegistry"), new.address("CoverageLens"))}
    b, a = upgraded["before"], upgraded["after"]
    works = [b["live"], a["new"], UNKNOWN]
    routes = licensing_of_works(led, works)
    lic = Licensing(led)
    for w in works:
        lr, lens = lic.contracts_for(w)
        assert routes[w] == (lr.address, lens.address)
    assert routes[b["live"]] == (old.address("LicenceRegistry"), old.address("CoverageLens"))
    assert routes[a["new"]] == routes[UNKNOWN] == (new.address("LicenceRegistry"), new.address("CoverageLens"))
    # and the routes are the ones used: a v1 work licensed after the upgrade is covered through v1
    alice = Licensing(env.ledger("alice"))
    _r, lid = alice.grant(env.addresses["licensee"], [b["live"]], alice.terms(["perform"]))
    c = Licensing(env.ledger()).status(b["live"], env.addresses["licensee"], "perform")
    assert c.covered and c.licence_id == lid


def test_registries_for_odd_lists(upgraded):
    """Hostile or odd lists: the same work twice and in mixed case (each key as given), without 0x,
    an empty list; and a work live in v1 cannot be made 'rejected in v2' (v2 refuses to register it)."""
    import hashlib

    from ledger.content.metadata import build_work_metadata
    from ledger.core.types import Holder

    env, old = upgraded["env"], upgraded["old"]
    led = env.ledger()
    live = upgraded["before"]["live"]
    assert led.registries_for([]) == {} and licensing_of_works(led, []) == {}
    odd = [live, "0x" + live[2:].upper(), live[2:], live]
    got = led.registries_for(odd)
    assert set(got) == set(odd) and {c.address for c in got.values()} == {old.address("WorkRegistry")}
    routes = licensing_of_works(led, odd)
    assert set(routes.values()) == {(old.address("LicenceRegistry"), old.address("CoverageLens"))}
    # a work live in v1 cannot be registered (and then rejected) in v2: the new version refuses it
    alice = env.ledger("alice")
    doc = build_work_metadata(title="again", creators=[{"name": "a", "role": "author"}], work_type="text",
                              content_sha256=hashlib.sha256(b"x").hexdigest())
    fn = alice.registry.functions.register(alice._registration(live, "bafkreih" + "a" * 51, doc,
                                                               [Holder(env.addresses["alice"], 10000)]))
    with pytest.raises(WorkAlreadyRegistered, match="registered already"):
        alice.chain.build(fn, alice.signer)
    assert led.registries_for([live])[live].address == old.address("WorkRegistry")
