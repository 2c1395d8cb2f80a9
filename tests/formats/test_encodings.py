"""CWR and DSR files are decoded by one strict helper (ledger.core.inputs.decode_as): a byte
outside the format's encoding is refused with the file and line, and each format's own message."""

from __future__ import annotations

import pytest

from ledger.core.errors import InputError
from ledger.core.inputs import decode_as
from ledger.domain.formats import cwr, dsr


def test_cwr_refuses_a_byte_that_is_not_ascii_with_its_line(tmp_path):
    f = tmp_path / "bad.V21"
    f.write_bytes(b"HDRPB000000052PUBLISHER\nNWR00000000000000001Caf\xe9\n")
    with pytest.raises(InputError) as e:
        cwr.read_records(f)
    assert str(e.value) == f"{f}:2:-: byte 0xe9 is not ASCII (CWR 2.1 files are ASCII)"


def test_dsr_refuses_latin1_with_its_line_and_hint(tmp_path):
    f = tmp_path / "bad.tsv"
    f.write_bytes(b"#HEAD\tMessageVersion\nHEAD\tdsrf/1.4\nSU02.02\tCaf" + b"\xe9\n")
    with pytest.raises(InputError) as e:
        dsr.read_rows(f)
    assert str(e.value).startswith(f"{f}:3:-: not UTF-8 text (DSR flat files are UTF-8)")
    assert e.value.hint == "fix the file and rerun; nothing was sent"


def test_decode_as_accepts_its_encoding_and_skips_a_bom_where_the_encoding_does():
    assert decode_as(b"abc\n", "x", "ascii", "no") == "abc\n"
    assert decode_as("\ufeff作品".encode(), "x", "utf-8-sig", "no") == "作品"
    with pytest.raises(InputError, match=r"^x:1:-: byte 0xff"):
        decode_as(b"\xff", "x", "ascii", "byte 0x{byte:02x}")
