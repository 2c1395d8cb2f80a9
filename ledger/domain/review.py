"""The registrar's desk (issue 18): review queue, evidence, similarity, search, rejection codes.

Reads come from the local read index (``ledger.domain.index``): one indexed lookup per
question, not a replay of the chain. The evidence of one work (verifications, attestations,
generation records, disputes) is read from the chain for the works shown.

Interface shared with corpus clearance: ``similar(ledger_or_index, code, threshold) ->
[(work_id, distance)]``, nearest first.
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

from ledger.content.iscc import DEFAULT_THRESHOLD, code_body
from ledger.core.errors import InputError

__all__ = ["REJECTION_CODES", "RejectionCode", "Desk", "identifier_key", "query_terms", "rejection_code", "similar",
           "terms"]

# --- rejection codes (published: README "Rejection codes", `work reject --help`) ------------------


@dataclass(frozen=True)
class RejectionCode:
    number: int  # what goes on-chain (WorkRejected.reasonCode)
    name: str
    meaning: str
    cwr: str  # CWR 2.1 acknowledgement transaction status it maps to ("" where none fits)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.number, "name": self.name, "meaning": self.meaning, "cwrStatus": self.cwr or None}


REJECTION_CODES: tuple[RejectionCode, ...] = (
    RejectionCode(1, "duplicate", "the content is the same as, or a near-duplicate of, a work already registered "
                  "by another holder", "DU"),
    RejectionCode(2, "insufficient-evidence", "the evidence does not show that the registrant made or holds the "
                  "work (no draft, attestation or timestamp earlier than the competing copy)", "RJ"),
    RejectionCode(3, "identity-mismatch", "the registrant or a holder is not who the registration says (real "
                  "name not verified, or verified under another name)", "RJ"),
    RejectionCode(4, "no-human-contribution", "an AI-generated work without a human creative contribution that "
                  "copyright protects", "RJ"),
    RejectionCode(5, "conflicting-claim", "the ownership conflicts with another registration or claim that must "
                  "be settled first (by a dispute or in court)", "CO"),
    RejectionCode(6, "invalid-metadata", "the metadata is wrong or incomplete (title, creators, identifiers "
                  "or work type do not match the content)", "RJ"),
    RejectionCode(7, "not-original", "the content is not an original work (facts, public-domain material, "
                  "or a work of someone else)", "RJ"),
    RejectionCode(8, "withdrawn", "the registrant asked to withdraw the registration", ""),
)
_CODES_BY_NAME = {c.name: c for c in REJECTION_CODES}
_CODES_BY_NUMBER = {c.number: c for c in REJECTION_CODES}


def rejection_code(value: str | int) -> RejectionCode:
    """A listed rejection code by name or number; anything else is refused."""
    text = str(value).strip().lower()
    code = _CODES_BY_NAME.get(text) or (_CODES_BY_NUMBER.get(int(text)) if text.isdigit() else None)
    if code is None:
        raise InputError(f"unknown rejection code {value!r}",
                         hint="one of " + ", ".join(c.name for c in REJECTION_CODES) + " (see `work reject --help`)")
    return code


def describe_rejection(number: int | None) -> dict[str, Any] | None:
    """The published meaning of an on-chain reason code (an unlisted number says so)."""
    if number is None:
        return None
    code = _CODES_BY_NUMBER.get(int(number))
    if code is None:
        return {"code": int(number), "name": None, "meaning": "not a published code (set before issue 18)",
                "cwrStatus": None}
    return code.as_json()


# --- search terms -----------------------------------------------------------------------------

_CJK = re.compile(r"[\u2e80-\u2fff\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
                  r"\U00020000-\U0002fa1f]")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _runs(text: str) -> list[tuple[str, bool]]:
    """The text as runs of CJK characters (True) and of words (False), in order."""
    out: list[tuple[str, bool]] = []
    for word in _WORD.findall(normalise(text)):
        buf, cjk = "", None
        for ch in word:
            is_cjk = bool(_CJK.match(ch))
            if cjk is not None and is_cjk != cjk:
                out.append((buf, cjk))
                buf = ""
            buf, cjk = buf + ch, is_cjk
        if buf:
            out.append((buf, bool(cjk)))
    return out


def terms(text: str) -> set[str]:
    """Index terms of a title or name: each word; for CJK text each character and each pair."""
    out: set[str] = set()
    for run, cjk in _runs(text):
        if cjk:
            out.update(run)
            out.update(run[i:i + 2] for i in range(len(run) - 1))
        else:
            out.add(run)
    return out


def query_terms(text: str) -> tuple[list[str], list[bool]]:
    """The terms a query must all match, and whether each is CJK (exact) or a word (the last
    word may be a prefix)."""
    words: list[str] = []
    cjk: list[bool] = []
    for run, is_cjk in _runs(text):
        parts = [run] if not is_cjk or len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
        words += parts
        cjk += [is_cjk] * len(parts)
    return words, cjk


def identifier_key(value: str) -> str:
    """An identifier as indexed and searched: upper case, letters and digits only
    (T-123.456.789-0 and T1234567890 are the same ISWC)."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


# --- similarity -------------------------------------------------------------------------------


def _index_of(ledger_or_index: Any) -> Any:
    if hasattr(ledger_or_index, "similar_bodies"):
        return ledger_or_index
    from ledger.domain.index import ReadIndex

    idx = getattr(ledger_or_index, "_read_index", None)
    if idx is None:
        idx = ledger_or_index._read_index = ReadIndex(ledger_or_index)
    idx.fresh()
    idx.fill_metadata()
    return idx


def similar(ledger_or_index: Any, code: str, threshold: int = DEFAULT_THRESHOLD,
            exclude: str | None = None) -> list[tuple[str, int]]:
    """Registered works whose ISCC content code (same kind) is within ``threshold`` bits of
    ``code``: ``[(work_id, distance)]``, nearest first. ``ledger_or_index`` is a ``Ledger``
    (its read index is synced first) or a ``ReadIndex``."""
    if not 0 <= int(threshold) <= 64:
        raise InputError(f"threshold {threshold} is out of range 0..64 bits")
    kind, body = code_body(code)
    return _index_of(ledger_or_index).similar_bodies(kind, body, int(threshold), exclude=exclude)


# --- the desk ---------------------------------------------------------------------------------

STATUS_NAMES = {1: "PENDING", 2: "CONFIRMED", 3: "REJECTED", 4: "DISPUTED", 5: "REVOKED"}
STATUS_NUMBERS = {v: k for k, v in STATUS_NAMES.items()}
OUTCOMES = {1: "dismissed", 2: "holders corrected", 3: "revoked"}


class Desk:
    """The registrar's questions over one Ledger (reads only; writes stay in the SDK)."""

    def __init__(self, ledger: Any, threshold: int = DEFAULT_THRESHOLD) -> None:
        self.ledger = ledger
        self.threshold = threshold
        self.index = _index_of(ledger)
        self._verified: dict[str, bool] = {}

    # --- small reads ---

    def verified(self, account: str) -> bool:
        """Whether a registrar recorded the account's real-name verification (R3)."""
        if account not in self._verified:
            commitment = self.ledger.call(self.ledger.roles.functions.identityCommitment(account))
            self._verified[account] = bytes(commitment) != b"\0" * 32
        return self._verified[account]

    def _protection(self) -> Any:
        from ledger.domain.protection import Protection

        return Protection(self.ledger)

    def neighbours(self, info: dict[str, Any], limit: int = 5) -> list[dict[str, Any]]:
        """The registered works nearest to this one by ISCC content code (not itself)."""
        if not info.get("iscc"):
            return []
        out = []
        for wid, d in similar(self.index, info["iscc"], self.threshold, exclude=info["workId"])[:limit]:
            other = self.index.work_info(wid) or {"workId": wid}
            out.append({"workId": wid, "distance": d, "title": other.get("title"),
                        "status": STATUS_NAMES.get(other.get("status") or 0, "?"),
                        "holders": other.get("holders", []),
                        "sharesHolder": bool({h["account"] for h in other.get("holders", [])}
                                             & {h["account"] for h in info.get("holders", [])})})
        return out

    def evidence(self, info: dict[str, Any]) -> dict[str, Any]:
        """What a registrar weighs before confirming: verifications, earliest attestation and
        timestamp of the same content, AI declaration and generation records, disputes, and
        the nearest registered works."""
        wid = info["workId"]
        prot = self._protection()
        att = gens = None
        notes: list[str] = []
        try:
            rec = prot.attestation(wid)
            att = None if rec is None else {
                "attester": rec.attester, "attestedAt": rec.attested_at, "block": rec.block, "kind": rec.kind,
                "tsaTokenCid": rec.tsa_token_cid, "tx": rec.tx_hash,
                "beforeRegistration": rec.attested_at <= int(info.get("registeredAt") or 0)}
        except Exception as exc:  # noqa: BLE001 (a deployment without attestations still has a queue)
            notes.append(f"attestations unreadable: {exc}")
        try:
            gens = [{"recordId": g.record_id, "generator": g.generator, "model": g.model_name,
                     "modelVersion": g.model_version, "time": g.time, "tx": g.tx_hash}
                    for g in prot.generations(wid)]
        except Exception as exc:  # noqa: BLE001
            notes.append(f"generation records unreadable: {exc}")
        ai = None
        if info.get("creationMode", 1) != 1:
            try:
                # another work's document (it names other content) declares nothing of this one
                ai = self.ledger.work_document(wid, info["metadataCid"]).get("aiDeclaration")
            except Exception as exc:  # noqa: BLE001
                notes.append(f"metadata unreadable: {exc}")
        near = self.neighbours(info)
        disputes = self.index.disputes(open_only=True, work=wid)
        for n in near:
            disputes += self.index.disputes(open_only=True, work=n["workId"])
        registrant = info["registrant"]
        return {
            "registrant": {"account": registrant, "verified": self.verified(registrant)},
            "holders": [{**h, "verified": self.verified(h["account"])} for h in info.get("holders", [])],
            "earliestAttestation": att,
            "aiDeclaration": ai,
            "generationRecords": gens or [],
            "openDisputes": disputes,
            "similar": near,
            "isccCode": info.get("iscc"),
            "nearDuplicateFlag": {"ofWorkId": info["flaggedOf"], "distance": info["flagDistance"],
                                  "flaggedBy": info["flaggedBy"]} if info.get("flaggedOf") else None,
            "notes": notes,
        }

    # --- the queue ---

    def pending(self, *, registrant: str | None = None, work_type: int | None = None,
                creation_mode: int | None = None, older_than: int | None = None, limit: int = 50,
                with_evidence: bool = True) -> list[dict[str, Any]]:
        """PENDING works, oldest first, each with its evidence."""
        until = None
        if older_than:  # ages are measured on the chain's clock (the latest block's time)
            head = self.ledger.chain.block_number()
            now = self.ledger.rpc.block_timestamps([head]).get(head) or int(time.time())
            until = int(now) - older_than
        rows = self.index.search(registrant=registrant, work_type=work_type, creation_mode=creation_mode,
                                 status=1, until=until, oldest_first=True, limit=limit)
        return [self.describe(r, with_evidence) for r in rows]

    def describe(self, info: dict[str, Any], with_evidence: bool = True) -> dict[str, Any]:
        from ledger.content.metadata import CreationMode, WorkType

        out = {k: v for k, v in info.items() if k not in ("metaState",)}
        out["status"] = STATUS_NAMES.get(info["status"], str(info["status"]))
        out["workType"] = _label(WorkType, info["workType"])
        out["creationMode"] = _label(CreationMode, info["creationMode"])
        out["rejection"] = describe_rejection(info.get("rejectCode"))
        if info.get("metaState") == 2:
            out["metadataNote"] = "the metadata document is missing from the store, or describes other content"
        if with_evidence:
            out["evidence"] = self.evidence(info)
        return out

    def info(self, work_id: str) -> dict[str, Any]:
        from ledger.core import errors as E

        info = self.index.work_info(work_id)
        if info is None:
            raise E.WorkNotFound("WorkRegistry__NotFound", {"workId": work_id}, f"no work {work_id} is registered",
                                 hint="check the id (`rights-ledger work search`)")
        return info

    def review(self, work_id: str) -> dict[str, Any]:
        """One work's whole file: indexed facts, metadata document, evidence, the chain's
        history, the rejection reason (code, meaning, text) and any near-duplicate override."""
        info = self.info(work_id)
        out = self.describe(info)
        rec = self.ledger.work(work_id)
        out["history"] = [{"event": h.event, "block": h.block, "time": h.timestamp, "tx": h.tx_hash, "actor": h.actor,
                           **{k: v for k, v in h.details.items() if k != "holders"}} for h in rec.history]
        out["metadata"], out["metadataError"] = self.ledger.work_metadata(rec)
        if info.get("rejectCid"):
            try:
                doc = self.ledger.metadata(info["rejectCid"])
                out["rejection"] = {**(out["rejection"] or {}), "reason": doc.get("reason")}
            except Exception as exc:  # noqa: BLE001
                out["rejection"] = {**(out["rejection"] or {}), "reason": None, "reasonError": str(exc)}
        out["override"] = ({"ofWorkId": info["flaggedOf"], "distance": info["flagDistance"],
                            "reason": info["overrideReason"], "registrar": info["overriddenBy"]}
                           if info.get("overrideReason") else None)
        out["disputes"] = self.index.disputes(open_only=False, work=work_id)
        return out

    def search(self, **filters: Any) -> list[dict[str, Any]]:
        return [self.describe(r, with_evidence=False) for r in self.index.search(**filters)]

    def disputes(self, *, open_only: bool = True) -> list[dict[str, Any]]:
        out = []
        for d in self.index.disputes(open_only=open_only):
            d = dict(d)
            d["outcome"] = OUTCOMES.get(d["outcome"]) if d["outcome"] else None
            out.append(d)
        return out


def _label(enum: Any, value: int) -> str:
    try:
        return str(enum(int(value)).label)
    except Exception:  # noqa: BLE001
        return str(value)


# --- the near-duplicate rule (SPECIFICATION.md R27): writes -----------------------------------


@dataclass(frozen=True)
class NearCheck:
    flag: tuple[str, int] | None  # (confirmed work it is near, distance), or None
    flag_tx: str | None  # the flag transaction sent by this check (None: none sent)


def standing_flag(ledger: Any, work_id: str) -> tuple[str, int] | None:
    """The near-duplicate flag the registry holds for a work, if any."""
    of, _by, distance = ledger.call(ledger.registry.functions.nearDuplicateOf(bytes.fromhex(work_id[2:])))
    of_hex = "0x" + bytes(of).hex()
    return None if int(of_hex, 16) == 0 else (of_hex, int(distance))


def near_duplicate_check(ledger: Any, work_id: str, threshold: int = DEFAULT_THRESHOLD) -> NearCheck:
    """Before a confirmation: the standing flag, or else the nearest CONFIRMED work held by
    others within ``threshold`` (read index), which is then flagged on-chain by the signer."""
    flag = standing_flag(ledger, work_id)
    if flag is not None:
        return NearCheck(flag, None)
    index = _index_of(ledger)
    info = index.work_info(work_id)
    if info is None or info["status"] != 1 or not info.get("iscc"):
        return NearCheck(None, None)
    mine = {h["account"] for h in info["holders"]}
    for other, d in similar(index, info["iscc"], threshold, exclude=work_id):
        o = index.work_info(other)
        if o is None or o["status"] != 2 or mine & {h["account"] for h in o["holders"]}:
            continue
        r = flag_near_duplicate(ledger, work_id, other, d)
        return NearCheck((other, d), r.tx_hash)
    return NearCheck(None, None)


def flag_near_duplicate(ledger: Any, work_id: str, of_work_id: str, distance: int) -> Any:
    """Flag a PENDING work as a near-duplicate of a CONFIRMED one (REGISTRAR, CMO or a holder of it)."""
    return ledger.write(ledger.registry.functions.flagNearDuplicate(
        bytes.fromhex(work_id[2:]), bytes.fromhex(of_work_id[2:]), int(distance)))


def confirm_overriding(ledger: Any, work_id: str, reason: str) -> Any:
    """As a REGISTRAR: confirm a flagged work anyway; the reason goes on-chain."""
    text = reason.strip()
    if not text:
        raise InputError("an override needs a reason")
    if len(text.encode("utf-8")) > 280:
        raise InputError(f"the override reason is {len(text.encode('utf-8'))} bytes; at most 280")
    return ledger.write(ledger.registry.functions.confirmOverriding(bytes.fromhex(work_id[2:]), text))


def screen_near_duplicates(ledger: Any, work_ids: list[str], threshold: int = DEFAULT_THRESHOLD,
                           ) -> tuple[list[str], list[tuple[str, str, int]]]:
    """Before a batch confirmation: the works that may be confirmed plainly, and the ones that are
    (or are now, by the signer) flagged as near-duplicates ``(work, of, distance)``, which need
    ``work confirm ID --override REASON`` one by one. Read from the index: a work flagged by a
    transaction the index has not seen yet still makes the batch refuse it on-chain (R27)."""
    index = _index_of(ledger)
    keep: list[str] = []
    flagged: list[tuple[str, str, int]] = []
    for wid in work_ids:
        info = index.work_info(wid)
        if info is None or info["status"] != 1:
            keep.append(wid)  # the batch reports it (unknown or not pending)
            continue
        if info.get("flaggedOf") and not info.get("overrideReason"):
            flagged.append((wid, info["flaggedOf"], int(info["flagDistance"])))
            continue
        check = near_duplicate_check(ledger, wid, threshold) if info.get("iscc") else NearCheck(None, None)
        if check.flag is None:
            keep.append(wid)
        else:
            flagged.append((wid, *check.flag))
    return keep, flagged
