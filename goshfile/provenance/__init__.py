"""Build provenance: in-toto Statements with a SLSA v1 predicate, signed in DSSE envelopes."""
