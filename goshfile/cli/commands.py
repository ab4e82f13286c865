"""Every ``goshfile`` subcommand: where it lives and the line ``goshfile --help`` lists for it.

The commands are imported only when they run (:class:`goshfile.cli.lazy.LazyGroup`), so this table
repeats each command's first help sentence; ``tests/cli/test_commands.py`` checks it against the
command's own. A new command is one entry here.
"""

from __future__ import annotations

from goshfile.cli.lazy import LazyCommand

COMMANDS: dict[str, LazyCommand] = {
    "addr": LazyCommand(
        "goshfile.cli.addr_cmd:addr",
        "Print the address of PUBLIC's proof of CONTENT (whether it is recorded or not).",
    ),
    "build": LazyCommand(
        "goshfile.cli.build_cmd:build", "Build an image from a goshfile with docker buildx and the goshfile frontend."
    ),
    "check": LazyCommand(
        "goshfile.cli.check_cmd:check",
        "Print true when PUBLIC's proof of CONTENT is recorded and its signature verifies, else false.",
    ),
    "image-hash": LazyCommand(
        "goshfile.cli.image_cmds:image_hash_cmd",
        "Hash the filesystem of IMAGE, independent of timestamps, compression and registry.",
    ),
    "keys": LazyCommand(
        "goshfile.cli.ledger_cmds:keys",
        "Wallet keys: ed25519 pairs, 64 hex characters each.",
        extend=("goshfile.cli.keys_cmds:register",),
    ),
    "lint": LazyCommand(
        "goshfile.cli.spec_cmds:lint", "Check a goshfile without building: every problem with its file:line:column."
    ),
    "llb": LazyCommand("goshfile.cli.spec_cmds:llb", "Print the LLB a goshfile turns into, as the frontend makes it."),
    "node": LazyCommand(
        "goshfile.cli.node_cmds:node",
        "The local node: a ledger of proofs in one SQLite file, usable directly or served over HTTP.",
    ),
    "save": LazyCommand(
        "goshfile.cli.kit_cmds:save",
        "Write IMAGE (from its registry), its signatures, attestations and ledger proofs into one OCI layout tar.",
    ),
    "schema": LazyCommand(
        "goshfile.cli.spec_cmds:schema",
        "Print the goshfile JSON schema (generated from the model): goshfile schema > goshfile.schema.json",
    ),
    "sign": LazyCommand(
        "goshfile.cli.ledger_cmds:sign",
        "Sign CONTENT (an image digest, sha256:<64 hex>) and print the proof's address.",
    ),
    "ui": LazyCommand(
        "goshfile.cli.ui_cmd:ui",
        "Open the verification dashboard: every local image with its status, its evidence, and Validate.",
    ),
    "verify": LazyCommand(
        "goshfile.cli.verify_cmds:verify",
        "Verify IMAGE from what travels with it: label, ledger proof, registry signature, provenance.",
    ),
}
