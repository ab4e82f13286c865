"""GOSH wallet keys: ed25519 pairs in hex, loaded from arguments, the environment, GOSH's config or a key file.

Secrets never appear in output, logs, exceptions or reprs (see :class:`KeyPair`).
"""

from goshfile.keys.keypair import KeyPair, parse_public, verify
from goshfile.keys.sources import (
    ENV_PUBLIC,
    ENV_SECRET,
    default_key_file,
    find_public,
    find_signer,
    load_public,
    load_signer,
    read_key_file,
    write_key_file,
)

__all__ = [
    "ENV_PUBLIC",
    "ENV_SECRET",
    "KeyPair",
    "default_key_file",
    "find_public",
    "find_signer",
    "load_public",
    "load_signer",
    "parse_public",
    "read_key_file",
    "verify",
    "write_key_file",
]
