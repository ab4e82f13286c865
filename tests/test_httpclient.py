"""httpx through goshfile.httpclient: the library, without its console command."""

from __future__ import annotations

import subprocess
import sys


def test_httpx_works_without_importing_its_command_line_module() -> None:
    code = (
        "import sys\n"
        "from goshfile.httpclient import httpx\n"
        "assert 'httpx._main' not in sys.modules or sys.modules['httpx._main'] is None\n"
        "assert 'rich' not in sys.modules\n"
        "transport = httpx.MockTransport(lambda request: httpx.Response(200, json={'ok': True}))\n"
        "with httpx.Client(transport=transport) as client:\n"
        "    print(client.get('http://registry.invalid/v2/').json()['ok'])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "True\n"
