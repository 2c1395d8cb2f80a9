"""Work metadata: the schema, the builder, error messages that name the field, canonical
encoding (RFC 8785) and the on-chain enum mapping."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from ledger.content.canonical import canonical_json
from ledger.content.cid import cid_for_bytes
from ledger.content.metadata import (
    CREATOR_ROLES,
    CreationMode,
    Creator,
    WorkType,
    build_work_metadata,
    decode_work_metadata,
    encode_work_metadata,
    sha256_file,
    validate_work_metadata,
    work_metadata_schema,
)
from ledger.core.errors import InputError, MetadataInvalid

SHA = "ab" * 32
COMMIT = "0x" + "cd" * 32


def minimal() -> dict[str, Any]:
    return {
        "schemaVersion": "1",
        "title": "Blue in Green",
        "creators": [{"name": "Bill Evans", "role": "composer"}],
        "workType": "music",
        "contentSha256": SHA,
        "creationMode": "human",
    }


def full() -> dict[str, Any]:
    return {
        "schemaVersion": "1",
        "title": "Synthetic Dawn",
        "creators": [
            {"name": "Ana Lima", "role": "author", "realNameCommitment": COMMIT},
            {"name": "Studio X", "role": "producer"},
        ],
        "workType": "audiovisual",
        "identifiers": {
            "iswc": "T-345.246.800-1",
            "isrc": "BRBMG2400001",
            "isbn": "978-3-16-148410-0",
            "dci": "DCI-0001",
        },
        "creationDate": "2024-02-29",
        "contentSha256": SHA,
        "creationMode": "ai-assisted",
        "aiDeclaration": {
            "models": [{"name": "sd-xl", "version": "1.0"}, {"name": "whisper"}],
            "tools": ["ComfyUI"],
            "description": "Backgrounds generated, edited by hand.",
        },
        "language": "pt-BR",
        "description": "A short film.",
    }


def test_schema_is_valid_2020_12() -> None:
    schema = work_metadata_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("doc", [minimal(), full()], ids=["minimal", "full"])
def test_valid_documents(doc: dict[str, Any]) -> None:
    validate_work_metadata(doc)
    assert json.loads(encode_work_metadata(doc)) == doc


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("iswc", "T3452468001"),
        ("isbn", "0-306-40615-2"),
        ("isbn", "080442957X"),
        ("isbn", "9783161484100"),
        ("isrc", "USRC17607839"),
    ],
)
def test_valid_identifier_forms(field: str, value: str) -> None:
    doc = minimal()
    doc["identifiers"] = {field: value}
    validate_work_metadata(doc)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Mutation setting a dotted path (``creators.0.role``); ``...`` deletes it."""

    def apply(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for p in parents:
            target = target[int(p)] if p.isdigit() else target.setdefault(p, {})
        key: Any = int(last) if last.isdigit() else last
        if value is ...:
            del target[key]
        else:
            target[key] = value

    return apply


INVALID = [
    ("no-title", _set("title", ...), "metadata.title: required field is missing"),
    ("empty-title", _set("title", ""), "metadata.title:"),
    ("blank-title", _set("title", "   "), "metadata.title: '   ' must not be blank"),
    ("long-title", _set("title", "x" * 501), "metadata.title:"),
    ("no-creators", _set("creators", []), "metadata.creators:"),
    ("bad-role", _set("creators.0.role", "x"), "metadata.creators[0].role: 'x' is not one of ["),
    ("no-role", _set("creators.1.role", ...), "metadata.creators[1].role: required"),
    (
        "bad-commit",
        _set("creators.0.realNameCommitment", "0x12"),
        "metadata.creators[0].realNameCommitment: '0x12' must be 0x",
    ),
    ("bad-worktype", _set("workType", "poem"), "metadata.workType: 'poem' is not one of"),
    ("bad-iswc", _set("identifiers.iswc", "T-34.246.800-1"), "metadata.identifiers.iswc:"),
    ("bad-isrc", _set("identifiers.isrc", "brbmg2400001"), "metadata.identifiers.isrc:"),
    ("bad-isbn", _set("identifiers.isbn", "12345678901"), "metadata.identifiers.isbn:"),
    (
        "extra-identifier",
        _set("identifiers.doi", "10.1/x"),
        "metadata.identifiers.doi: unknown field",
    ),
    ("bad-date", _set("creationDate", "2023-02-29"), "metadata.creationDate:"),
    ("bad-sha-prefix", _set("contentSha256", "0x" + SHA[2:]), "metadata.contentSha256:"),
    ("bad-sha-case", _set("contentSha256", SHA.upper()), "metadata.contentSha256:"),
    ("bad-mode", _set("creationMode", "robot"), "metadata.creationMode:"),
    (
        "no-ai-declaration",
        _set("aiDeclaration", ...),
        "metadata.aiDeclaration: required field is missing",
    ),
    (
        "human-with-ai",
        _set("creationMode", "human"),
        "metadata.aiDeclaration: not allowed when creationMode is 'human'",
    ),
    ("no-models", _set("aiDeclaration.models", []), "metadata.aiDeclaration.models:"),
    (
        "model-no-name",
        _set("aiDeclaration.models.1.name", ...),
        "metadata.aiDeclaration.models[1].name: required",
    ),
    ("long-description", _set("description", "d" * 5001), "metadata.description:"),
    ("schema-version", _set("schemaVersion", "2"), "metadata.schemaVersion:"),
    ("unknown-field", _set("rating", 5), "metadata.rating: unknown field"),
    ("bad-language", _set("language", "portuguese!"), "metadata.language:"),
]


@pytest.mark.parametrize(
    ("mutate", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_documents_name_the_field(mutate: Callable[..., None], message: str) -> None:
    doc = full()
    mutate(doc)
    with pytest.raises(MetadataInvalid) as info:
        validate_work_metadata(doc)
    assert str(info.value).startswith(message), str(info.value)
    with pytest.raises(MetadataInvalid):
        encode_work_metadata(doc)


def test_not_an_object() -> None:
    with pytest.raises(MetadataInvalid, match=r"^metadata: \[\] is not of type 'object'"):
        validate_work_metadata([])


def test_several_problems_are_all_reported() -> None:
    doc = minimal()
    doc["workType"] = "poem"
    del doc["title"]
    with pytest.raises(MetadataInvalid) as info:
        validate_work_metadata(doc)
    assert info.value.where == "metadata.title"
    assert info.value.hint and "metadata.workType" in info.value.hint


def test_key_order_does_not_change_bytes_or_cid() -> None:
    def reverse(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: reverse(value[k]) for k in reversed(list(value))}
        if isinstance(value, list):
            return [reverse(v) for v in value]
        return value

    doc = full()
    shuffled = reverse(copy.deepcopy(doc))
    assert list(shuffled) != list(doc)
    a, b = encode_work_metadata(doc), encode_work_metadata(shuffled)
    assert a == b
    assert cid_for_bytes(a) == cid_for_bytes(b)
    assert a == json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_build_work_metadata() -> None:
    doc = build_work_metadata(
        title="Synthetic Dawn",
        creators=[
            Creator("Ana Lima", "author", COMMIT.upper().replace("0X", "0x")),
            {"name": "Studio X", "role": "producer"},
        ],
        work_type=WorkType.AUDIOVISUAL,
        content_sha256=SHA.upper(),
        creation_mode="ai-assisted",
        ai_declaration=full()["aiDeclaration"],
        identifiers=full()["identifiers"],
        creation_date=dt.date(2024, 2, 29),
        language="pt-BR",
        description="A short film.",
    )
    assert doc == full()
    assert (
        build_work_metadata(
            title="Blue in Green",
            creators=[Creator("Bill Evans", "composer")],
            work_type="music",
            content_sha256=SHA,
        )
        == minimal()
    )
    with pytest.raises(MetadataInvalid, match=r"metadata\.aiDeclaration"):
        build_work_metadata(
            title="t",
            creators=[Creator("a", "author")],
            work_type="text",
            content_sha256=SHA,
            creation_mode=CreationMode.AI_GENERATED,
        )
    with pytest.raises(InputError, match="unknown WorkType 'poem'"):
        build_work_metadata(title="t", creators=[], work_type="poem", content_sha256=SHA)


def test_on_chain_enums() -> None:
    assert {w.label: int(w) for w in WorkType} == {
        "music": 1,
        "text": 2,
        "audiovisual": 3,
        "image": 4,
        "software": 5,
        "other": 6,
    }
    assert {m.label: int(m) for m in CreationMode} == {
        "human": 1,
        "ai-assisted": 2,
        "ai-generated": 3,
    }
    assert WorkType.parse("image") is WorkType.IMAGE
    assert WorkType.parse(5) is WorkType.SOFTWARE
    assert CreationMode.parse("ai-generated") is CreationMode.AI_GENERATED
    schema = work_metadata_schema()
    assert schema["properties"]["workType"]["enum"] == [w.label for w in WorkType]
    assert schema["properties"]["creationMode"]["enum"] == [m.label for m in CreationMode]
    assert schema["$defs"]["creator"]["properties"]["role"]["enum"] == list(CREATOR_ROLES)
    for bad in (0, 7, True, "Music", None):
        with pytest.raises(InputError):
            WorkType.parse(bad)


def test_decode_work_metadata() -> None:
    data = encode_work_metadata(full())
    assert decode_work_metadata(data) == full()
    with pytest.raises(MetadataInvalid, match="duplicate key"):
        decode_work_metadata(b'{"title":"a","title":"b"}')
    with pytest.raises(MetadataInvalid, match="not a JSON document"):
        decode_work_metadata(b"\xff")
    with pytest.raises(MetadataInvalid, match=r"metadata\.title"):
        decode_work_metadata(json.dumps({**minimal(), "title": ""}).encode())


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"a": float("nan")}, "$.a"),
        ({"a": [1, float("inf")]}, r"$.a[1]"),
        ({"a": {1: "x"}}, "$.a"),
        ({"a": 2**53}, "$.a"),
        ({"a": {1, 2}}, "$.a"),
        ({"a": "\ud800"}, "$"),
    ],
)
def test_canonical_json_rejects(value: Any, where: str) -> None:
    with pytest.raises(InputError) as info:
        canonical_json(value)
    assert info.value.where == where


def test_canonical_json_is_rfc8785() -> None:
    assert canonical_json({"b": [1, 2.5, None, True], "a": "é", "c": 1e21}) == (
        '{"a":"é","b":[1,2.5,null,true],"c":1e+21}'.encode()
    )
    assert canonical_json({"\u20ac": 1, "\r": 2}) == '{"\\r":2,"€":1}'.encode()


def test_sha256_file(tmp_path: Path) -> None:
    data = bytes(range(256)) * 9000  # > 2 MiB, several reads
    path = tmp_path / "work.bin"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    with pytest.raises(InputError, match="cannot read"):
        sha256_file(tmp_path / "missing")
