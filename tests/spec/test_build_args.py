"""Build-arg substitution: ${NAME} for declared args only, $${X} escapes, defaults, required args, warnings."""

from __future__ import annotations

import pytest

from goshfile.spec.model import Goshfile
from tests.helpers import load, problems

TEXT = """apiVersion: 1
image: "bash:${VERSION}"
args:
  VERSION: "5.2"
  NEEDED: null
  EMPTY: ""
env:
  A: "${VERSION}|$${VERSION}|${UNDECLARED}|$VERSION|${EMPTY}|${NEEDED}"
labels:
  "${VERSION}": "v${VERSION}"
steps:
  - name: "step ${VERSION}"
    run:
      command: ["/bin/echo", "${VERSION}${VERSION}"]
      mounts: [{type: cache, dst: "/cache/${VERSION}"}]
"""


def spec(build_args: dict[str, str]) -> Goshfile:
    return load(TEXT, build_args).spec


def test_declared_args_are_substituted_everywhere_in_values() -> None:
    s = spec({"NEEDED": "n"})
    assert s.image == "bash:5.2"
    assert s.env["A"] == "5.2|${VERSION}|${UNDECLARED}|$VERSION||n"
    assert s.steps[0].name == "step 5.2"
    assert s.steps[0].run is not None
    assert s.steps[0].run.command == ["/bin/echo", "5.25.2"]
    assert s.steps[0].run.mounts[0].dst == "/cache/5.2"


def test_keys_are_not_substituted() -> None:
    assert spec({"NEEDED": "n"}).labels == {"${VERSION}": "v5.2"}


def test_a_given_build_arg_overrides_the_default() -> None:
    s = spec({"NEEDED": "n", "VERSION": "5.3", "EMPTY": "e"})
    assert s.image == "bash:5.3"
    assert s.env["A"] == "5.3|${VERSION}|${UNDECLARED}|$VERSION|e|n"


def test_the_declared_defaults_are_kept_in_the_model() -> None:
    assert spec({"NEEDED": "n"}).args == {"VERSION": "5.2", "NEEDED": None, "EMPTY": ""}


def test_a_required_arg_that_is_not_given_is_an_error_at_its_key() -> None:
    assert problems(TEXT, {}) == [
        "goshfile.yaml:5:3: args.NEEDED: build arg NEEDED has no default; give it with --build-arg NEEDED=..."
    ]


def test_a_substituted_value_is_validated_like_a_written_one() -> None:
    text = 'apiVersion: 1\nimage: bash\nargs: {DIR: "rel"}\nworkdir: "${DIR}"\n'
    assert problems(text) == ["goshfile.yaml:4:10: workdir: must be an absolute path (start with /)"]
    assert load(text, {"DIR": "/abs"}).spec.workdir == "/abs"


def test_build_args_never_turn_into_other_types() -> None:
    text = 'apiVersion: 1\nimage: bash\nargs: {P: "1"}\nenv: {PORT: "${P}"}\n'
    assert load(text, {"P": "8080"}).spec.env == {"PORT": "8080"}


def test_unused_build_args_give_one_sorted_warning() -> None:
    loaded = load(TEXT, {"NEEDED": "n", "ZED": "1", "FOO": "2"})
    assert loaded.warnings == ["build args not declared in goshfile.yaml 'args' were ignored: FOO, ZED"]


@pytest.mark.parametrize(
    "name",
    [
        "BUILDKIT_SYNTAX",
        "BUILDKIT_INLINE_CACHE",
        "SOURCE_DATE_EPOCH",
        "wallet_public",
        "WALLET_PUBLIC",
        "HTTP_PROXY",
        "https_proxy",
        "no_proxy",
        "gosh-pin:gosh://x#main",
    ],
)
def test_args_clients_pass_on_their_own_give_no_warning(name: str) -> None:
    assert load(TEXT, {"NEEDED": "n", name: "v"}).warnings == []


def test_lint_mode_checks_without_substituting() -> None:
    loaded = load(TEXT, lint=True)  # build_args=None: required args are not checked
    s = loaded.spec
    assert s.image == "bash:${VERSION}"
    assert s.env["A"] == "${VERSION}|$${VERSION}|${UNDECLARED}|$VERSION|${EMPTY}|${NEEDED}"
    assert loaded.warnings == []


def test_lint_mode_still_reports_other_problems() -> None:
    assert problems("apiVersion: 1\nimage: bash\nargs: {A: null}\nbogus: 1\n", lint=True) == [
        "goshfile.yaml:4:1: bogus: unknown field (extension fields must start with x-)"
    ]


def test_no_build_args_at_all_uses_the_defaults() -> None:
    text = 'apiVersion: 1\nimage: "bash:${V}"\nargs: {V: "1"}\n'
    loaded = load(text, {})
    assert (loaded.spec.image, loaded.warnings) == ("bash:1", [])


def test_an_arg_value_is_not_substituted_again() -> None:
    text = 'apiVersion: 1\nimage: bash\nargs: {A: "${B}", B: "b"}\nenv: {X: "${A}"}\n'
    assert load(text, {}).spec.env == {"X": "${B}"}
    assert load(text, {"A": "$${B}"}).spec.env == {"X": "$${B}"}
