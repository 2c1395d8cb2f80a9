"""Exchange formats of the field: CWR (works), DDEX DSR (usage), C2PA (provenance), ODRL (terms)."""

from __future__ import annotations

from typing import Any


def registered_work_ids(ledger: Any) -> list[str]:
    """The id of every work registered on the ledger's current WorkRegistry, in registration order,
    each once (what the CWR export and the DSR work finder look through)."""
    from ledger.core.events import fetch_logs

    topics = ledger.events.topics_of("WorkRegistered")
    ids: list[str] = []
    for _end, logs in fetch_logs(
        ledger.settings.network.rpc_url, [ledger.registry.address], ledger.deployment.first_block,
        ledger.chain.block_number(), chunk=ledger.settings.network.log_chunk, topics=[topics],
    ):  # fmt: skip
        ids.extend("0x" + log["topics"][1][2:] for log in logs)
    return list(dict.fromkeys(ids))
