"""Regression tests: each class of hostile goshfile found by fuzzing ends in one positioned SpecError."""

from __future__ import annotations

from pathlib import Path

import pytest

from goshfile.errors import InputError, SpecError
from goshfile.spec import limits
from goshfile.spec.loader import load_bytes, load_text, read_goshfile
from tests.helpers import COMMIT, GOSH_URL, HEADER

BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
)


def problems(text: str | bytes) -> list[str]:
    with pytest.raises(SpecError) as info:
        if isinstance(text, bytes):
            load_bytes(text, "f.yaml")
        else:
            load_text(text, "f.yaml")
    return [str(p) for p in info.value.problems]


def step(body: str) -> str:
    return HEADER + f"steps:\n  - name: a\n    {body}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HEADER + 'env: {A: "x\x01"}\n', "f.yaml:3:12: character U+0001 is not allowed in a goshfile"),
        (HEADER + "env: {A: x\x00}\n", "f.yaml:3:11: character U+0000 is not allowed"),
        (HEADER + "env: {A: \x7f}\n", "f.yaml:3:10: character U+007F is not allowed"),
        (HEADER + "env: {A: \ufffe}\n", "f.yaml:3:10: character U+FFFE is not allowed"),
    ],
)
def test_raw_control_characters_are_refused_with_their_position(text: str, expected: str) -> None:
    [found] = problems(text)
    assert found.startswith(expected)


@pytest.mark.parametrize(
    ("text", "tag", "where"),
    [
        (HEADER + "user: !foo x\n", "!foo", "3:7"),
        (HEADER + "cmd: [!!int abc]\n", "!!int", "3:7"),
        (HEADER + "cmd: [!!python/name:os.system x]\n", "!!python/name:os.system", "3:7"),
        (HEADER + "env: !!map {A: x}\n", "!!map", "3:6"),
        (HEADER + "cmd: !!seq [a]\n", "!!seq", "3:6"),
        (HEADER + "cmd: [!!str 1]\n", "!!str", "3:7"),
        (HEADER + "cmd: [! x]\n", "!", "3:7"),
    ],
)
def test_yaml_tags_are_refused_on_scalars_mappings_and_lists(text: str, tag: str, where: str) -> None:
    assert problems(text) == [
        f"f.yaml:{where}: YAML tags ({tag}) are not supported; the field decides the type "
        "(quote a value to make it a string)"
    ]


def test_integers_beyond_64_bits_are_refused_with_their_position() -> None:
    message = "integer out of range (a goshfile number is between -9223372036854775808 and 9223372036854775807)"
    for number in ("9" * 5000, str(1 << 63), str(-(1 << 63) - 1), ":".join(["59"] * 30)):
        text = step(f"run: {{command: [a], mounts: [{{type: tmpfs, dst: /t, size: {number}}}]}}")
        assert problems(text) == [f"f.yaml:5:63: steps[0].run.mounts[0].size: {message}"]
    assert load_text(step(f"run: {{command: [a], mounts: [{{type: tmpfs, dst: /t, size: {(1 << 63) - 1}}}]}}"), "f")


def test_aliases_are_refused_so_neither_self_reference_nor_bomb_expands() -> None:
    assert problems(HEADER + "x-a: &a [*a]\n") == [
        "f.yaml:3:10: YAML aliases (*a) are not supported; write the value out"
    ]
    found = problems(BOMB)
    assert found[0] == "f.yaml:2:8: YAML aliases (*a) are not supported; write the value out"
    assert len(found) == 6  # one problem per anchor used, none expanded


@pytest.mark.parametrize("opening", ["[", "{a: ", "- "])
def test_deep_nesting_is_refused_without_recursion(opening: str) -> None:
    levels = 5000 if opening != "- " else 200  # a block list indents: 200 levels are 40 kB already
    deep = "x-a: " + "".join(opening if opening != "- " else "\n" + "  " * i + "- " for i in range(levels))
    if opening == "[":
        deep += "]" * 5000
    elif opening == "{a: ":
        deep += "1" + "}" * 5000
    else:
        deep += "1"
    found = problems(HEADER + deep + "\n")
    assert len(found) == 1
    assert "nested more than 32 levels deep" in found[0] or "invalid YAML" in found[0]
    assert found[0].startswith("f.yaml:")


def test_depth_32_is_allowed_and_33_is_not() -> None:
    assert load_text(HEADER + "x-a: " + "[" * 31 + "]" * 31 + "\n", "f")  # the root mapping is level 1
    assert problems(HEADER + "x-a: " + "[" * 32 + "]" * 32 + "\n") == ["f.yaml:3:37: nested more than 32 levels deep"]


def test_long_values_and_large_files_are_refused() -> None:
    assert problems(HEADER + f'env: {{A: "{"x" * (limits.MAX_SCALAR_CHARS + 1)}"}}\n') == [
        "f.yaml:3:10: a value of 65,537 characters; at most 65,536 are allowed"
    ]
    assert problems(b"#" * (limits.MAX_FILE_BYTES + 1)) == [
        "f.yaml:1:1: the file is 1,048,577 bytes; a goshfile is at most 1,048,576 bytes"
    ]
    assert problems("#" * (limits.MAX_FILE_BYTES + 1)) == [
        "f.yaml:1:1: the file is 1,048,577 bytes; a goshfile is at most 1,048,576 bytes"
    ]


def test_bytes_that_are_not_utf8_are_refused_with_their_position() -> None:
    assert problems(HEADER.encode() + b'env: {A: "\xff"}\n') == ["f.yaml:3:11: not UTF-8 text (byte 0xff at offset 43)"]
    assert load_bytes(b"\xef\xbb\xbf" + HEADER.encode(), "f").spec.image == "bash:latest"  # a byte order mark


def test_escapes_that_make_nul_or_surrogates_are_refused() -> None:
    assert problems(HEADER + 'env: {A: "a\\0b"}\n') == [
        "f.yaml:3:10: env.A: a NUL character or an unpaired surrogate (\\0, \\ud800) cannot be used"
    ]
    [found] = problems(HEADER + 'env: {A: "a\\ud800b"}\n')
    assert found.startswith("f.yaml:3:")


def test_values_yaml_cannot_construct_are_positioned() -> None:
    assert problems(HEADER + "env: {A: 2024-13-45}\n") == [
        "f.yaml:3:10: env.A: invalid value '2024-13-45': month must be in 1..12"
    ]
    assert problems(HEADER + "env: {A: <<}\n")[0].startswith("f.yaml:3:10: env.A: invalid value '<<'")
    assert problems(HEADER + "? [a]\n: b\n") == ["f.yaml:3:3: keys must be strings, not a mapping or a list"]


@pytest.mark.parametrize(
    ("chown", "message"),
    [
        ("\u00b2", "user '\u00b2' has digits other than 0-9"),
        ("\u0663", "user '\u0663' has digits other than 0-9"),
        ("1:99999999999", "group id 99999999999 is out of range (0 to 4294967295)"),
        ("4294967296", "user id 4294967296 is out of range (0 to 4294967295)"),
        ("1:", "the group is empty"),
        ("a b", "user 'a b' is neither an id"),
    ],
)
def test_chown_owners_the_build_could_not_use_are_refused_by_lint(chown: str, message: str) -> None:
    [found] = problems(step(f'copy: {{src: a, dst: /b, chown: "{chown}"}}'))
    assert found.startswith(f"f.yaml:5:36: steps[0].copy.chown: {message}")
    assert load_text(step('copy: {src: a, dst: /b, chown: "4294967295:app_user-1"}'), "f")


def test_gosh_urls_are_checked_by_the_fetch_parser() -> None:
    text = step(f'copy: {{gosh: "{GOSH_URL}#:../../etc", commit: "{COMMIT}", src: a, dst: /b}}')
    [found] = problems(text)
    assert found.startswith("f.yaml:5:18: steps[0].copy.gosh: invalid gosh URL")
    assert "invalid subdirectory '../../etc'" in found
    text = HEADER + f'sources:\n  s: {{gosh: "{GOSH_URL}#ma..in"}}\n'
    [found] = problems(text)
    assert found.startswith("f.yaml:4:13: sources.s.gosh: invalid gosh URL") and "invalid git ref 'ma..in'" in found


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda p: p.mkdir(), "is a folder, not a regular file"),
        (lambda p: __import__("os").mkfifo(p), "is a FIFO (named pipe), not a regular file"),
        (lambda p: p.write_bytes(b"#" * (limits.MAX_FILE_BYTES + 1)), "larger than 1,048,576 bytes"),
    ],
)
def test_goshfile_paths_that_are_not_small_regular_files_are_named(tmp_path: Path, make: object, kind: str) -> None:
    path = tmp_path / "g.yaml"
    make(path)  # type: ignore[operator]
    with pytest.raises(InputError) as info:
        read_goshfile(path)
    assert str(info.value).startswith(f"{path}: {kind}")


def test_a_device_is_named_as_such() -> None:
    with pytest.raises(InputError) as info:
        read_goshfile(Path("/dev/zero"))
    assert str(info.value) == "/dev/zero: is a character device, not a regular file"


def test_lint_checks_the_base_image_reference_as_the_build_does() -> None:
    assert problems("apiVersion: 1\nimage: Foo Bar\n") == [
        "f.yaml:2:8: image: image reference 'Foo Bar' is not a valid image name"
    ]
    assert load_text('apiVersion: 1\nargs: {V: "5"}\nimage: "bash:${V}"\n', "f").spec.image == "bash:${V}"  # lint
    with pytest.raises(SpecError) as info:  # the build substitutes first, then checks
        load_text('apiVersion: 1\nargs: {V: "a b"}\nimage: "bash:${V}"\n', "f.yaml", {})
    assert [str(p) for p in info.value.problems] == ["f.yaml:3:8: image: image reference 'bash:a b': invalid tag 'a b'"]


def test_a_64_hex_base_image_is_refused_without_being_shown() -> None:
    [found] = problems("apiVersion: 1\nimage: " + "ab" * 32 + "\n")
    assert found.startswith("f.yaml:2:8: image: an image reference cannot be 64 hex characters (value not shown)")
    assert "ab" * 32 not in found
