"""C2PA (Content Credentials) for generation records: write a manifest, embed it, read one back.

:func:`generation_manifest` turns a ledger generation record into a C2PA manifest definition:
a ``c2pa.actions`` assertion whose ``c2pa.created`` action names the model as its
``softwareAgent`` and carries ``digitalSourceType`` = IPTC *trainedAlgorithmicMedia*, and an
``org.rights-ledger.generation`` assertion with the ledger's record (work id, record id, inputs
root, parameters CID, output hash, transaction, chain id, registry) and, when the output hash
was timestamped, the RFC 3161 token (base64) and its CID. :func:`embed` signs it into a copy of
the file with ``c2pa-python`` (ES256, a PEM certificate chain and a PKCS#8 key).

:func:`read_proposal` reads an embedded manifest and *proposes* a creation mode, AI declaration
and ingredients from it, together with the signer and the validation state that ``c2pa-python``
reports; nothing in it is trusted blindly (the CLI shows it and asks before using it). Mapping of
``digitalSourceType`` (IPTC NewsCodes): trainedAlgorithmicMedia -> ai-generated;
compositeWithTrainedAlgorithmicMedia, algorithmicallyEnhanced, compositeSynthetic,
algorithmicMedia -> ai-assisted; anything else (digitalCapture, digitalArt, ...) or none -> human.

Note: embedding changes the file's bytes, so the embedded copy has another sha-256 than the
registered work (C2PA's own hard binding excludes the manifest; the ledger's work id does not).
"""

from __future__ import annotations

import base64
import json
import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.core import errors as E

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED = IPTC + "trainedAlgorithmicMedia"
ASSISTED = ("compositeWithTrainedAlgorithmicMedia", "algorithmicallyEnhanced", "compositeSynthetic",
            "algorithmicMedia")
LEDGER_ASSERTION = "org.rights-ledger.generation"
GENERATOR = {"name": "rights-ledger", "version": "0.1.0"}


def mime_of(path: Path) -> str:
    mime, _ = mimetypes.guess_type(str(path))
    if mime is None:
        raise E.InputError(f"{path}: cannot tell the media type from the file name (e.g. .png, .jpg, .mp4)")
    return mime


def generation_manifest(record: Any, *, title: str, mime: str, chain_id: int, registry: str,
                        token: bytes | None = None, token_cid: str | None = None,
                        ingredients: Sequence[Mapping[str, str]] = ()) -> dict[str, Any]:
    """A C2PA manifest definition for one :class:`~ledger.domain.protection.GenerationRecord`."""
    agent = {"name": record.model_name}
    if record.model_version:
        agent["version"] = record.model_version
    ledger: dict[str, Any] = {
        "workId": record.work_id, "recordId": record.record_id, "generator": record.generator,
        "model": {"name": record.model_name, "version": record.model_version},
        "inputsRoot": record.inputs_root, "paramsCid": record.params_cid, "outputHash": record.output_hash,
        "recordedAt": record.time, "tx": record.tx_hash, "block": record.block,
        "chainId": chain_id, "attestationRegistry": registry,
    }
    if token is not None:
        ledger["rfc3161Token"] = base64.b64encode(token).decode()
        ledger["rfc3161TokenCid"] = token_cid
    if ingredients:
        ledger["inputs"] = [dict(i) for i in ingredients]
    return {
        "claim_generator_info": [GENERATOR],
        "title": title,
        "format": mime,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [{
                "action": "c2pa.created", "digitalSourceType": TRAINED, "softwareAgent": agent,
            }]}},
            {"label": LEDGER_ASSERTION, "data": {k: v for k, v in ledger.items() if v is not None}},
        ],
    }


def embed(manifest: Mapping[str, Any], src: Path, dst: Path, cert_pem: bytes, key_pem: bytes,
          ingredient_files: Sequence[Path] = ()) -> None:
    """Sign ``manifest`` into a copy of ``src`` at ``dst`` (ES256); inputs become ``inputTo`` ingredients."""
    import c2pa

    src, dst = Path(src), Path(dst)
    if src.resolve() == dst.resolve():
        raise E.InputError("the embedded copy must be another file than the source", where=str(dst))
    mime = mime_of(src)
    try:
        signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, cert_pem, key_pem, None))
        builder = c2pa.Builder(json.dumps(dict(manifest)))
        for ing in ingredient_files:
            with open(ing, "rb") as fh:
                builder.add_ingredient(json.dumps({"title": Path(ing).name, "relationship": "inputTo"}),
                                       mime_of(Path(ing)), fh)
        tmp = dst.with_name(dst.name + ".part")
        with open(src, "rb") as s, open(tmp, "w+b") as d:
            builder.sign(signer, mime, s, d)
        tmp.replace(dst)
    except FileNotFoundError as exc:
        raise E.InputError(f"{exc.filename}: no such file") from None
    except c2pa.C2paError as exc:
        raise E.InputError(f"C2PA signing failed: {exc}", where=str(src),
                           hint="ES256 needs a PEM certificate chain (leaf first, not self-signed) and a "
                                "PKCS#8 P-256 key") from None


@dataclass(frozen=True)
class Proposal:
    """What an embedded C2PA manifest says, to be shown and confirmed (never used unseen)."""

    validation_state: str  # Valid, Trusted or Invalid (c2pa-python)
    failures: tuple[str, ...]  # validation failure codes, e.g. signingCredential.untrusted
    signer: str  # "common name (issuer)"
    claim_generator: str
    creation_mode: str
    source_type: str | None
    models: tuple[dict[str, str], ...]
    ingredients: tuple[dict[str, str], ...]
    ledger_record: Mapping[str, Any] | None = field(default=None)

    @property
    def signature_ok(self) -> bool:
        return self.validation_state in ("Valid", "Trusted") and not any(
            f != "signingCredential.untrusted" for f in self.failures)

    def as_json(self) -> dict[str, Any]:
        return {"validationState": self.validation_state, "failures": list(self.failures), "signer": self.signer,
                "claimGenerator": self.claim_generator, "creationMode": self.creation_mode,
                "digitalSourceType": self.source_type, "models": list(self.models),
                "ingredients": list(self.ingredients), "ledgerRecord": self.ledger_record}


def mode_of(source_type: str | None) -> str:
    if not source_type:
        return "human"
    name = source_type.rsplit("/", 1)[-1]
    if name == "trainedAlgorithmicMedia":
        return "ai-generated"
    if name in ASSISTED:
        return "ai-assisted"
    return "human"


def read_proposal(path: Path) -> Proposal | None:
    """The proposal from ``path``'s embedded C2PA manifest, or None when it carries none."""
    import c2pa

    path = Path(path)
    if not path.is_file():
        raise E.InputError(f"{path}: no such file")
    try:
        mime = mime_of(path)
    except E.InputError:
        return None
    try:
        with open(path, "rb") as fh:
            reader = c2pa.Reader(mime, fh)
            store = json.loads(reader.json())
            state = str(reader.get_validation_state() or "")
    except c2pa.C2paError as exc:
        if "ManifestNotFound" in type(exc).__name__ or "NotSupported" in type(exc).__name__ or \
                "no JUMBF" in str(exc) or "type is unsupported" in str(exc).lower():
            return None
        return Proposal("Invalid", (f"unreadable manifest: {exc}",), "", "", "human", None, (), ())
    active = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    failures = tuple(s.get("code", "") for s in store.get("validation_status", []) or [])
    sig = active.get("signature_info") or {}
    signer = f"{sig.get('common_name', '?')} ({sig.get('issuer', '?')})" if sig else "unsigned"
    gen = ", ".join(f"{g.get('name')} {g.get('version', '')}".strip()
                    for g in active.get("claim_generator_info", []) or [] if isinstance(g, dict))
    gen = gen or str(active.get("claim_generator") or "")
    source_type = None
    models: list[dict[str, str]] = []
    ledger_record = None
    for a in active.get("assertions", []):
        label = a.get("label", "")
        if label.startswith("c2pa.actions"):
            for act in a.get("data", {}).get("actions", []):
                if act.get("action") in ("c2pa.created", "c2pa.opened") and source_type is None:
                    source_type = act.get("digitalSourceType")
                agent = act.get("softwareAgent")
                if isinstance(agent, dict) and agent.get("name"):
                    m = {"name": str(agent["name"])[:200]}
                    if agent.get("version"):
                        m["version"] = str(agent["version"])[:100]
                    if m not in models:
                        models.append(m)
        elif label == LEDGER_ASSERTION:
            ledger_record = a.get("data")
    ingredients = tuple({"title": str(i.get("title", "")), "relationship": str(i.get("relationship", "")),
                         "format": str(i.get("format", ""))} for i in active.get("ingredients", []))
    return Proposal(state or "Unknown", failures, signer, gen, mode_of(source_type), source_type, tuple(models),
                    ingredients, ledger_record)


__all__ = ["Proposal", "embed", "generation_manifest", "mime_of", "mode_of", "read_proposal"]
