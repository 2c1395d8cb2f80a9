"""The event replay (ledger.domain.asof) answers as the contracts do.

The royalties compute holders and line weights at a period's close block from events, so a
node without history gives the same distribution. Here the replayed state is compared with
``CoverageLens.lineWeight`` and ``WorkRegistry.holdersOf`` on a live node, for lines of every
kind and reason (licensed, statutory, wrong licence, unmandated, reserved, disputed, suspended,
revoked, not yet valid, from the future), at the head and at an earlier block.
"""

from __future__ import annotations

import itertools

import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector

from ledger.core.artifacts import load_artifact
from ledger.core.types import USES
from ledger.domain.asof import past_state, pool_licences
from tests.sdk.test_usage import world

SEL = function_signature_to_4byte_selector("lineWeight(address,address,(bytes32,uint32,uint64,uint40,uint64,uint8))")
HOLDERS = function_signature_to_4byte_selector("holdersOf(bytes32)")


@pytest.fixture(scope="module")
def env(ledger_env):
    return ledger_env


@pytest.fixture(scope="module")
def w(env):
    return world(env, "asof", n_works=9)


def lens_answers(led, block, cmo, queries):
    lens = led.deployment.address("CoverageLens")
    calls = [(lens, SEL + abi_encode(["address", "address", "(bytes32,uint32,uint64,uint40,uint64,uint8)"],
                                     [cmo, who, (bytes.fromhex(wid[2:]), use, qty, at, lid, kind)]))
             for who, wid, use, qty, at, lid, kind in queries]
    raw = led.rpc.eth_call_many(calls, block, strict=True)
    return [tuple(int(x) for x in abi_decode(["uint8", "uint256"], r)) for r in raw]


def model_answers(led, block, cmo, queries):
    state = past_state(led, block)
    lic, version = pool_licences(led, led.deployment.address("RoyaltyPool"))
    assert lic == led.deployment.address("LicenceRegistry")
    return [state.line_weight(lic, cmo, who, wid, use, qty, at, lid, kind, version)
            for who, wid, use, qty, at, lid, kind in queries]


def queries(env, w, now):
    a = env.addresses
    works = w["works"]
    whos = [a["licensee"], a["bob"]]
    uses = [USES["perform"], USES["ai-training"], USES["reproduce"], 3]
    ats = [now - 60, now - 10**7, now + 10**6]
    licences = [(w["licence"], 2), (w["licence"], 1), (0, 4), (w["licence"], 4), (999, 2)]
    return [(who, wid, use, 2, at, lid, kind) for who, wid, use, at, (lid, kind)
            in itertools.product(whos, works, uses, ats, licences)]


def test_replayed_line_weights_and_holders_equal_the_contracts(env, w):
    led = env.ledger("governor")
    a = env.addresses
    works = w["works"]
    before = led.chain.block_number()
    # facts that change the answers after `before`: a reservation, a dispute, a suspension
    lic = led.w3.eth.contract(address=led.deployment.address("LicenceRegistry"),
                              abi=load_artifact(env.settings.build_dir, "LicenceRegistry").abi)
    alice, cmo = env.ledger("alice"), env.ledger("cmo")
    alice.reserve_uses(works[1], ["ai-training"])
    alice.transfer_share(works[2], a["bob"], 2500)
    cmo.chain.transact(lic.functions.suspend(w["licence"], "asof test"), cmo.signer)
    from ledger.domain.protection import Protection

    Protection(alice).open_dispute(works[3], b"asof evidence")
    unconfirmed = "0x" + "ab" * 32
    head = led.chain.block_number()
    now = w["clock"]()
    qs = queries(env, w, now) + [(a["licensee"], unconfirmed, USES["perform"], 1, now - 60, w["licence"], 2)]
    for block in (before, head):
        model = model_answers(led, block, w["cmo"], qs)
        chain = lens_answers(led, block, w["cmo"], qs)
        diff = [(q, m, c) for q, m, c in zip(qs, model, chain, strict=True) if m != c]
        assert not diff, diff[:5]
        reasons = {r for r, _ in chain}
        assert {0, 9, 10, 11, 12} <= reasons, reasons  # counted, unconfirmed, unmandated, wrong licence, bad line
        assert any(o for _, o in chain)
    _lic, version = pool_licences(led, led.deployment.address("RoyaltyPool"))
    if version == 1:  # the lens reads the state at the block: the new facts show up at the head only
        at_head = {r for r, _ in lens_answers(led, head, w["cmo"], qs)}
        at_before = {r for r, _ in lens_answers(led, before, w["cmo"], qs)}
        assert {3, 8} <= at_head and not {3, 8} <= at_before, (at_head, at_before)
    else:  # time-ranged facts: what happened after the uses does not change their weight
        assert lens_answers(led, head, w["cmo"], qs) == lens_answers(led, before, w["cmo"], qs)
    state_before, state_head = past_state(led, before), past_state(led, head)
    registry = led.deployment.address("WorkRegistry")
    for block, state in ((before, state_before), (head, state_head)):
        raw = led.rpc.eth_call_many([(registry, HOLDERS + bytes.fromhex(x[2:])) for x in works], block, strict=True)
        onchain = [sorted((h[0], int(h[1])) for h in abi_decode(["(address,uint16)[]"], r)[0]) for r in raw]
        onchain = [[(led.w3.to_checksum_address(x), b) for x, b in hs] for hs in onchain]
        assert [state.holders_of(x) for x in works] == onchain
    assert state_before.holders_of(works[2]) != state_head.holders_of(works[2])
