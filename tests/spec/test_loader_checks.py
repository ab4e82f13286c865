"""Loader checks on mounts, gosh sources, step references and secret-looking names (exact messages)."""

from __future__ import annotations

import pytest

from goshfile.secrets import REFUSAL, looks_secret
from tests.helpers import COMMIT, GOSH_URL, HEADER, load, problems

RUN = HEADER + "steps:\n  - name: s\n    run:\n      command: [x]\n      mounts:\n"  # mounts start on line 8


def mount_problems(*mounts: str) -> list[str]:
    return problems(RUN + "".join(f"        - {m}\n" for m in mounts))


MOUNT_KIND = "a mount needs a 'type' (cache, tmpfs, bind, secret or ssh) or a 'gosh' URL"
MOUNT_TYPES = "must be one of: cache, tmpfs, bind, gosh, secret, ssh"


@pytest.mark.parametrize(
    ("mount", "expected"),
    [
        ("{type: weird, dst: /x}", f"8:18: steps[0].run.mounts[0].type: {MOUNT_TYPES}"),
        ("{dst: /x}", f"8:11: steps[0].run.mounts[0]: {MOUNT_KIND}"),
        ("just-a-string", f"8:11: steps[0].run.mounts[0]: {MOUNT_KIND}"),
        ("{type: cache}", "8:11: steps[0].run.mounts[0].dst: is required"),
        ("{type: cache, dst: rel}", "8:30: steps[0].run.mounts[0].dst: must be an absolute path (start with /)"),
        ("{type: cache, dst: /c, id: ''}", "8:38: steps[0].run.mounts[0].id: must not be empty"),
        (
            "{type: cache, dst: /c, sharing: sometimes}",
            "8:43: steps[0].run.mounts[0].sharing: must be 'shared', 'private' or 'locked'",
        ),
        (
            "{type: cache, dst: /c, cache: 1}",
            "8:34: steps[0].run.mounts[0].cache: unknown field (extension fields must start with x-)",
        ),
        ("{type: tmpfs, dst: /t, size: 0}", "8:40: steps[0].run.mounts[0].size: must be greater than 0"),
        ("{type: tmpfs, dst: /t, size: '1'}", "8:40: steps[0].run.mounts[0].size: must be an integer"),
        ("{type: bind, dst: /b}", "8:11: steps[0].run.mounts[0].from: is required"),
        (
            "{type: bind, dst: /b, from: c, src: rel}",
            "8:47: steps[0].run.mounts[0].src: must be an absolute path (start with /)",
        ),
        (
            "{type: bind, dst: /b, from: c, readonly: 'yes'}",
            "8:52: steps[0].run.mounts[0].readonly: must be true or false",
        ),
    ],
)
def test_mount_problems(mount: str, expected: str) -> None:
    assert mount_problems(mount) == [f"goshfile.yaml:{expected}"]


GOSH_PATTERN = "must be a gosh:// URL: gosh://0:<64 hex>/<dao>/<repo>"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/dao/repo",
        "gosh://0:" + "1" * 63 + "/dao/repo",
        "gosh://1:" + "1" * 64 + "/dao/repo",
        "gosh://0:" + "1" * 64 + "/dao",
        "gosh://0:" + "1" * 64 + "/dao/re po",
        "gosh://0:" + "1" * 64 + "/-dao/repo",
    ],
)
def test_malformed_gosh_urls_are_refused_at_their_value(url: str) -> None:
    assert mount_problems(f'{{gosh: "{url}", commit: "{COMMIT}", dst: /g}}') == [
        f"goshfile.yaml:8:18: steps[0].run.mounts[0].gosh: {GOSH_PATTERN}"
    ]


@pytest.mark.parametrize(
    "url",
    [
        GOSH_URL,
        "gosh::mainnet://" + GOSH_URL[7:],
        "gosh://me@" + GOSH_URL[7:],
        GOSH_URL.upper().replace("GOSH", "gosh"),
    ],
)
def test_wellformed_gosh_urls_are_accepted(url: str) -> None:
    text = RUN + f'        - {{gosh: "{url}", commit: "{COMMIT}", dst: /g}}\n'
    assert load(text).spec.steps[0].run.mounts[0].gosh == url  # type: ignore[union-attr]


def test_a_commit_that_is_no_revision_is_refused_at_the_commit() -> None:
    mount = f'{{gosh: "{GOSH_URL}", commit: "ABC DEF", dst: /g}}'
    column = 11 + len(f'{{gosh: "{GOSH_URL}", commit: ')
    assert mount_problems(mount) == [
        f"goshfile.yaml:8:{column}: steps[0].run.mounts[0].commit: "
        "must be a full commit id (40 lowercase hex characters)"
    ]


def test_a_branch_as_commit_needs_allow_refs() -> None:
    assert mount_problems(f'{{gosh: "{GOSH_URL}", commit: main, dst: /g}}') == [
        "goshfile.yaml:8:18: steps[0].run.mounts[0].gosh: 'main' is not a full commit id (40 hex); pin a commit, "
        "or let goshfile build resolve a branch or tag with --allow-ref"
    ]


def test_a_relative_gosh_mount_dst_is_reported_at_the_dst() -> None:
    mount = f'{{type: gosh, gosh: "{GOSH_URL}", commit: "{COMMIT}", dst: rel}}'
    column = 11 + mount.index("rel")
    assert mount_problems(mount) == [
        f"goshfile.yaml:8:{column}: steps[0].run.mounts[0].dst: must be an absolute path (start with /)"
    ]


def test_gosh_mount_forms() -> None:
    assert mount_problems("{type: gosh, dst: /g}") == [
        "goshfile.yaml:8:11: steps[0].run.mounts[0]: a gosh mount needs either 'gosh' (with 'commit') or 'source'"
    ]
    assert mount_problems(f'{{gosh: "{GOSH_URL}", dst: /g}}') == [
        "goshfile.yaml:8:11: steps[0].run.mounts[0]: a gosh mount needs 'commit' (or a #ref in its URL)"
    ]


def test_copy_origins() -> None:
    step = HEADER + "steps:\n  - name: s\n    copy: {src: a, dst: /a, "
    assert problems(step + f'gosh: "{GOSH_URL}"}}\n') == [
        "goshfile.yaml:5:11: steps[0].copy: a copy from gosh needs 'commit' (or a #ref in its URL)"
    ]
    assert problems(step + f'commit: "{COMMIT}"}}\n') == [
        "goshfile.yaml:5:11: steps[0].copy: 'commit' goes with 'gosh'"
    ]


def test_duplicate_step_names() -> None:
    text = HEADER + "steps:\n  - name: a\n    run: {command: [x]}\n  - name: b\n    run: {command: [x]}\n"
    text += "  - name: a\n    run: {command: [x]}\n"
    assert problems(text) == ["goshfile.yaml:8:11: steps[2].name: duplicate step name (also steps[0])"]


def test_from_must_name_an_earlier_step() -> None:
    text = HEADER + (
        "steps:\n"
        "  - name: first\n"
        "    copy: {src: a, dst: /a, from: second}\n"
        "  - name: second\n"
        "    run:\n"
        "      command: [x]\n"
        "      mounts: [{type: bind, dst: /m, from: second}, {type: bind, dst: /n, from: third}]\n"
        "  - name: third\n"
        "    copy: {src: a, dst: /a, from: third}\n"
        "  - name: fourth\n"
        "    copy: {src: a, dst: /a, from: first}\n"
    )
    assert problems(text) == [
        "goshfile.yaml:5:35: steps[0].copy.from: step 'second' comes later; only earlier steps can be used",
        "goshfile.yaml:9:44: steps[1].run.mounts[0].from: a step cannot use its own result",
        "goshfile.yaml:9:81: steps[1].run.mounts[1].from: step 'third' comes later; only earlier steps can be used",
        "goshfile.yaml:11:35: steps[2].copy.from: a step cannot use its own result",
    ]


def test_from_naming_no_step_is_left_to_the_build_contexts() -> None:
    text = HEADER + "steps:\n  - name: s\n    copy: {src: a, dst: /a, from: some-context}\n"
    assert load(text).spec.steps[0].copy_.from_ == "some-context"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("section", "name"),
    [("args", "WALLET_SECRET"), ("env", "API_TOKEN"), ("labels", "db.password"), ("env", "PRIVATE_KEY")],
)
def test_secret_looking_names_are_refused(section: str, name: str) -> None:
    value = '"x"'
    assert problems(HEADER + f"{section}:\n  {name}: {value}\n") == [
        f"goshfile.yaml:4:3: {section}.{name}: {name} {REFUSAL}"
    ]


def test_a_secret_refusal_never_shows_the_value() -> None:
    found = problems(HEADER + "env:\n  MY_SECRET: hunter2-value\n", lint=True)
    assert len(found) == 1 and "hunter2-value" not in found[0]


@pytest.mark.parametrize(
    "name", ["SECRET", "wallet_secret", "PASSWD", "my-password", "private_key", "GH_TOKEN", "token"]
)
def test_looks_secret(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.parametrize("name", ["WALLET_PUBLIC", "TOKENIZER", "tokens", "PATH", "KEY", "org.label-schema.name"])
def test_does_not_look_secret(name: str) -> None:
    assert not looks_secret(name)


def test_a_secret_looking_name_in_a_step_env_is_refused() -> None:
    found = problems(HEADER + 'steps:\n  - name: s\n    run: {command: [x], env: {DB_PASSWORD: "v"}}\n')
    assert found == [f"goshfile.yaml:5:31: steps[0].run.env.DB_PASSWORD: DB_PASSWORD {REFUSAL}"]


def test_dotted_token_names_look_secret() -> None:
    assert looks_secret("api.token") and looks_secret("github.private.key")
