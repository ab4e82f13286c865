"""The dashboard's pages through Starlette's test client, on the in-memory engine and ledger."""

from __future__ import annotations

import html
import json
import logging
import re
import time

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from goshfile.images.registry import RemoteImage
from goshfile.ui.app import create_app
from goshfile.ui.dashboard import Dashboard
from goshfile.ui.jobs import Job, JobState
from goshfile.ui.security import Access
from tests.ui.fakes import HOSTILE, TOKEN, World, csrf

ROW = re.compile(r'data-status="([^"]+)".*?<a href="/image\?ref=[^"]*">([^<]*)</a>', re.S)


def statuses(page: str) -> dict[str, str]:
    """Image name -> status badge, as the images page shows them."""
    return {html.unescape(name): status for status, name in ROW.findall(page)}


def populate(world: World) -> None:
    world.signed("127.0.0.1:5000/team/good:1")
    world.signed("127.0.0.1:5000/team/netted:1", {"goshfile.hermetic": "false"})
    world.add("127.0.0.1:5000/team/forged:1", {"WALLET_PUBLIC": world.key.public_hex})  # no proof
    world.add("127.0.0.1:5000/team/badkey:1", {"WALLET_PUBLIC": "not-a-key"})
    world.add("bash:latest", {})  # a base image: unsigned, not an error
    world.add("local/hostile:1", {"org.example.note": HOSTILE, "WALLET_PUBLIC": HOSTILE}, pushed=False)


def test_each_status_is_shown_with_its_reason(world: World) -> None:
    populate(world)
    client, _ = world.client()
    page = client.get("/").text
    assert statuses(page) == {
        "127.0.0.1:5000/team/good:1": "verified",
        "127.0.0.1:5000/team/netted:1": "warning",
        "127.0.0.1:5000/team/forged:1": "failing",
        "127.0.0.1:5000/team/badkey:1": "failing",
        "bash:latest": "unsigned",
        "local/hostile:1": "failing",
    }
    text = html.unescape(page)
    assert f"verified by {world.key.public_hex[:8]}" in text and "(self-declared)" in text
    assert "not hermetic: a step had network" in text
    assert f"no proof that {world.key.public_hex} signed sha256:" in text
    assert "label 'not-a-key' is not a public key" in text


NAMES = {
    "good": "127.0.0.1:5000/team/good:1",
    "netted": "127.0.0.1:5000/team/netted:1",
    "forged": "127.0.0.1:5000/team/forged:1",
    "badkey": "127.0.0.1:5000/team/badkey:1",
    "bash": "bash:latest",
    "hostile": "local/hostile:1",
}


@pytest.mark.parametrize(
    ("show", "expected"),
    [
        ("signed", {"good", "netted", "forged", "badkey", "hostile"}),
        ("failing", {"forged", "badkey", "hostile"}),
        ("unsigned", {"bash"}),
        ("all", set(NAMES)),
    ],
)
def test_filters_show_only_their_images(world: World, show: str, expected: set[str]) -> None:
    populate(world)
    client, _ = world.client()
    page = client.get("/", params={"show": show}).text
    assert set(statuses(page)) == {NAMES[key] for key in expected}
    assert f'class="current">{show} <span class="count">{len(expected)}</span>' in page


def test_search_matches_names_signers_and_labels(world: World) -> None:
    populate(world)
    client, _ = world.client()
    assert set(statuses(client.get("/", params={"q": "NETTED"}).text)) == {"127.0.0.1:5000/team/netted:1"}
    by_label = statuses(client.get("/", params={"q": "onerror", "show": "failing"}).text)
    assert set(by_label) == {"local/hostile:1"}
    assert "No image matches" in client.get("/", params={"q": "nothing-like-this"}).text


def test_a_hostile_label_is_shown_as_text_everywhere(world: World) -> None:
    populate(world)
    client, _ = world.client()
    for response in (client.get("/"), client.get("/image", params={"ref": "local/hostile:1"})):
        assert response.status_code == 200
        assert HOSTILE not in response.text
        assert (
            html.escape(HOSTILE, quote=False) in response.text or "&lt;img src=x onerror=alert(1)&gt;" in response.text
        )
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_requests_without_the_token_are_refused(world: World) -> None:
    populate(world)
    client, _ = world.client(login=False)
    for path in ("/", "/image?ref=bash:latest", "/jobs"):
        refused = client.get(path)
        assert refused.status_code == 403 and "open the URL" in refused.text
    assert client.get("/", params={"token": "wrong"}).status_code == 403
    form = {"ref": "127.0.0.1:5000/team/good:1", "csrf": csrf()}
    assert client.post("/image/validate", data=form).status_code == 403  # the form's field, but no token
    assert client.post("/image/validate", data=form, params={"token": TOKEN}).status_code == 403  # no cookie
    assert world.validated == []
    assert client.get("/static/style.css").status_code == 200  # the stylesheet is no secret


def test_the_token_becomes_a_cookie_and_leaves_the_url(world: World) -> None:
    client, _ = world.client(login=False)
    first = client.get("/", params={"token": TOKEN, "show": "unsigned"}, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/?show=unsigned"
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert client.get("/").status_code == 200  # the cookie alone now


def test_a_post_needs_the_csrf_field_as_well_as_the_cookie(world: World) -> None:
    world.signed("127.0.0.1:5000/team/good:1")
    client, _ = world.client()
    assert client.post("/image/trust", data={"ref": "127.0.0.1:5000/team/good:1"}).status_code == 403
    assert client.post("/image/trust", data={"ref": "127.0.0.1:5000/team/good:1", "csrf": TOKEN}).status_code == 403
    assert world.trust.signers() == []
    assert client.get("/image/trust").status_code == 405  # no GET side effects


def test_an_unexpected_host_header_is_refused(world: World) -> None:
    client, _ = world.client(login=False, hosts=frozenset({"127.0.0.1:8780"}))
    assert client.get("/", params={"token": TOKEN}).status_code == 421


def test_the_log_names_paths_but_never_the_token(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="goshfile.ui")
    client, _ = world.client()
    client.get("/", params={"q": "x"})
    assert any("GET / 200" in r.getMessage() for r in caplog.records)
    assert all(TOKEN not in r.getMessage() and csrf() not in r.getMessage() for r in caplog.records)


def test_the_image_page_has_every_piece_of_evidence_as_tables(world: World) -> None:
    digest = world.signed("127.0.0.1:5000/team/app:1", {"GOSH_ADDRESS": "gosh://x", "GOSH_COMMIT_HASH": "c" * 40}, True)
    client, _ = world.client()
    page = html.unescape(client.get("/image", params={"ref": "127.0.0.1:5000/team/app:1"}).text)
    for piece, state in (("signer", "self-declared"), ("ledger proof", "verified"), ("provenance", "verified")):
        assert re.search(rf"<td>{piece}</td>\s*<td><span class=\"state\" data-state=\"{state}\">", page), piece
    assert f'content</th><td class="mono">{digest}' in page and "address</th>" in page
    assert 'build args</th><td class="mono">GREETING=hi' in page
    assert "dependency" in page and "gosh://x" in page
    assert "{'" not in page  # no Python reprs
    assert '<button type="submit" class="primary">Validate</button>' in page
    assert "Trust this signer" in page


def test_trust_adds_the_signer_and_the_image_is_then_verified_as_trusted(world: World) -> None:
    world.signed("127.0.0.1:5000/team/good:1")
    other = World(world.home / "other")
    other.signed("127.0.0.1:5000/team/other:1")
    world.images.configs.update(other.images.configs)
    world.images.tags.update(other.images.tags)
    world.images.digests.update(other.images.digests)
    world.ledger.proofs.update(other.ledger.proofs)
    client, _ = world.client()
    form = {"ref": "127.0.0.1:5000/team/good:1", "csrf": csrf(), "name": "build bot\n#1"}
    done = client.post("/image/trust", data=form)
    assert done.status_code == 200
    assert [(t.public, t.name) for t in world.trust.signers()] == [(world.key.public_hex, "build bot 1")]
    assert "verified by" in done.text and "trusted: build bot 1" in html.unescape(done.text)
    assert "The signer is now in your trusted signers." in done.text
    again = client.post("/image/trust", data=form)
    assert "The signer was trusted already." in again.text and len(world.trust.signers()) == 1
    after = statuses(client.get("/").text)
    assert after["127.0.0.1:5000/team/good:1"] == "verified"
    assert after["127.0.0.1:5000/team/other:1"] == "failing"  # a signer is pinned now, and not this one


def wait_done(job: Job) -> None:
    for _ in range(200):
        if job.state is not JobState.RUNNING:
            return
        time.sleep(0.02)
    raise AssertionError(f"job {job.id} still running")


def test_validate_runs_in_the_background_with_its_own_page_and_live_events(world: World) -> None:
    world.signed("127.0.0.1:5000/team/a:1", {"GOSH_ADDRESS": "gosh://x", "GOSH_COMMIT_HASH": "c" * 40})
    world.signed("127.0.0.1:5000/team/b:1", {"GOSH_ADDRESS": "gosh://x", "GOSH_COMMIT_HASH": "c" * 40})
    world.release.clear()
    client, dashboard = world.client()
    started = [
        client.post("/image/validate", data={"ref": ref, "csrf": csrf()}, follow_redirects=False)
        for ref in ("127.0.0.1:5000/team/a:1", "127.0.0.1:5000/team/b:1")
    ]
    assert [r.status_code for r in started] == [303, 303]
    pages = [r.headers["location"] for r in started]
    assert len(set(pages)) == 2 and all(p.startswith("/jobs/") for p in pages)
    running = client.get(pages[0]).text
    assert 'data-state="running"' in running and '<meta http-equiv="refresh"' in running
    assert len(re.findall(r'href="/jobs/[0-9a-f]+"', client.get("/jobs").text)) == 2  # several at once
    world.release.set()
    for job in dashboard.jobs.all():
        wait_done(job)
    stream = client.get(pages[0] + "/events").text
    assert "event: line\ndata: #1 [1/2] build 127.0.0.1:5000/team/a:1" in stream
    done = json.loads(stream.split("event: done\ndata: ")[1].split("\n")[0])
    assert done == {"state": "succeeded", "verdict": "reproduced bit for bit", "details": ["the same image ID"]}
    reopened = client.get(pages[0]).text
    assert "reproduced bit for bit" in reopened and "#2 exporting layers done" in reopened
    assert "refresh" not in reopened
    resumed = client.get(pages[0] + "/events", headers={"Last-Event-ID": "1"}).text
    assert "queued" not in resumed and "exporting layers" in resumed  # from the line after the last one seen


def test_validate_needs_a_gosh_commit(world: World) -> None:
    world.signed("127.0.0.1:5000/team/plain:1")
    client, _ = world.client()
    refused = client.post("/image/validate", data={"ref": "127.0.0.1:5000/team/plain:1", "csrf": csrf()})
    assert refused.status_code == 400 and "nothing to rebuild from" in refused.text
    assert world.validated == []


def test_content_hashes_on_demand_are_then_tried_against_the_ledger(world: World) -> None:
    world.add("local/extension:1", {"WALLET_PUBLIC": world.key.public_hex}, pushed=False)
    world.ledger.sign(world.key.public_hex, "sha256:" + "8" * 64)  # as GOSH's extension signed: a content hash
    client, dashboard = world.client()
    before = html.unescape(client.get("/image", params={"ref": "local/extension:1"}).text)
    assert "no registry digest" in before and "content hashes not computed yet" in before
    assert statuses(client.get("/").text)["local/extension:1"] == "failing"
    job = client.post("/image/hashes", data={"ref": "local/extension:1", "csrf": csrf()}, follow_redirects=False)
    assert job.status_code == 303
    wait_done(dashboard.jobs.all()[0])
    after = client.get("/image", params={"ref": "local/extension:1"}).text
    assert "sha256:" + "7" * 64 in after
    listed = client.get("/").text
    assert statuses(listed)["local/extension:1"] == "warning"  # verified by its content hash, nothing in a registry
    assert "only a ledger proof: no signature in the registry" in listed


def test_a_registry_repository_lists_its_tags_on_request(world: World) -> None:
    world.remote["127.0.0.1:5000/team/remote:v1"] = RemoteImage("sha256:" + "5" * 64, {"config": {"Labels": {}}})
    world.tags["127.0.0.1:5000/team/remote"] = ["v1"]
    client, _ = world.client()
    assert statuses(client.get("/").text) == {}
    listed = client.get("/", params={"registry": "127.0.0.1:5000/team/remote"}).text
    assert statuses(listed) == {"127.0.0.1:5000/team/remote:v1": "unsigned"}
    assert ">registry</td>" in listed


def test_an_unknown_image_is_a_clear_problem_page(world: World) -> None:
    client, _ = world.client()
    missing = client.get("/image", params={"ref": f"local/{HOSTILE}"})
    assert missing.status_code == 400 and HOSTILE not in missing.text


def test_the_app_mounts_under_a_prefix_beside_another_app(world: World) -> None:
    world.signed("127.0.0.1:5000/team/good:1", {"GOSH_ADDRESS": "gosh://x", "GOSH_COMMIT_HASH": "c" * 40})
    ui = create_app(Dashboard(world.services()), Access(TOKEN))
    outer = Starlette(routes=[Route("/v1/head", lambda _: PlainTextResponse("node")), Mount("/ui", app=ui)])
    client = TestClient(outer)
    assert client.get("/v1/head").text == "node"  # the other app needs no dashboard token
    assert client.get("/ui/").status_code == 403
    first = client.get("/ui/", params={"token": TOKEN}, follow_redirects=False)
    assert first.headers["location"] == "/ui/"
    page = client.get("/ui/").text
    assert 'href="/ui/image?ref=127.0.0.1%3A5000%2Fteam%2Fgood%3A1"' in page
    assert 'href="/ui/static/style.css"' in page
    assert client.get("/ui/static/style.css").status_code == 200
    started = client.post(
        "/ui/image/validate", data={"ref": "127.0.0.1:5000/team/good:1", "csrf": csrf()}, follow_redirects=False
    )
    assert started.status_code == 303 and started.headers["location"].startswith("/ui/jobs/")


def test_a_registry_tag_that_cannot_be_read_is_named_and_the_others_listed(world: World) -> None:
    world.remote["127.0.0.1:5000/team/remote:v1"] = RemoteImage("sha256:" + "5" * 64, {"config": {"Labels": {}}})
    world.tags["127.0.0.1:5000/team/remote"] = ["gone", "v1"]
    client, _ = world.client()
    listed = client.get("/", params={"registry": "127.0.0.1:5000/team/remote"}).text
    assert statuses(listed) == {"127.0.0.1:5000/team/remote:v1": "unsigned"}
    assert "127.0.0.1:5000/team/remote:gone: 127.0.0.1:5000/team/remote:gone: not found" in html.unescape(listed)
