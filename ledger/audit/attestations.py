"""Attestations domain: AttestationRegistry attestations, linked RFC 3161 tokens and AI
generation records.

State sections: ``attestations`` ``{hash: {contract, attester, kind, timestamped, block,
cid, tsaTokenCid}}``, ``generations`` ``{id: {contract, workId, generator, modelName,
modelVersion, inputsRoot, paramsCid, outputHash, time, block}}``. Each token CID is
checked (blob check) to be an RFC 3161 token over the attested hash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ledger.audit.core import Call, Mismatch, State, call_many, check, reducer
from ledger.content.cid import cid_to_bytes
from ledger.core.abicodec import checksum as to_checksum_address
from ledger.core.abicodec import encode, keccak256, parse_type
from ledger.core.events import Event
from ledger.core.types import hex0x as _hex

if TYPE_CHECKING:
    from ledger.domain.works import Ledger



def _key(h: str, attester: str) -> str:
    return f"{h}:{attester}"


@reducer("Attested")
def attested(state: State, ev: Event) -> None:
    """Every attester keeps its own earliest attestation of a hash (keyed ``hash:attester``)."""
    a = ev.args
    h = _hex(a["hash"])
    atts = state.section("attestations")
    key = _key(h, a["attester"])
    if key in atts:
        state.flag(ev, f"{h} attested twice by {a['attester']}", atts[key]["block"], ev.block)
        return
    atts[key] = {"hash": h,
        "contract": ev.address, "attester": a["attester"], "kind": int(a["kind"]),
        "timestamped": bool(a["tsaTokenCid"]), "block": ev.block,
        "cid": state.ref_cid(a["cid"], f"document of attestation {h}"),
        "tsaTokenCid": state.ref_cid(a["tsaTokenCid"], f"timestamp token of attestation {h}", {"tsaDigest": h}),
    }


@reducer("TimestampLinked")
def timestamp_linked(state: State, ev: Event) -> None:
    h = _hex(ev.args["hash"])
    att = state.section("attestations").get(_key(h, ev.args["attester"]))
    cid = state.ref_cid(ev.args["tsaTokenCid"], f"timestamp token of attestation {h}", {"tsaDigest": h})
    if att is None:
        state.flag(ev, f"{ev.args['attester']} linked a token to {h}, which it never attested")
        return
    if att["timestamped"]:
        state.flag(ev, f"a second token was linked to {h} by {ev.args['attester']}")
    att["timestamped"] = True
    att["tsaTokenCid"] = cid


@reducer("GenerationRecorded")
def generation_recorded(state: State, ev: Event) -> None:
    a = ev.args
    rid = str(int(a["recordId"]))
    wid = _hex(a["workId"])
    gens = state.section("generations")
    if rid in gens:
        state.flag(ev, f"generation record {rid} appears twice")
    work = state.section("works").get(wid)
    gen = a["generator"]
    if work is None:
        state.flag(ev, f"generation record {rid} names work {wid}, which was never registered")
    elif gen != work["registrant"] and not any(h[0] == gen for h in work["holders"]):
        state.flag(ev, f"generator {gen} of record {rid} was neither a holder nor the registrant of {wid}")
    gens[rid] = {
        "contract": ev.address, "workId": wid, "generator": gen, "modelName": a["modelName"],
        "modelVersion": a["modelVersion"], "inputsRoot": _hex(a["inputsRoot"]),
        "paramsCid": state.ref_cid(a["paramsCid"], f"parameters of generation record {rid}"),
        "outputHash": _hex(a["outputHash"]), "time": int(a["time"]), "block": ev.block,
    }


_DIGEST_TYPES = [parse_type(t) for t in ("bytes32", "address", "uint40", "string", "string", "bytes32", "bytes",
                                           "bytes32")]


def generation_digest(g: dict) -> bytes:
    """The contract's generationDigest of a replayed record."""
    return keccak256(encode(
        _DIGEST_TYPES,
        [bytes.fromhex(g["workId"][2:]), g["generator"], g["time"], g["modelName"], g["modelVersion"],
         bytes.fromhex(g["inputsRoot"][2:]), cid_to_bytes(g["paramsCid"]) if g["paramsCid"] else b"",
         bytes.fromhex(g["outputHash"][2:])],
    ))


_ATTESTATION = Call("attestationBy(bytes32,address)", ["(address,uint40,uint8,bool,uint40)"])
_DIGEST = Call("generationDigest(uint64)", ["bytes32"])
_COUNT = Call("generationCount(bytes32)", ["uint32"])
_TOTAL = Call("generationTotal()", ["uint64"])


@check("attestations")
def check_attestations(state: State, ledger: Ledger) -> list[Mismatch]:
    out: list[Mismatch] = []
    atts = state.section("attestations")
    keys = [k for k in atts if state.wants(atts[k]["hash"], atts[k]["attester"])]
    views = call_many(ledger, _ATTESTATION, [(atts[k]["contract"], (bytes.fromhex(atts[k]["hash"][2:]),
                                                                    atts[k]["attester"])) for k in keys])
    for k, v in zip(keys, views, strict=True):
        a = atts[k]
        h = f"{a['hash']} by {a['attester']}"
        if v is None:
            out.append(Mismatch("state", f"attestation {h}", "attestationOf reverted"))
            continue
        attester, _at, kind, stamped, block = v
        for what, mine, theirs in (("attester", a["attester"], to_checksum_address(attester)),
                                   ("kind", a["kind"], kind), ("timestamped", a["timestamped"], stamped),
                                   ("block", a["block"], block)):
            if mine != theirs:
                out.append(Mismatch("state", f"attestation {h}", f"{what} differs", mine, theirs))
    gens = state.section("generations")
    ids = sorted((i for i in gens if state.wants(i, gens[i]["workId"])), key=int)
    digests = call_many(ledger, _DIGEST, [(gens[i]["contract"], (int(i),)) for i in ids])
    per_work: dict[tuple[str, str], int] = {}
    for g in gens.values():
        per_work[(g["contract"], g["workId"])] = per_work.get((g["contract"], g["workId"]), 0) + 1
    for i, d in zip(ids, digests, strict=True):
        g = gens[i]
        mine = generation_digest(g)
        if d is None or bytes(d) != mine:
            out.append(Mismatch("state", f"generation record {i} of work {g['workId']}",
                                "the recorded digest differs from the replayed fields",
                                _hex(mine), _hex(d) if d is not None else None))
    keys = [k for k in per_work if state.wants(k[1])]
    counts = call_many(ledger, _COUNT, [(c, (bytes.fromhex(w[2:]),)) for c, w in keys])
    for (c, w), n in zip(keys, counts, strict=True):
        if n != per_work[(c, w)]:
            out.append(Mismatch("state", f"work {w}", "generation count differs", per_work[(c, w)], n))
    contracts = {c.address for c in (*ledger.deployment.contracts.values(), *ledger.deployment.history)
                 if c.name == "AttestationRegistry"}
    totals = call_many(ledger, _TOTAL, [(c, ()) for c in sorted(contracts)])
    for c, total in zip(sorted(contracts), totals, strict=True):
        mine = sum(1 for g in gens.values() if g["contract"] == c)
        if total is not None and total != mine:
            out.append(Mismatch("state", f"AttestationRegistry {c}", "generation total differs", mine, total))
    return out
