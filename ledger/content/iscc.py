"""ISCC (ISO 24138) content codes: a similarity fingerprint of a work's content.

A sha-256 changes with every re-encoding; an ISCC content code changes little when an image
is re-encoded or resized, or a text reflowed. The codes are computed by the reference
implementation (``iscc-core``); this module only turns a file into the input it expects and
compares two codes.

Interface (shared by the registrar's desk and corpus clearance):

- ``content_code(data, name=None) -> ContentCode | None``: the code of a file's bytes, or
  None for a media type not supported here (the caller says so, never guesses).
- ``distance(a, b) -> int``: Hamming distance in bits between two codes of the same kind
  (0 = same content); raises ``InputError`` for codes of different kinds.
- ``code_body(code) -> (kind, int)``: the 64-bit body the read index stores and bands.
- ``unsupported_reason(name) -> str``: the one-line reason a file gets no code (audio and
  video are not fingerprinted: that needs ffmpeg and Chromaprint, not installed here).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from ledger.core.errors import InputError

#: Bits of every content code computed here (ISCC's default body length).
BITS = 64

#: Distance (bits of 64) at or below which two codes count as the same content.
DEFAULT_THRESHOLD = 12

_TEXT_SUFFIXES = (".txt", ".md", ".text")
#: Media this module does not fingerprint: ISCC audio and video codes need ffmpeg and Chromaprint's
#: fpcalc, which this installation does not ship (iscc-sdk would download them at first use).
_AUDIO_SUFFIXES = (".mp3", ".wav", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".aif", ".aiff", ".wma")
_VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".mpg", ".mpeg", ".wmv", ".3gp")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class ContentCode:
    kind: str  # "image" | "text"
    iscc: str  # "ISCC:..." canonical form

    def as_json(self) -> dict:
        return {"kind": self.kind, "iscc": self.iscc}


def _image_code(data: bytes) -> ContentCode | None:
    import iscc_core
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            # the ISCC image preprocessing: grey scale, 32x32, bicubic
            pixels = list(im.convert("L").resize((32, 32), Image.Resampling.BICUBIC).getdata())
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    return ContentCode("image", iscc_core.gen_image_code_v0(pixels, bits=BITS)["iscc"])


def _text_code(data: bytes) -> ContentCode | None:
    import iscc_core

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.strip():
        return None
    return ContentCode("text", iscc_core.gen_text_code_v0(text, bits=BITS)["iscc"])


def content_code(data: bytes, name: str | None = None) -> ContentCode | None:
    """The ISCC content code of ``data`` (a file's bytes); ``name`` hints the media type."""
    lowered = (name or "").lower()
    if lowered.endswith(_TEXT_SUFFIXES):
        return _text_code(data)
    if lowered.endswith(_AUDIO_SUFFIXES + _VIDEO_SUFFIXES):
        return None
    if lowered.endswith(_IMAGE_SUFFIXES) or not lowered:
        code = _image_code(data)
        if code is not None or lowered:
            return code
        return _text_code(data)
    return _image_code(data)


#: Files larger than this are not read for a content code (images and texts are far smaller).
MAX_FILE_BYTES = 64 << 20


def file_code(path: Any) -> tuple[ContentCode | None, str | None]:
    """``(code, None)`` for a file this module fingerprints, else ``(None, why not)``."""
    from pathlib import Path

    p = Path(path)
    name = p.name.lower()
    if name.endswith(_AUDIO_SUFFIXES + _VIDEO_SUFFIXES):
        return None, unsupported_reason(name)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            return None, f"no content code: {p.name} is larger than {MAX_FILE_BYTES >> 20} MB"
        data = p.read_bytes()
    except OSError as exc:
        return None, f"no content code: {exc.strerror or exc}"
    code = content_code(data, name)
    return (code, None) if code is not None else (None, unsupported_reason(name))


def unsupported_reason(name: str | None) -> str:
    """Why a file gets no content code (the message a command shows instead of a similarity answer)."""
    lowered = (name or "").lower()
    if lowered.endswith(_AUDIO_SUFFIXES):
        return ("audio is not fingerprinted here: ISCC audio codes need Chromaprint (fpcalc) and ffmpeg, "
                "which this installation does not include; the work is registered by its sha-256 only")
    if lowered.endswith(_VIDEO_SUFFIXES):
        return ("video is not fingerprinted here: ISCC video codes need ffmpeg, which this installation "
                "does not include; the work is registered by its sha-256 only")
    return ("no content code: only images (png, jpg, gif, bmp, tiff, webp) and UTF-8 text "
            "(txt, md) are fingerprinted; the work is registered by its sha-256 only")


def code_body(code: str) -> tuple[str, int]:
    """``(kind, body)``: the code's kind and its 64-bit body as an unsigned integer."""
    import iscc_core

    kind = kind_of(code)
    try:
        body = iscc_core.iscc_decode(code)[4]
    except Exception as exc:
        raise InputError(f"not an ISCC code: {code!r}") from exc
    if len(body) != BITS // 8:
        raise InputError(f"ISCC code {code} has {len(body) * 8} bits; only {BITS}-bit content codes are compared")
    return kind, int.from_bytes(body, "big")


def kind_of(code: str) -> str:
    import iscc_core

    try:
        units = iscc_core.iscc_explain(code)
    except Exception as exc:  # iscc-core raises ValueError and others on a malformed code
        raise InputError(f"not an ISCC code: {code!r}") from exc
    if "CONTENT-IMAGE" in units:
        return "image"
    if "CONTENT-TEXT" in units:
        return "text"
    return units.split("-")[1].lower() if "-" in units else units


def distance(a: str, b: str) -> int:
    """Hamming distance in bits between two content codes of the same kind."""
    import iscc_core

    if kind_of(a) != kind_of(b):
        raise InputError(f"ISCC codes of different kinds cannot be compared: {a} vs {b}")
    try:
        return int(iscc_core.iscc_distance(a, b))
    except Exception as exc:
        raise InputError(f"cannot compare ISCC codes {a} and {b}: {exc}") from exc
