"""Licences: terms, grants (idempotent), open licences, suspension, resumption, revocation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.content.cid import cid_from_bytes, cid_to_bytes
from ledger.core import errors as E
from ledger.core.types import mask_to_uses, uses_to_mask
from ledger.domain.licensing.model import (
    FOREVER,
    MAX_BATCH,
    SCOPE_NAMES,
    SCOPES,
    LicenceRecord,
    Terms,
    _hex,
    _wid_bytes,
    parse_territories,
    parse_time,
    territories_of,
)
from ledger.domain.licensing.reads import Reads


class Grants(Reads):
    """Licences granted and managed by their licensor."""

    # --- licences --------------------------------------------------------------------

    def terms(
        self,
        uses: Sequence[str] | int,
        *,
        scope: str | int = "work",
        start: Any = None,
        end: Any = None,
        territories: Any = None,
        exclusive: bool = False,
        flat_fee: int = 0,
        rate_per_use: int = 0,
        terms_cid: str | bytes | None = None,
        terms_text: str | None = None,
    ) -> Terms:
        """Validated terms; with no ``terms_cid`` a terms document is stored and its CID used."""
        mask = uses if isinstance(uses, int) else uses_to_mask(tuple(uses))
        if not mask:
            raise E.InputError("name at least one use", hint="e.g. --use ai-training")
        sc = scope if isinstance(scope, int) else SCOPES.get(scope)
        if sc not in SCOPE_NAMES:
            raise E.InputError(f"unknown scope {scope!r}", hint="one of: work, list, repertoire")
        s = parse_time(start, self.now())
        e = parse_time(end, FOREVER)
        if e <= s:
            raise E.InputError("the licence's end is not after its start")
        for name, v in (("flat fee", flat_fee), ("rate per use", rate_per_use)):
            if not 0 <= int(v) < 2**96:
                raise E.InputError(f"the {name} must be a whole number from 0 to 2**96-1")
        terr = parse_territories(territories)
        doc = {"type": "licence-terms", "scope": SCOPE_NAMES[sc], "uses": list(mask_to_uses(mask)), "start": s,
               "end": None if e >= FOREVER else e, "territories": list(territories_of(terr)) or ["worldwide"],
               "exclusive": exclusive, "flatFee": str(flat_fee), "ratePerUse": str(rate_per_use),
               "text": terms_text or ""}
        if start is None:  # "from now": the chain records the start; the document stays the same on a rerun
            doc["start"] = "from grant"
        if terms_cid:
            return Terms(sc, mask, s, e, bool(exclusive), int(flat_fee), int(rate_per_use), terr,
                         self._terms_cid(terms_cid, doc))
        from ledger.content.canonical import canonical_json
        from ledger.content.cid import cid_for_bytes

        body = canonical_json(doc)  # its CID is computed here; the document is stored only when used
        return Terms(sc, mask, s, e, bool(exclusive), int(flat_fee), int(rate_per_use), terr,
                     cid_to_bytes(cid_for_bytes(body)), document=body)

    def _store_terms(self, terms: Terms) -> None:
        """Store a terms document that :meth:`terms` only hashed; the store must give the same CID."""
        if terms.document is None:
            return
        stored = self.ledger.store.add(terms.document)
        if cid_to_bytes(stored) != terms.terms_cid:
            raise E.MetadataMismatch(f"the store returned CID {stored} for a terms document whose CID is "
                                     f"{cid_from_bytes(terms.terms_cid)}")

    def grant(self, licensee: str, works: Sequence[str], terms: Terms, *, start_given: bool = True,
              again: bool = False) -> tuple[Any, int]:
        """Grant a licence; returns (write result, licence id). ``works`` empty for a repertoire.

        A live licence from the signer to the same licensee with the same works and terms
        (the start too, unless it was defaulted to "now": ``start_given=False``) is returned
        as :class:`~ledger.types.AlreadyDone` instead of granted twice, so a grant cut off
        after sending and run again is recorded once. ``again=True`` grants regardless.
        """
        from ledger.core.types import AlreadyDone
        from ledger.domain.works import parse_address

        ids = [_wid_bytes(w) for w in works]
        if len(ids) > MAX_BATCH:
            raise E.InputError(f"{len(ids)} works in one licence; at most {MAX_BATCH}",
                               hint="split the list into several licences")
        who = parse_address(licensee, "licensee")
        registry = self.contracts_for(works[0])[0] if len(works) else self.contract  # ADR 002: the work's version
        fn = registry.functions.grant(who, ids, terms.as_tuple())
        self.ledger.simulate(fn)  # a refused grant raises here, unstored
        if not again:
            same = self.identical_licence(who, works, terms, compare_start=start_given)
            if same is not None:
                first = same.history[0] if same.history else {}
                return AlreadyDone(str(first.get("tx", "")), int(first.get("block", 0)), 0), same.licence_id
        if terms.document is not None:
            self._store_terms(terms)
        tx = self.ledger.transact(fn)
        return tx.written, self._licence_id(tx.events)

    def identical_licence(self, licensee: str, works: Sequence[str], terms: Terms, *,
                          compare_start: bool = True) -> LicenceRecord | None:
        """A live (not revoked) licence from the signer to ``licensee`` over the same works with
        the same terms, or None."""
        from ledger.domain.works import parse_work_id

        signer = self.ledger.require_signer().address
        want = {parse_work_id(w).lower() for w in works}
        codes = tuple(terms.territories[i:i + 2].decode() for i in range(0, len(terms.territories), 2))
        cid = cid_from_bytes(terms.terms_cid) if terms.terms_cid else None
        read_index = self.read_index()
        records = read_index.licences_for(None, licensee) if read_index else self.index().licences_for(None, licensee)
        for rec in records:
            if (
                rec.licensor == signer and rec.state != "revoked" and rec.scope == SCOPE_NAMES.get(terms.scope)
                and {w.lower() for w in rec.work_ids} == want and uses_to_mask(rec.uses) == terms.uses
                and (rec.end if rec.end is not None else FOREVER) == terms.end and rec.exclusive == terms.exclusive
                and rec.flat_fee == terms.flat_fee and rec.rate_per_use == terms.rate_per_use
                and tuple(rec.territories) == codes and rec.terms_cid == cid
                and (not compare_start or rec.start == terms.start)
            ):
                return rec
        return None

    def publish_open(self, work: str, uses: Sequence[str], code: str, terms_cid: str | None = None) -> tuple[Any, int]:
        raw = code.encode("utf-8")
        if not raw or len(raw) > 32:
            raise E.InputError(f"open licence code {code!r} must be 1-32 bytes, e.g. CC-BY-4.0")
        cid = cid_to_bytes(terms_cid) if terms_cid else b""
        fn = self.contracts_for(work)[0].functions.publishOpenLicence(_wid_bytes(work), uses_to_mask(tuple(uses)),
                                                         raw.ljust(32, b"\0"), cid)
        tx = self.ledger.transact(fn)
        return tx.written, self._licence_id(tx.events)

    def registry_of_licence(self, work: str | None) -> Any:
        """The LicenceRegistry a licence id is read in (ADR 002, SPECIFICATION R81c): licence
        ids are numbered per LicenceRegistry version, so an id alone names a licence of the
        current version; ``work`` names the version bound to the WorkRegistry holding that work
        (a licence granted on a work of an older version lives there)."""
        return self.contracts_for(work)[0] if work else self.contract

    def suspend(self, licence_id: int, reason: str, *, work: str | None = None) -> Any:
        return self.ledger.write(self.registry_of_licence(work).functions.suspend(int(licence_id), reason))

    def resume(self, licence_id: int, *, work: str | None = None) -> Any:
        return self.ledger.write(self.registry_of_licence(work).functions.resume(int(licence_id)))

    def revoke(self, licence_id: int, reason: str, *, work: str | None = None) -> Any:
        if not reason.strip():
            raise E.InputError("a revocation needs a reason", hint="pass --reason TEXT")
        return self.ledger.write(self.registry_of_licence(work).functions.revoke(int(licence_id), reason))

    def exclusive_action_hash(self, work: str, licensor: str, licensee: str, terms: Terms) -> str:
        from ledger.domain.works import parse_address

        h = self.ledger.call(self.contract.functions.exclusiveActionHash(
            _wid_bytes(work), parse_address(licensor), parse_address(licensee), terms.as_tuple()))
        return _hex(h)
