#!/usr/bin/env python3
"""Verifies an ownerboot provenance envelope with independent implementations.

usage: verify-provenance.py ENVELOPE.json OWNER.pub

The DSSE signature is checked by in-toto's Envelope (securesystemslib's DSSE code) against
the Ed25519 key in the minisign public key file; then the payload must be an in-toto
Statement v1 with a SLSA provenance v1 predicate that has subjects and resolved dependencies
with SHA-256 digests and a builder id. Prints a summary and exits 0, or prints why and exits 1.
"""
import base64
import json
import sys

from in_toto.models.metadata import Envelope
from securesystemslib.signer import SSlibKey


def minisign_key(path):
    lines = open(path, encoding="utf-8").read().splitlines()
    raw = base64.b64decode(lines[1])
    if len(raw) != 42 or raw[:2] != b"Ed":
        raise SystemExit(f"{path}: not a minisign Ed25519 public key")
    keyid = format(int.from_bytes(raw[2:10], "little"), "X")
    return SSlibKey(keyid, "ed25519", "ed25519", {"public": raw[10:].hex()})


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    envelope_path, key_path = sys.argv[1:]
    key = minisign_key(key_path)
    envelope = Envelope.from_dict(json.load(open(envelope_path, encoding="utf-8")))
    try:
        envelope.verify([key], 1)
    except Exception as error:  # securesystemslib raises VerificationError
        print(f"signature: FAILED ({type(error).__name__}: {error})")
        return 1
    print(f"signature: verified with key {key.keyid} (securesystemslib DSSE, in-toto Envelope)")
    problems = []
    if envelope.payload_type != "application/vnd.in-toto+json":
        problems.append(f"payloadType is {envelope.payload_type}")
    statement = json.loads(envelope.payload)
    if statement.get("_type") != "https://in-toto.io/Statement/v1":
        problems.append(f"_type is {statement.get('_type')}")
    if statement.get("predicateType") != "https://slsa.dev/provenance/v1":
        problems.append(f"predicateType is {statement.get('predicateType')}")
    subjects = statement.get("subject") or []
    if not subjects or not all(len(s.get("digest", {}).get("sha256", "")) == 64 for s in subjects):
        problems.append("subjects are missing or lack SHA-256 digests")
    predicate = statement.get("predicate", {})
    definition = predicate.get("buildDefinition", {})
    for field in ("buildType", "externalParameters"):
        if field not in definition:
            problems.append(f"buildDefinition.{field} is missing")
    dependencies = definition.get("resolvedDependencies", [])
    if not all(d.get("digest") for d in dependencies):
        problems.append("a resolved dependency has no digest")
    builder = predicate.get("runDetails", {}).get("builder", {})
    if not builder.get("id"):
        problems.append("runDetails.builder.id is missing")
    if problems:
        print("statement: FAILED: " + "; ".join(problems))
        return 1
    print(f"statement: in-toto Statement v1, SLSA provenance v1; {len(subjects)} subjects, "
          f"{len(dependencies)} resolved dependencies, builder {builder['id']} {builder.get('version', {})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
