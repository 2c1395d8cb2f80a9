"""Coverage questions: the contract's view (``status``), the event index (``check_many``), licences."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ledger.core import errors as E
from ledger.core.types import USES
from ledger.domain.licensing.base import LicensingBase
from ledger.domain.licensing.index import CoverageIndex
from ledger.domain.licensing.model import (
    KIND_NAMES,
    REASON_NAMES,
    Coverage,
    LicenceRecord,
    parse_territory,
    parse_time,
    parse_use,
)


class Reads(LicensingBase):
    """Reads: coverage and licences."""

    # --- reads -----------------------------------------------------------------------

    def status(self, work: str, licensee: str, use: str, territory: str | None = None, at: Any = None) -> Coverage:
        """Ask the contract whether ``licensee`` may use ``work`` for ``use`` (one call)."""
        from ledger.domain.works import parse_address, parse_work_id

        wid = parse_work_id(work)
        who = parse_address(licensee, "licensee")
        bit = parse_use(use)
        terr = parse_territory(territory)
        when = parse_time(at, self.now())
        lens = self.contracts_for(wid)[1]  # the version holding the work (ADR 002)
        covered, kind, reason, lid = self.ledger.call(
            lens.functions.coverage(bytes.fromhex(wid[2:]), who, bit, terr or b"\0\0", when))
        return _coverage(wid, who, use, terr, when, (covered, kind, reason, lid))

    def index(self) -> CoverageIndex:
        """Replay the licence events and the work facts coverage needs into memory; after an
        upgrade, one index per version, each question asked to the version holding its work."""
        if len(self.ledger.deployment.versions("LicenceRegistry")) > 1:
            return self._versioned_index()  # type: ignore[return-value]
        led = self.ledger
        head = led.chain.block_number()
        idx = CoverageIndex()
        topics = [[t for n in self.WORK_EVENTS for t in led.events.topics_of(n)]]
        sources = ((self.address, None), (led.deployment.address("WorkRegistry"), topics))
        for address, tops in sources:
            for ev in led.read_events([address], tops, to_block=head):
                idx.apply(ev.name, ev.args, ev.block, ev.tx_hash)
        idx.head_time = self.now()
        return idx

    def _versioned_index(self) -> VersionedIndex:
        """ADR 002: a LicenceRegistry (and its licence ids) per WorkRegistry version."""

        led = self.ledger
        head = led.chain.block_number()
        topics = [[t for n in self.WORK_EVENTS for t in led.events.topics_of(n)]]
        parts = []
        addresses = led.deployment.versions("LicenceRegistry")
        for address in addresses:
            registry = led.call(led.contract("LicenceRegistry", address).functions.registry())
            idx = CoverageIndex()
            for addr, tops in ((address, None), (registry, topics)):
                for ev in led.read_events([addr], tops, to_block=head):
                    idx.apply(ev.name, ev.args, ev.block, ev.tx_hash)
            parts.append(idx)
        now = self.now()
        for idx in parts:
            idx.head_time = now
        return VersionedIndex(parts, addresses)

    def check_many(self, pairs: Iterable[Any], licensee: str | None = None,
                   index: CoverageIndex | None = None) -> Iterator[Coverage]:
        """Answer many questions from one in-memory index. Each item is a dict with keys
        work, use[, territory, at, licensee] or a tuple (work, use[, territory[, at]])."""
        from ledger.domain.works import parse_address, parse_work_id

        idx = index or self.index()
        default = parse_address(licensee, "licensee") if licensee else None
        now = idx.head_time
        use_bits = dict(USES)
        terr_cache: dict[str | None, bytes] = {}
        addr_cache: dict[str, str] = {}
        wid_cache: dict[Any, str] = {}
        for n, item in enumerate(pairs, 1):
            where = f"item {n}"
            if isinstance(item, dict):
                where = item.get("_where", where)
                work, use = item.get("work"), item.get("use")
                territory, at, who = item.get("territory"), item.get("at"), item.get("licensee")
            else:
                work, use, territory, at = (*tuple(item), None, None)[:4]
                who = None
            if not work or not use:
                raise E.InputError("each line needs a work and a use", where=where)
            wid = wid_cache.get(work)
            if wid is None:
                try:
                    wid = wid_cache[work] = parse_work_id(str(work))
                except E.InputError as exc:
                    raise E.InputError(exc.message, where=where, hint=exc.hint) from None
            bit = use_bits.get(str(use))
            if bit is None:
                raise E.InputError(f"unknown use {use!r}", where=where, hint="one of: " + ", ".join(USES))
            key = territory or None
            if who:
                addr = addr_cache.get(str(who)) or addr_cache.setdefault(str(who), parse_address(str(who)))
            elif default:
                addr = default
            else:
                raise E.InputError("no licensee given", where=where, hint="pass --licensee ADDRESS")
            try:
                when = now if at in (None, "") else (int(at) if isinstance(at, int) else parse_time(at))
                if key not in terr_cache:
                    terr_cache[key] = parse_territory(key)
            except E.InputError as exc:
                raise E.InputError(exc.message, where=where, hint=exc.hint) from None
            terr = terr_cache[key]
            yield _coverage(wid, addr, str(use), terr, when, idx.evaluate(wid, addr, bit, terr, when))

    def licence(self, licence_id: int, index: CoverageIndex | None = None, *,
                work: str | None = None) -> LicenceRecord:
        """Licence ``licence_id`` of the current LicenceRegistry, or with ``work`` of the version
        that holds that work (ADR 002: licence numbers are per version, SPECIFICATION R81c)."""
        idx = index or self.index()
        if work is not None and isinstance(idx, VersionedIndex):
            idx = idx.of_registry(self.contracts_for(work)[0].address)  # type: ignore[assignment]
        lic = idx.licences.get(int(licence_id))
        if lic is None:
            raise E.LicenceInvalid("LicenceRegistry__LicenceNotFound", {"licenceId": licence_id},
                                   f"no licence #{licence_id} is recorded", hint="list them with `licence list`")
        return lic.record()

    def licences_for(self, work: str | None = None, licensee: str | None = None) -> list[LicenceRecord]:
        from ledger.domain.works import parse_address, parse_work_id

        if work is None and licensee is None:
            raise E.InputError("name a work or a licensee", hint="pass --work ID or --licensee ADDRESS")
        wid = parse_work_id(work) if work else None
        who = parse_address(licensee, "licensee") if licensee else None
        read_index = self.read_index()
        if read_index is None:
            return self.index().licences_for(wid, who)
        return read_index.licences_for(wid, who)


def _coverage(wid: str, who: str, use: str, terr: bytes, when: int, r: Sequence[Any]) -> Coverage:
    covered, kind, reason, lid = r
    return Coverage(wid, who, use, terr.decode() if terr else None, when, bool(covered),
                    KIND_NAMES.get(int(kind)) if kind else None, int(lid) or None,
                    None if covered else REASON_NAMES.get(int(reason), str(reason)))


class VersionedIndex:
    """One :class:`CoverageIndex` per contract version, oldest first (ADR 002): a question is
    answered by the newest version that knows the work (a work lives in one WorkRegistry, and
    is licensed through the LicenceRegistry bound to it); listings cover every version. Other
    reads (``licences`` by id, tariffs) are the current version's."""

    def __init__(self, parts: Sequence[CoverageIndex], addresses: Sequence[str] = ()) -> None:
        self.parts = list(parts)
        self.addresses = [a.lower() for a in addresses]  # each part's LicenceRegistry, when known

    def of_registry(self, address: str) -> CoverageIndex:
        """The part of one LicenceRegistry version (the current one when it is not known)."""
        a = address.lower()
        return self.parts[self.addresses.index(a)] if a in self.addresses else self.parts[-1]

    def _part(self, work: str) -> CoverageIndex:
        for idx in reversed(self.parts):
            if work in idx.status:
                return idx
        return self.parts[-1]

    def evaluate(self, work: str, licensee: str, use: int, territory: bytes, at: int) -> tuple[bool, int, int, int]:
        return self._part(work).evaluate(work, licensee, use, territory, at)

    def licences_for(self, work: str | None = None, licensee: str | None = None) -> list[LicenceRecord]:
        if work is not None:
            return self._part(work).licences_for(work, licensee)
        return [r for idx in self.parts for r in idx.licences_for(work, licensee)]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.parts[-1], name)
