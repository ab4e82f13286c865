"""The dashboard in a real browser: Debian's chromium driven by Playwright, against the real engine.

One image built from GOSH and signed, one unsigned, one with a hostile label:
the images page shows the three statuses, the signed image's page its
evidence, and Validate rebuilds it from its commit until the page says
"reproduced". No script from a label runs. Screenshots go to the test's
output folder (and to ``$GOSHFILE_SCREENSHOTS`` when that is set).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO
from urllib.parse import quote

import pytest
from playwright.sync_api import Dialog, expect, sync_playwright

from goshfile.cli.main import main
from goshfile.keys.keypair import KeyPair
from tests.e2e.helpers import Images, run
from tests.gosh.helpers import SYSTEM, commit, git, isolated_home, work_repo

pytestmark = pytest.mark.docker
URL = f"gosh://{SYSTEM}/dao/dashboard"
FRONTEND = ["--frontend-image", "teamgosh/goshfile:latest"]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE = "<img src=x onerror=alert(1)>"
LOCAL = """apiVersion: 1
image: bash:latest
steps:
  - name: write
    run: {command: [/usr/local/bin/bash, -c, "echo local > /local.txt"]}
"""
NETTED = """apiVersion: 1
image: bash:latest
steps:
  - name: with network
    run: {command: [/usr/local/bin/bash, -c, "echo netted > /netted.txt"], network: default}
"""
APP = """apiVersion: 1
image: bash:latest
steps:
  - name: build
    copy: {src: build.sh, dst: /app/}
  - name: run
    run: {command: [/usr/local/bin/bash, -c, "bash /app/build.sh > /app/out.txt"]}
"""


class Dashboard:
    """``goshfile ui`` in a subprocess: its URL and everything it logged."""

    def __init__(self) -> None:
        cmd = [sys.executable, "-m", "goshfile.cli.main", "ui", "--listen", "127.0.0.1:0"]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.log: list[str] = []
        assert self.proc.stdout is not None and self.proc.stderr is not None
        first = self.proc.stdout.readline()
        match = re.fullmatch(r"goshfile ui: open (http://127\.0\.0\.1:\d+/\?token=[\w-]+)\n", first)
        if match is None:
            self.proc.kill()
            pytest.fail(f"goshfile ui did not print its URL: {first!r} {self.proc.stderr.read()}")
        self.url = match.group(1)
        self.token = self.url.rsplit("=", 1)[1]
        self.base = self.url.split("/?", 1)[0]
        for stream in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=self._collect, args=(stream,), daemon=True).start()

    def _collect(self, stream: IO[str]) -> None:
        for line in stream:
            self.log.append(line)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def test_the_dashboard_shows_statuses_and_validates_in_a_real_browser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, images: Images, registry: str
) -> None:
    if not Path(CHROMIUM).is_file():
        pytest.fail("Debian's chromium is not installed: run scripts/setup.sh (scripts/install-system.sh installs it)")
    isolated_home(tmp_path, monkeypatch)
    key = KeyPair.generate()
    monkeypatch.setenv("WALLET_SECRET", key.reveal_secret())
    repo = work_repo(tmp_path / "work")
    first = commit(repo, {"build.sh": "echo from gosh\n", "goshfile.yaml": APP})
    git("push", "--quiet", URL, "main", cwd=repo)

    signed = images.name("ui-signed", registry)
    assert main(["build", URL, "--commit", first, "-t", signed, "--push", "--sign", *FRONTEND]) == 0
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "goshfile.yaml").write_text(LOCAL)
    unsigned = images.name("ui-unsigned")
    assert main(["build", str(ctx), "-t", unsigned, *FRONTEND]) == 0
    netted_ctx = tmp_path / "netted"
    netted_ctx.mkdir()
    (netted_ctx / "goshfile.yaml").write_text(NETTED)
    netted = images.name("ui-netted", registry)
    assert main(["build", str(netted_ctx), "-t", netted, "--push", "--sign", *FRONTEND]) == 0
    hostile = images.name("ui-hostile")
    labelled = run(
        ["docker", "buildx", "build", "--load", "-q", "-t", hostile, "--label", f"note={HOSTILE}",
         "--label", f"WALLET_PUBLIC={key.public_hex}", "--build-arg", "BUILDKIT_SYNTAX=teamgosh/goshfile:latest",
         "-f", str(ctx / "goshfile.yaml"), str(ctx)]
    )  # fmt: skip
    assert labelled.returncode == 0, labelled.output

    altered = images.name("ui-altered")  # the signed image with one file changed, labels kept
    container = f"goshfile-e2e-ui-{os.getpid()}"
    changed = run(["docker", "run", "--name", container, signed, "/usr/local/bin/bash", "-c", "echo x > /app/out.txt"])
    assert changed.returncode == 0, changed.output
    assert run(["docker", "commit", container, altered]).returncode == 0
    run(["docker", "rm", "-f", container])

    out = tmp_path / "screenshots"
    out.mkdir()
    ui = Dashboard()
    dialogs: list[str] = []
    pages: list[str] = []  # the HTML the browser was given, to look for secrets in
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})

            def on_dialog(dialog: Dialog) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", on_dialog)
            page.goto(ui.url)
            assert "token=" not in page.url  # traded for a cookie
            rows = {name: page.locator("tr", has=page.get_by_role("link", name=name, exact=True)) for name in
                    (signed, unsigned, hostile, netted)}  # fmt: skip
            expect(rows[signed].locator("[data-status]")).to_have_text("verified")
            expect(rows[netted].locator("[data-status]")).to_have_text("warning")
            expect(rows[netted]).to_contain_text("not hermetic")
            expect(rows[unsigned].locator("[data-status]")).to_have_text("unsigned")
            expect(rows[hostile].locator("[data-status]")).to_have_text("failing")
            expect(rows[signed]).to_contain_text("self-declared")
            page.screenshot(path=str(out / "dashboard.png"), full_page=True)

            page.get_by_role("link", name=re.compile(r"^failing \d+$")).click()
            expect(page.get_by_role("link", name=hostile, exact=True)).to_be_visible()
            expect(page.get_by_role("link", name=unsigned, exact=True)).to_have_count(0)

            page.goto(ui.base + "/")
            page.get_by_role("link", name=hostile, exact=True).click()
            expect(page.locator("table.labels")).to_contain_text(HOSTILE)  # shown as text

            page.goto(ui.base + "/")
            page.get_by_role("link", name=signed, exact=True).click()
            expect(page.locator(".verdict [data-status]")).to_have_text("verified")
            expect(page.locator("table.evidence")).to_contain_text("ledger proof")
            expect(page.locator("main")).to_contain_text(f"{URL} gitCommit:{first}")  # the provenance's context
            expect(page.locator("table.evidence")).to_contain_text(re.compile(r"registry signature\s*verified"))
            expect(page.locator("main")).to_contain_text(re.compile(r"recorded at\s*\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"))
            page.screenshot(path=str(out / "image.png"), full_page=True)

            page.get_by_role("button", name="Validate").click()
            assert re.search(r"/jobs/[0-9a-f]+$", page.url), page.url
            # rendered while the rebuild runs: what follows arrives over server-sent events, with no reload
            assert page.locator("#log").get_attribute("data-running") == "yes"
            expect(page.locator("#verdict")).to_contain_text("reproduced", timeout=600_000)
            expect(page.locator("#verdict")).to_have_text("reproduced bit for bit")
            expect(page.locator("#log")).to_contain_text("[2/2] run")  # the build's steps, live
            page.screenshot(path=str(out / "validation.png"), full_page=True)
            job_page = page.url
            page.goto(ui.base + "/jobs")
            page.goto(job_page)  # reopened after the end: the whole log and the verdict
            expect(page.locator("#verdict")).to_have_text("reproduced bit for bit")

            assert page.evaluate("document.querySelectorAll('img').length") == 0
            pages.append(page.content())

            # Without JavaScript: the same pages, filters and the finished job, rendered by the server.
            plain = browser.new_context(java_script_enabled=False).new_page()
            plain.goto(ui.url)
            expect(plain.locator("tr", has=plain.get_by_role("link", name=signed, exact=True))).to_contain_text(
                "verified"
            )
            plain.get_by_role("link", name=re.compile(r"^unsigned \d+$")).click()
            expect(plain.get_by_role("link", name=unsigned, exact=True)).to_be_visible()
            expect(plain.get_by_role("link", name=signed, exact=True)).to_have_count(0)
            plain.goto(job_page)
            expect(plain.locator("#verdict")).to_have_text("reproduced bit for bit")
            expect(plain.locator("#log")).to_contain_text("[2/2] run")
            pages.append(plain.content())

            # An altered copy does not reproduce, and its page names the path.
            page.goto(ui.base + "/image?ref=" + quote(altered, safe=""))
            page.get_by_role("button", name="Validate").click()
            expect(page.locator("#verdict")).to_contain_text("not reproduced", timeout=600_000)
            expect(page.locator("#details")).to_contain_text("/app/out.txt:")
            expect(page.locator("#state")).to_have_text("failed")
            page.goto(ui.base + "/jobs")
            expect(page.locator("table.images tbody tr")).to_have_count(2)  # both validations, each with its page
            pages.append(page.content())

            # Trust the signer: a POST form; the image is then verified as trusted.
            page.goto(ui.base + "/image?ref=" + quote(signed, safe=""))
            page.get_by_label("Name").fill("e2e builder")
            page.get_by_role("button", name="Trust this signer").click()
            expect(page.locator(".verdict")).to_contain_text("(trusted: e2e builder)")
            assert (tmp_path / "home" / "goshfile" / "trusted-signers").read_text() == f"{key.public_hex} e2e builder\n"
            pages.append(page.content())

            # A registry repository's tags, on request: the copy in the registry, verified too.
            page.goto(ui.base + "/")
            page.get_by_label("Registry repository").fill(signed.rsplit(":", 1)[0])
            page.get_by_role("button", name="Show").click()
            both = page.locator("tr", has=page.get_by_role("link", name=signed, exact=True))
            expect(both).to_have_count(2)  # the local image and its registry copy (older runs' tags are listed too)
            remote = both.filter(has=page.locator("td", has_text=re.compile(r"^registry$")))
            expect(remote).to_have_count(1)
            expect(remote.locator("[data-status]")).to_have_text("verified")
            pages.append(page.content())
            browser.close()
    finally:
        ui.stop()
    assert dialogs == [], f"a script from a label ran: {dialogs}"
    log = "".join(ui.log)
    assert "GET / 200" in log and ui.token not in log
    assert key.reveal_secret() not in log
    assert pages and not [p for p in pages if key.reveal_secret() in p or ui.token in p]
    for name in ("dashboard.png", "image.png", "validation.png"):
        assert (out / name).stat().st_size > 10_000
    if os.environ.get("GOSHFILE_SCREENSHOTS"):
        shutil.copytree(out, os.environ["GOSHFILE_SCREENSHOTS"], dirs_exist_ok=True)
