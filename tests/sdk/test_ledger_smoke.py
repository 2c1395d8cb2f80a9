import os

from ledger.content.metadata import build_work_metadata
from ledger.core.types import Holder, WorkStatus


def test_register_and_confirm_round_trip(ledger_env):
    alice = ledger_env.ledger("alice")
    doc = build_work_metadata(title="Smoke", creators=[{"name": "A", "role": "author"}], work_type="text",
                              content_sha256=os.urandom(32).hex())
    r = alice.register_work(doc, [Holder(ledger_env.addresses["alice"], 10000)])
    assert alice.status_of(r.work_id) == WorkStatus.PENDING
    ledger_env.ledger("registrar").confirm_work(r.work_id)
    rec = alice.work(r.work_id)
    assert rec.status == WorkStatus.CONFIRMED
    assert rec.metadata_cid == r.metadata_cid
    assert alice.metadata(rec.metadata_cid)["title"] == "Smoke"
