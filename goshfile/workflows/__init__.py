"""Multi-step jobs over the domain packages: build, rewrite, push, sign, verify; verify by rebuilding.

The CLI and the dashboard call these; no domain package imports them (see the import-linter
contracts in pyproject.toml).
"""
