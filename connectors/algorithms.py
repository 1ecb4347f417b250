"""The signature algorithms a `hub_signature` connector can check."""

from __future__ import annotations

ALGORITHMS = ("sha1", "sha256", "sha512", "ecdsa-p256-sha256", "ed25519")
# An asymmetric signature: the sender signs with its private key, the credential is its public key.
ASYMMETRIC = frozenset({"ecdsa-p256-sha256", "ed25519"})
