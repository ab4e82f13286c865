"""The ``goshfile`` console script: the collector paused while the CLI and its command are imported.

:func:`goshfile.startup.pause` runs before click and the CLI are imported; the lazy group resumes the
collector once it has imported the command to run (:mod:`goshfile.cli.lazy`). ``goshfile --help``,
``--version`` and usage errors import no command and end with it paused.
"""

from __future__ import annotations

from goshfile import startup


def main() -> int:
    """Run the CLI (:func:`goshfile.cli.main.main`) with the collector paused while it starts."""
    startup.pause()
    from goshfile.cli.main import main as run  # after pause(): click and the CLI load with the collector off

    return run()
