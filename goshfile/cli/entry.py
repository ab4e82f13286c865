"""The ``goshfile`` console script: the collector paused while the CLI and its command are imported.

:func:`goshfile.startup.pause` runs before click and the CLI are imported; the lazy group resumes the
collector once it has imported the command to run (:mod:`goshfile.cli.lazy`); ``goshfile --help``,
``--version`` and usage errors, which import no command, resume it as they end. Either way what
start-up allocated is frozen, so neither the command's collections nor the interpreter's last one at
exit walk it again (that last walk alone is about 6 ms after click is imported).
"""

from __future__ import annotations

from goshfile import startup


def main() -> int:
    """Run the CLI (:func:`goshfile.cli.main.main`) with the collector paused while it starts."""
    startup.pause()
    try:
        from goshfile.cli.main import main as run  # after pause(): click and the CLI load with the collector off

        return run()
    finally:
        startup.resume()  # no command was imported (--help, --version, a usage error): freeze before exit too
