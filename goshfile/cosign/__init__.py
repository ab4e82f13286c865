"""Signatures and attestations stored as cosign stores them: next to the image, in its own repository."""
