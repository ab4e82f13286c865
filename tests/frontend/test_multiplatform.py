"""Several platforms: one build each, one multi-platform result; run steps only where the engine runs them."""

from __future__ import annotations

import json
from typing import Any

from goshfile.frontend.gateway import UNKNOWN
from goshfile.frontend.multiplatform import worker_platforms
from goshfile.llb import Platform
from tests.frontend.fake_gateway import FakeGateway
from tests.frontend.test_build import build
from tests.helpers import HEADER

SCRATCH = "# syntax=teamgosh/goshfile\napiVersion: 1\nimage: scratch\nsteps:\n"
SCRATCH += "  - name: add\n    copy: {src: app, dst: /app}\n"
NATIVE = [{"OS": "linux", "Architecture": "amd64"}, {"OS": "linux", "Architecture": "386"}]
WORKERS = json.dumps([{"ID": "w", "Platforms": NATIVE}])


def test_worker_platforms_lists_every_platform_of_the_first_worker() -> None:
    assert worker_platforms(WORKERS) == [Platform("linux", "amd64"), Platform("linux", "386")]
    assert worker_platforms(None) == [] and worker_platforms("not json") == []
    newer = json.dumps([{"id": "w", "platforms": [{"os": "linux", "architecture": "arm", "variant": "v7"}]}])
    assert worker_platforms(newer) == [Platform("linux", "arm", "v7")]


def test_two_platforms_give_one_ref_and_one_config_each(gateway: FakeGateway) -> None:
    status, log = build(gateway, SCRATCH, {"platform": "linux/amd64,linux/arm64/v8"}, BUILDKIT_WORKERS=WORKERS)
    assert status == 0, log
    assert gateway.errors == [] and gateway.results == []
    [(refs, metadata)] = gateway.multi_results
    assert list(refs) == ["linux/amd64", "linux/arm64/v8"] and len(set(refs.values())) == 2
    assert json.loads(metadata["refs.platforms"]) == {
        "platforms": [
            {"id": "linux/amd64", "platform": {"os": "linux", "architecture": "amd64"}},
            {"id": "linux/arm64/v8", "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ]
    }
    configs: dict[str, Any] = {k: json.loads(v) for k, v in metadata.items() if k.startswith("containerimage.config/")}
    assert set(configs) == {"containerimage.config/linux/amd64", "containerimage.config/linux/arm64/v8"}
    arm = configs["containerimage.config/linux/arm64/v8"]
    assert (arm["architecture"], arm["variant"]) == ("arm64", "v8")
    assert configs["containerimage.config/linux/amd64"]["architecture"] == "amd64"
    assert "containerimage.config" not in metadata
    for config in configs.values():  # no SOURCE_DATE_EPOCH: each platform's exporter sets its own times
        assert "created" not in config and [h.get("created") for h in config["history"]] == [None]


def test_source_date_epoch_gives_every_platform_the_same_times(gateway: FakeGateway) -> None:
    opts = {"platform": "linux/amd64,linux/arm64/v8", "build-arg:SOURCE_DATE_EPOCH": "86400"}
    assert build(gateway, SCRATCH, opts, BUILDKIT_WORKERS=WORKERS)[0] == 0
    [(_, metadata)] = gateway.multi_results
    configs = [json.loads(v) for k, v in metadata.items() if k.startswith("containerimage.config/")]
    assert len(configs) == 2
    for config in configs:
        assert config["created"] == config["history"][-1]["created"] == "1970-01-02T00:00:00.000000Z"


def test_the_base_image_is_resolved_for_each_platform(gateway: FakeGateway) -> None:
    text = HEADER + "steps:\n  - name: add\n    copy: {src: app, dst: /app}\n"
    assert build(gateway, text, {"platform": "linux/amd64,linux/arm64"}, BUILDKIT_WORKERS=WORKERS)[0] == 0
    assert [r.platform for r in gateway.resolves] == [Platform("linux", "amd64"), Platform("linux", "arm64")]


def test_a_run_step_for_a_platform_the_engine_cannot_run_is_refused_before_building(gateway: FakeGateway) -> None:
    text = SCRATCH + "  - name: compile\n    run: {command: [/app/make]}\n"
    status, _ = build(gateway, text, {"platform": "linux/amd64,linux/arm64"}, BUILDKIT_WORKERS=WORKERS)
    assert status == 0 and gateway.multi_results == [] and gateway.results == []
    [(code, message)] = gateway.errors
    assert code == UNKNOWN
    assert message.startswith("goshfile.yaml:8:10: steps[1].run: step 'compile' runs a program"), message
    assert "cannot run linux/arm64 programs (it runs linux/amd64, linux/386)" in message
    assert len(gateway.solves) == 1  # only the goshfile was read: nothing was built


def test_one_foreign_platform_with_a_run_step_is_refused_too(gateway: FakeGateway) -> None:
    text = SCRATCH + "  - name: compile\n    run: {command: [/app/make]}\n"
    status, _ = build(gateway, text, {"platform": "linux/arm64"}, BUILDKIT_WORKERS=WORKERS)
    assert status == 0 and gateway.results == []
    assert "cannot run linux/arm64 programs" in gateway.errors[0][1]


def test_an_emulated_platform_the_worker_lists_may_run_steps(gateway: FakeGateway) -> None:
    text = SCRATCH + "  - name: compile\n    run: {command: [/app/make]}\n"
    assert build(gateway, text, {"platform": "linux/386,linux/amd64"}, BUILDKIT_WORKERS=WORKERS)[0] == 0
    assert gateway.errors == [] and len(gateway.multi_results) == 1
