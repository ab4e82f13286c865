"""Image references, digests and labels."""
