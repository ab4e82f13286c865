"""Frontend options: how BuildKit's BUILDKIT_FRONTEND_OPT_<n> variables become BuildOptions."""

from __future__ import annotations

import json

import pytest

from goshfile.errors import InputError
from goshfile.frontend.options import BuildOptions, opts_from_environ, parse_options, worker_platform
from goshfile.llb import Platform
from goshfile.secrets import REFUSAL
from tests.helpers import WALLET

OTHER_WALLET = "cd" * 32


def test_opts_are_read_from_numbered_variables_in_any_order() -> None:
    env = {
        "BUILDKIT_FRONTEND_OPT_1": "label:a=b=c",
        "BUILDKIT_FRONTEND_OPT_0": "no-cache=",
        "BUILDKIT_FRONTEND_OPT_2": "flag",
        "BUILDKIT_SESSION_ID": "s",
        "HOME": "/root",
    }
    assert opts_from_environ(env) == {"label:a": "b=c", "no-cache": "", "flag": ""}
    assert opts_from_environ({}) == {}


def test_defaults() -> None:
    options = parse_options({})
    assert options == BuildOptions()
    assert (options.filename, options.no_cache, options.platform, options.image_resolve_mode) == (
        "goshfile.yaml", None, None, "default",
    )  # fmt: skip
    assert not options.ignores_cache("any")


def test_prefixed_opts_are_split_by_kind() -> None:
    options = parse_options(
        {
            "filename": "build.yaml",
            "build-arg:VERSION": "1.2",
            "build-arg:EMPTY": "",
            "label:org.example": "x",
            "context:extra": "local:extra",
            "context:img": "docker-image://alpine",
            "cmdline": "teamgosh/goshfile",
        }
    )
    assert options.filename == "build.yaml"
    assert options.build_args == {"VERSION": "1.2", "EMPTY": ""}
    assert options.labels == {"org.example": "x"}
    assert options.contexts == {"extra": "local:extra", "img": "docker-image://alpine"}


def test_filename_falls_back_to_dockerfilekey_then_the_default() -> None:
    assert parse_options({"dockerfilekey": "y.yaml"}).filename == "y.yaml"
    assert parse_options({"filename": ""}).filename == "goshfile.yaml"


def test_no_cache_empty_means_every_step() -> None:
    options = parse_options({"no-cache": ""})
    assert options.no_cache == frozenset()
    assert options.ignores_cache("a") and options.ignores_cache("b")


def test_no_cache_with_a_list_names_steps() -> None:
    options = parse_options({"no-cache": "build, test,,"})
    assert options.no_cache == frozenset({"build", "test"})
    assert options.ignores_cache("build") and options.ignores_cache("test")
    assert not options.ignores_cache("other")


@pytest.mark.parametrize(
    ("value", "platform"),
    [
        ("linux/arm64", Platform("linux", "arm64")),
        ("linux/arm/v7", Platform("linux", "arm", "v7")),
        ("linux/amd64,", Platform("linux", "amd64")),
    ],
)
def test_one_platform(value: str, platform: Platform) -> None:
    assert parse_options({"platform": value}).platform == platform


def test_several_platforms_are_kept_in_order_once_each() -> None:
    options = parse_options({"platform": "linux/arm64, linux/amd64,linux/arm64"})
    assert options.platforms == (Platform("linux", "arm64"), Platform("linux", "amd64"))
    assert options.platform == Platform("linux", "arm64")


@pytest.mark.parametrize("value", ["bad", "linux/", "a/b/c/d"])
def test_a_bad_platform_is_an_input_error(value: str) -> None:
    with pytest.raises(InputError, match="os/arch"):
        parse_options({"platform": value})


def test_a_platform_of_only_commas_is_an_input_error() -> None:
    # Known bug: parse_options indexes an empty list and raises IndexError (an "internal error" for the user).
    with pytest.raises(InputError):
        parse_options({"platform": ","})


@pytest.mark.parametrize("mode", ["default", "pull", "local"])
def test_image_resolve_modes(mode: str) -> None:
    assert parse_options({"image-resolve-mode": mode}).image_resolve_mode == mode


def test_an_unknown_image_resolve_mode_is_refused() -> None:
    with pytest.raises(InputError, match="image-resolve-mode must be default, pull or local, not 'bogus'"):
        parse_options({"image-resolve-mode": "bogus"})
    assert parse_options({"image-resolve-mode": ""}).image_resolve_mode == "default"


@pytest.mark.parametrize("key", ["wallet_public", "build-arg:wallet_public", "build-arg:WALLET_PUBLIC"])
def test_wallet_public_becomes_the_label(key: str) -> None:
    assert parse_options({key: WALLET}).labels == {"WALLET_PUBLIC": WALLET}


def test_wallet_public_label_alone_is_kept() -> None:
    assert parse_options({"label:WALLET_PUBLIC": WALLET}).labels == {"WALLET_PUBLIC": WALLET}


def test_wallet_public_given_the_same_way_twice_is_fine() -> None:
    opts = {"wallet_public": WALLET, "build-arg:wallet_public": WALLET, "label:WALLET_PUBLIC": WALLET}
    assert parse_options(opts).labels == {"WALLET_PUBLIC": WALLET}


def test_wallet_public_disagreements_are_refused() -> None:
    with pytest.raises(InputError, match="given twice with different values"):
        parse_options({"wallet_public": WALLET, "build-arg:WALLET_PUBLIC": OTHER_WALLET})
    with pytest.raises(InputError, match="the WALLET_PUBLIC label and the wallet_public opt disagree"):
        parse_options({"wallet_public": WALLET, "label:WALLET_PUBLIC": OTHER_WALLET})


@pytest.mark.parametrize("value", ["nothex", "ab" * 31, "zz" * 32])
def test_wallet_public_must_be_a_hex_key(value: str) -> None:
    with pytest.raises(InputError, match="64-hex-character ed25519 public key"):
        parse_options({"wallet_public": value})


@pytest.mark.parametrize(
    ("key", "kind", "name"),
    [
        ("build-arg:WALLET_SECRET", "build arg", "WALLET_SECRET"),
        ("label:api_token", "label", "api_token"),
        ("password", "opt", "password"),
        ("build-arg:db_passwd", "build arg", "db_passwd"),
        ("label:PRIVATE_KEY", "label", "PRIVATE_KEY"),
    ],
)
def test_secret_looking_names_are_refused_without_their_value(key: str, kind: str, name: str) -> None:
    value = "s3cr3t-" + "9f" * 32
    with pytest.raises(InputError) as info:
        parse_options({key: value, "filename": "goshfile.yaml"})
    assert str(info.value) == f"{kind} {name} {REFUSAL}"
    assert value not in str(info.value) and "s3cr3t" not in str(info.value)


def test_gosh_pins_are_collected_from_build_args() -> None:
    key = "gosh-pin:gosh://0:" + "1" * 64 + "/dao/repo#main"
    options = parse_options({f"build-arg:{key}": "a" * 40, "build-arg:OTHER": "x"})
    assert options.pins == {key: "a" * 40}


def test_worker_platform_reads_the_first_worker() -> None:
    workers = [{"Platforms": [{"OS": "linux", "Architecture": "arm", "Variant": "v7"}, {"OS": "linux"}]}]
    assert worker_platform(json.dumps(workers)) == Platform("linux", "arm", "v7")
    assert worker_platform(json.dumps([{"Platforms": [{"OS": "linux", "Architecture": "amd64"}]}])) == Platform(
        "linux", "amd64"
    )
    for bad in (None, "", "not json", "[]", '[{"Platforms": []}]', '{"a": 1}'):
        assert worker_platform(bad) is None


def test_a_0x_prefixed_wallet_key_is_normalized_and_agrees_with_the_label() -> None:
    key = WALLET.upper()
    options = parse_options({"wallet_public": "0x" + key, "label:WALLET_PUBLIC": WALLET.lower()})
    assert options.labels["WALLET_PUBLIC"] == WALLET.lower()
