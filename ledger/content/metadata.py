"""Work metadata: the off-chain JSON document that describes a registered work.

The document follows ``ledger/content/schema/work-metadata.schema.json`` (JSON Schema 2020-12,
``schemaVersion`` "1"). It is stored as RFC 8785 canonical JSON, so equal documents give
equal bytes and equal CIDs whatever their key order. The chain keeps two of its fields as
``uint8``: :class:`WorkType` and :class:`CreationMode` give that mapping.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from os import PathLike
from typing import TYPE_CHECKING, Any, Self

from ledger.core.errors import InputError, MetadataInvalid

if TYPE_CHECKING:  # jsonschema is imported by the first validation, not by a read command (issue 15)
    from jsonschema import Draft202012Validator, ValidationError

SCHEMA_VERSION = "1"
SCHEMA_RESOURCE = "content/schema/work-metadata.schema.json"
CREATOR_ROLES = (
    "author", "composer", "lyricist", "performer", "producer", "translator",
    "editor", "photographer", "director", "illustrator", "other",
)  # fmt: skip


class _LabelledEnum(IntEnum):
    """An on-chain ``uint8`` whose JSON form is a lower-case, hyphenated label."""

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def parse(cls, value: object) -> Self:
        """Accept a member, its ``uint8`` value or its label; raise :class:`InputError`."""
        if isinstance(value, cls):
            return value
        for member in cls:
            if value == member.label or (type(value) is int and value == member.value):
                return member
        labels = ", ".join(m.label for m in cls)
        raise InputError(f"unknown {cls.__name__} {value!r} (expected one of: {labels})")


class WorkType(_LabelledEnum):
    """``workType``, as stored on chain."""

    MUSIC = 1
    TEXT = 2
    AUDIOVISUAL = 3
    IMAGE = 4
    SOFTWARE = 5
    OTHER = 6


class CreationMode(_LabelledEnum):
    """``creationMode``, as stored on chain."""

    HUMAN = 1
    AI_ASSISTED = 2
    AI_GENERATED = 3


@dataclass(frozen=True)
class Creator:
    """One entry of ``creators``."""

    name: str
    role: str
    real_name_commitment: str | None = None

    def to_json(self) -> dict[str, str]:
        doc = {"name": self.name, "role": self.role}
        if self.real_name_commitment is not None:
            doc["realNameCommitment"] = self.real_name_commitment.lower()
        return doc


# --- schema -------------------------------------------------------------------------


@cache
def work_metadata_schema() -> dict[str, Any]:
    """The JSON Schema, loaded from the package data."""
    from importlib import resources  # here: importlib.resources costs 5-9 ms of every command's start-up

    text = resources.files("ledger").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator, FormatChecker

    return Draft202012Validator(work_metadata_schema(), format_checker=FormatChecker())


_PATTERN_HINTS = {
    "title": "must not be blank",
    "name": "must not be blank",
    "contentSha256": "must be 64 lower-case hex digits (a SHA-256, no 0x)",
    "realNameCommitment": "must be 0x followed by 64 lower-case hex digits",
    "iswc": "must be an ISWC like T-123.456.789-0 or T1234567890",
    "isrc": "must be an ISRC like USABC2400001 (12 characters, no hyphens)",
    "isbn": "must be an ISBN of 10 or 13 digits, optionally hyphenated",
    "language": "must be a language tag like en or pt-BR",
    "creationDate": "must be a real calendar date written YYYY-MM-DD",
}


def _path(parts: Sequence[str | int]) -> str:
    return "metadata" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def _describe(error: ValidationError) -> tuple[str, str]:
    """``(field path, message)`` for one schema error, in words a user can act on."""
    parts = list(error.absolute_path)
    if error.validator == "required":
        # jsonschema raises one error per missing property: "'x' is a required property"
        named = re.match(r"^'([^']+)' is a required property", error.message)
        missing = [p for p in error.validator_value if p not in error.instance]
        field = named.group(1) if named else (missing[0] if missing else "?")
        why = "required field is missing"
        if field == "aiDeclaration":
            why += " (required when creationMode is 'ai-assisted' or 'ai-generated')"
        return _path([*parts, field]), why
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {})
        extra = sorted(k for k in error.instance if k not in known)
        return _path([*parts, extra[0]]), f"unknown field (allowed: {', '.join(known)})"
    if error.validator == "not" and parts and parts[-1] == "aiDeclaration":
        return _path(parts), "not allowed when creationMode is 'human'"
    if error.validator in ("pattern", "format") and parts and str(parts[-1]) in _PATTERN_HINTS:
        return _path(parts), f"{error.instance!r} {_PATTERN_HINTS[str(parts[-1])]}"
    return _path(parts), error.message


def validate_work_metadata(doc: object) -> None:
    """Check ``doc`` against the schema; raise :class:`MetadataInvalid` naming the field.

    The message describes the first problem (by field path); the hint lists the others.
    """
    errors = sorted(
        (_describe(e) for e in _validator().iter_errors(doc)),
        key=lambda pm: (pm[0], pm[1]),
    )
    if not errors:
        return
    (where, message), rest = errors[0], errors[1:]
    hint = None
    if rest:
        hint = f"{len(rest)} more problem(s): " + "; ".join(f"{p}: {m}" for p, m in rest)
    raise MetadataInvalid(message, where=where, hint=hint)


# --- building, encoding, decoding ----------------------------------------------------


def build_work_metadata(
    *,
    title: str,
    creators: Sequence[Creator | Mapping[str, str]],
    work_type: WorkType | str,
    content_sha256: str,
    creation_mode: CreationMode | str = CreationMode.HUMAN,
    ai_declaration: Mapping[str, Any] | None = None,
    identifiers: Mapping[str, str] | None = None,
    creation_date: dt.date | str | None = None,
    language: str | None = None,
    description: str | None = None,
    content_code: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Assemble a work metadata document (absent optionals left out) and validate it.
    ``content_code``: the file's ISCC code, ``{"kind", "iscc"}`` (``ledger.content.iscc``)."""
    doc: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "title": title,
        "creators": [c.to_json() if isinstance(c, Creator) else dict(c) for c in creators],
        "workType": WorkType.parse(work_type).label,
        "contentSha256": content_sha256.lower().removeprefix("0x"),
        "creationMode": CreationMode.parse(creation_mode).label,
    }
    optional = {
        "aiDeclaration": dict(ai_declaration) if ai_declaration is not None else None,
        "identifiers": dict(identifiers) if identifiers else None,
        "creationDate": (
            creation_date.isoformat() if isinstance(creation_date, dt.date) else creation_date
        ),
        "language": language,
        "description": description,
        "contentCode": dict(content_code) if content_code else None,
    }
    doc.update({k: v for k, v in optional.items() if v is not None})
    validate_work_metadata(doc)
    return doc


def encode_work_metadata(doc: Mapping[str, Any]) -> bytes:
    """Validate ``doc`` and return its canonical JSON bytes (what gets stored and hashed)."""
    from ledger.content.canonical import canonical_json  # a write: not on a read command's start-up

    validate_work_metadata(doc)
    return canonical_json(dict(doc), name="metadata")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        dupes = sorted({k for k, _ in pairs if sum(1 for j, _ in pairs if j == k) > 1})
        raise MetadataInvalid(f"duplicate key(s) {', '.join(dupes)}", where="metadata")
    return obj


def decode_work_metadata(data: bytes) -> dict[str, Any]:
    """Parse stored metadata bytes (UTF-8 JSON, no duplicate keys) and validate them."""
    try:
        doc = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise MetadataInvalid(f"not a JSON document: {e}", where="metadata") from None
    validate_work_metadata(doc)
    result: dict[str, Any] = doc
    return result


def sha256_file(path: str | PathLike[str]) -> str:
    """SHA-256 of a file's content as 64 lower-case hex digits, read in 1 MiB pieces."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while piece := f.read(1 << 20):
                h.update(piece)
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from None
    return h.hexdigest()


__all__ = [
    "CREATOR_ROLES", "SCHEMA_VERSION", "CreationMode", "Creator", "WorkType",
    "build_work_metadata", "decode_work_metadata", "encode_work_metadata", "sha256_file",
    "validate_work_metadata", "work_metadata_schema",
]  # fmt: skip
