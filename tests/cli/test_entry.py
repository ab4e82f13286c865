"""The console script (goshfile.cli.entry): the collector paused while the CLI and the command load."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path


def test_the_console_script_is_the_entry_that_pauses_the_collector() -> None:
    (script,) = entry_points(group="console_scripts", name="goshfile")
    assert script.value == "goshfile.cli.entry:main"


def collector_after(args: list[str]) -> tuple[int, bool, bool, int]:
    """Run the console script's ``main`` with ``args`` in a fresh interpreter.

    Its exit status; whether the collector was on while click was imported and after the run; the
    number of frozen objects.
    """
    code = (
        "import gc, sys\n"
        "seen = []\n"
        "class Watch:\n"  # records the collector's state when click is first imported
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'click' and not seen:\n"
        "            seen.append(gc.isenabled())\n"
        "sys.meta_path.insert(0, Watch())\n"
        "from goshfile.cli.entry import main\n"
        f"sys.argv = ['goshfile', *{args!r}]\n"
        "rc = main()\n"
        "print(repr([int(rc), seen[0], gc.isenabled(), gc.get_freeze_count()]), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60)
    rc, during, after, frozen = ast.literal_eval(proc.stderr.strip().splitlines()[-1])
    return int(rc), bool(during), bool(after), int(frozen)


def test_a_command_runs_with_the_collector_on_and_the_start_up_objects_frozen(tmp_path: Path) -> None:
    rc, during, after, frozen = collector_after(["keys", "generate", "-o", str(tmp_path / "key.json")])
    assert rc == 0 and not during  # click and the command were imported with the collector paused
    assert after and frozen > 0  # the command ran with it on, and what start-up made is out of its walks


def test_version_imports_no_command_and_still_freezes_what_start_up_made() -> None:
    rc, during, after, frozen = collector_after(["--version"])
    assert rc == 0 and not during and after and frozen > 0
