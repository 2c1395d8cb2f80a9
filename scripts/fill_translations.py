"""Fill msgstr of a .po from a tab-separated file ``msgid-index<TAB>translation`` or ``msgid<TAB>translation``
(a translator's helper; ``\\n`` in the translation is a newline). Used once per batch of new messages."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def main(po_path: str, tsv: str, ids_json: str | None = None) -> int:
    po = Path(po_path)
    with po.open("rb") as fh:
        catalog = read_po(fh)
    ids = json.loads(Path(ids_json).read_text(encoding="utf-8")) if ids_json else None
    done = 0
    for line in Path(tsv).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        key, _, text = line.partition("\t")
        text = text.replace("\\n", "\n")
        msgid = ids[int(key)] if ids is not None and key.isdigit() else key.replace("\\n", "\n")
        lookup = msgid[0] if isinstance(msgid, list) else msgid
        msg = catalog.get(lookup)
        if msg is None:
            print(f"not in the catalogue: {lookup!r}", file=sys.stderr)
            continue
        msg.string = (text,) if isinstance(msg.id, tuple | list) else text
        if "fuzzy" in msg.flags:
            msg.flags.discard("fuzzy")
        done += 1
    with po.open("wb") as fh:
        write_po(fh, catalog, width=120, sort_output=True, include_lineno=False)
    print(f"{done} translations written to {po}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
