"""Loading goshfiles: the seed, every field, and every problem with its exact file:line:col: path: message."""

from __future__ import annotations

import pytest

from goshfile.errors import SpecError
from goshfile.spec.model import BindMount, CacheMount, GoshMount, TmpfsMount
from tests.helpers import COMMIT, DESIGN_SEED, FULL, GOSH_URL, HEADER, SEED, load, problems


def test_the_seed_example_loads_unchanged() -> None:
    assert SEED.read_text() == DESIGN_SEED
    loaded = load(DESIGN_SEED)
    spec = loaded.spec
    assert (spec.apiVersion, spec.image) == (1, "bash:latest")
    assert [s.name for s in spec.steps] == ["print date"]
    run = spec.steps[0].run
    assert run is not None
    assert run.command == ["/usr/local/bin/bash"]
    assert run.args == ["-c", "(date +'%s %H:%M:%S %Z'; echo \"Hi there\") | tee /message.txt"]
    assert (run.network, run.mounts, run.env, run.workdir, run.user) == ("none", [], {}, None, None)
    assert (spec.entrypoint, spec.cmd, spec.env, spec.labels, spec.args) == (None, None, {}, {}, {})
    assert loaded.warnings == []
    assert load(DESIGN_SEED, lint=True).spec == spec


def test_a_goshfile_using_every_field_loads() -> None:
    loaded = load(FULL, {"GREETING": "hi"})
    spec = loaded.spec
    assert spec.image == "bash:5.2"
    assert (spec.entrypoint, spec.cmd) == (["/usr/local/bin/bash", "-c"], ["cat /message.txt"])
    assert spec.env == {"LANG": "C.UTF-8", "PORT": "8080"}
    assert (spec.workdir, spec.user, spec.labels) == ("/app", "1000", {"org.example.team": "build"})
    assert spec.args == {"BASH_VERSION": "5.2", "GREETING": None}
    assert spec.sources["lib"].gosh == f"{GOSH_URL}#:src"
    compile_, collect, vendor, single = spec.steps
    run = compile_.run
    assert run is not None and compile_.copy_ is None
    assert run.args == ["echo hi > /out.txt"]
    assert (run.env, run.workdir, run.user, run.network) == ({"CC": "gcc"}, "/src", "root", "default")
    cache, tmpfs, bind, inline, named = run.mounts
    assert cache == CacheMount(type="cache", dst="/root/.cache", id="build-cache", sharing="locked")
    assert tmpfs == TmpfsMount(type="tmpfs", dst="/tmp", size=1048576)
    assert bind == BindMount(type="bind", dst="/ctx", from_="context", src="/sub", readonly=False)
    assert isinstance(inline, GoshMount) and (inline.gosh, inline.commit) == (GOSH_URL, COMMIT)
    assert isinstance(named, GoshMount) and (named.source, named.gosh, named.readonly) == ("lib", None, True)
    assert collect.copy_ is not None and collect.run is None
    assert collect.copy_.sources == ["a.txt", "dir/"]
    assert (collect.copy_.dst, collect.copy_.from_, collect.copy_.chown) == ("out/", "compile", "1000:1000")
    assert vendor.copy_ is not None and (vendor.copy_.gosh, vendor.copy_.commit) == (GOSH_URL, COMMIT)
    assert single.copy_ is not None and single.copy_.sources == ["README.md"]
    assert loaded.warnings == []


def test_mount_defaults_are_filled_in() -> None:
    text = HEADER + "steps:\n  - name: a\n    run:\n      command: [x]\n      mounts:\n"
    text += (
        "        - {type: cache, dst: /c}\n        - {type: tmpfs, dst: /t}\n        - {type: bind, dst: /b, from: s}\n"
    )
    cache, tmpfs, bind = load(text).spec.steps[0].run.mounts  # type: ignore[union-attr]
    assert isinstance(cache, CacheMount) and (cache.id, cache.sharing) == (None, "shared")
    assert isinstance(tmpfs, TmpfsMount) and tmpfs.size is None
    assert isinstance(bind, BindMount) and (bind.src, bind.readonly) == ("/", True)


def test_x_keys_are_allowed_anywhere_and_dropped() -> None:
    text = HEADER + "x-a: 1\nenv: {A: b}\nsteps:\n  - name: s\n    x-c: 3\n"
    text += "    run: {command: [x], x-d: [4], mounts: [{type: cache, dst: /c, x-e: 5}]}\n"
    spec = load(text).spec
    assert spec.env == {"A": "b"}
    assert spec.steps[0].run is not None and spec.steps[0].run.command == ["x"]


def test_x_names_in_env_labels_and_args_are_the_user_s_own_and_kept() -> None:
    text = HEADER + 'env: {A: b, x-b: "2"}\nlabels: {x-team: core}\nargs: {x_ok: v}\n'
    text += 'steps:\n  - name: s\n    run: {command: [x], env: {x-c: "3"}}\n'
    spec = load(text).spec
    assert spec.env == {"A": "b", "x-b": "2"}
    assert spec.labels == {"x-team": "core"}
    assert spec.steps[0].run is not None and spec.steps[0].run.env == {"x-c": "3"}


STEP = "steps:\n  - name: s\n"

ERRORS = [
    pytest.param("bogus: 1\n", ["3:1: bogus: unknown field (extension fields must start with x-)"], id="unknown-top"),
    pytest.param(
        STEP + "    run: {command: [x], netwrk: none}\n",
        ["5:25: steps[0].run.netwrk: unknown field (extension fields must start with x-)"],
        id="unknown-nested",
    ),
    pytest.param(
        "env: {PORT: 8080}\n", ["3:13: env.PORT: must be a string, not a number (quote it in YAML)"], id="no-coercion"
    ),
    pytest.param(
        "labels: {a: yes}\n", ["3:13: labels.a: must be a string, not a boolean (quote it in YAML)"], id="bool"
    ),
    pytest.param("user: 0\n", ["3:7: user: must be a string, not a number (quote it in YAML)"], id="user-number"),
    pytest.param("env: {A: null}\n", ["3:10: env.A: must be a string, not null"], id="null"),
    pytest.param('env: {"A=B": x}\n', ["3:7: env.A=B: must be a variable name without '='"], id="env-name"),
    pytest.param("env: [A=b]\n", ["3:6: env: must be a mapping"], id="env-list"),
    pytest.param("entrypoint: /bin/sh\n", ["3:13: entrypoint: must be a list of strings"], id="entrypoint"),
    pytest.param("cmd: [1]\n", ["3:7: cmd[0]: must be a string, not a number (quote it in YAML)"], id="cmd-item"),
    pytest.param("steps: {a: 1}\n", ["3:8: steps: must be a list"], id="steps-mapping"),
    pytest.param("steps: [5]\n", ["3:9: steps[0]: must be a mapping"], id="step-scalar"),
    pytest.param("workdir: app\n", ["3:10: workdir: must be an absolute path (start with /)"], id="relative"),
    pytest.param(
        "args: {bad-name: x}\n",
        ["3:8: args.bad-name: must be a name of letters, digits and _ (not starting with a digit)"],
        id="arg-name",
    ),
    pytest.param("args: {N: 5}\n", ["3:11: args.N: must be a string, not a number (quote it in YAML)"], id="arg-type"),
    pytest.param(STEP, ["4:5: steps[0]: a step needs exactly one of 'run' or 'copy'"], id="neither"),
    pytest.param(
        STEP + "    run: {command: [x]}\n    copy: {src: a, dst: /a}\n",
        ["4:5: steps[0]: a step needs exactly one of 'run' or 'copy'"],
        id="both",
    ),
    pytest.param("steps:\n  - run: {command: [x]}\n", ["4:5: steps[0].name: is required"], id="no-name"),
    pytest.param(STEP + "    run: {}\n", ["5:10: steps[0].run.command: is required"], id="no-command"),
    pytest.param(STEP + "    run: {command: []}\n", ["5:20: steps[0].run.command: must not be empty"], id="empty"),
    pytest.param(
        STEP + "    run: {command: [x], network: host}\n",
        ["5:34: steps[0].run.network: must be 'none' or 'default'"],
        id="network",
    ),
    pytest.param(
        STEP + "    run: {command: [x], workdir: src, user: '', env: {K: 1}}\n",
        [
            "5:34: steps[0].run.workdir: must be an absolute path (start with /)",
            "5:45: steps[0].run.user: must not be empty",
            "5:58: steps[0].run.env.K: must be a string, not a number (quote it in YAML)",
        ],
        id="run-fields",
    ),
    pytest.param(STEP + "    copy: {dst: /a}\n", ["5:11: steps[0].copy.src: is required"], id="no-src"),
    pytest.param(
        STEP + "    copy: {src: [], dst: /a}\n",
        ["5:17: steps[0].copy.src: must be a string, not a list, or must not be empty"],
        id="src-empty",
    ),
    pytest.param(
        STEP + "    copy: {src: 5, dst: /a}\n",
        ["5:17: steps[0].copy.src: must be a string, not a number (quote it in YAML), or a list of strings"],
        id="src-number",
    ),
    pytest.param(
        STEP + "    copy: {src: a, dst: /a, chown: 1000}\n",
        ["5:36: steps[0].copy.chown: must be a string, not a number (quote it in YAML)"],
        id="chown",
    ),
]


@pytest.mark.parametrize(("body", "expected"), ERRORS)
def test_each_problem_has_its_exact_message(body: str, expected: list[str]) -> None:
    assert problems(HEADER + body) == [f"goshfile.yaml:{e}" for e in expected]


def test_missing_top_level_fields_and_a_wrong_api_version() -> None:
    assert problems("apiVersion: 2\n") == [
        "goshfile.yaml:1:1: image: is required",
        "goshfile.yaml:1:13: apiVersion: must be 1",
    ]
    assert problems("image: bash\n") == ["goshfile.yaml:1:1: apiVersion: is required"]
    assert problems("- a\n") == ["goshfile.yaml:1:1: a goshfile must be a mapping of fields"]
    assert problems("---\n") == ["goshfile.yaml:2:1: a goshfile must be a mapping of fields"]
    assert problems('apiVersion: "1"\nimage: bash\n') == ["goshfile.yaml:1:13: apiVersion: must be 1"]
    assert problems('apiVersion: 1\nimage: ""\n') == ["goshfile.yaml:2:8: image: must not be empty"]


def test_yaml_problems_come_through_the_loader() -> None:
    assert problems(HEADER + "image: again\n") == ["goshfile.yaml:3:1: image: duplicate key (first given on line 2)"]
    with pytest.raises(SpecError, match=r"^goshfile.yaml:1:1: the file is empty$"):
        load("")


def test_several_problems_are_reported_at_once_in_file_order() -> None:
    text = """steps:
  - name: b
    copy: {src: a, dst: /a, from: c}
  - name: c
    run: {command: [x], network: yes}
env: {PORT: 8080}
apiVersion: 1
image: bash
bogus: true
"""
    assert problems(text) == [
        "goshfile.yaml:3:35: steps[0].copy.from: step 'c' comes later; only earlier steps can be used",
        "goshfile.yaml:5:34: steps[1].run.network: must be 'none' or 'default'",
        "goshfile.yaml:6:13: env.PORT: must be a string, not a number (quote it in YAML)",
        "goshfile.yaml:9:1: bogus: unknown field (extension fields must start with x-)",
    ]
