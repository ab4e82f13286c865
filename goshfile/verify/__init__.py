"""Verification of images: who vouches for them (ledger proofs) and what they were built from."""
