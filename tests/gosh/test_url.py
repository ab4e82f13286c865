"""gosh:// URLs: GOSH's form with an optional #ref:subdir suffix; clear errors for malformed ones."""

from __future__ import annotations

import pytest

from goshfile.errors import InputError
from goshfile.gosh.url import GoshUrl
from goshfile.spec.model import GOSH_URL

HEX = "0123456789abcdef" * 4
SYSTEM = f"0:{HEX}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"gosh://{SYSTEM}/dao/repo", GoshUrl(SYSTEM, "dao", "repo")),
        (
            f"gosh::network.gosh.sh://{SYSTEM}/gosh/binary-experiments",
            GoshUrl(SYSTEM, "gosh", "binary-experiments", "network.gosh.sh"),
        ),
        (f"gosh://alice@{SYSTEM}/dao/repo", GoshUrl(SYSTEM, "dao", "repo", account="alice")),
        (f"gosh::dev://default@{SYSTEM}/my_dao/re.po", GoshUrl(SYSTEM, "my_dao", "re.po", "dev", "default")),
        (f"gosh://{SYSTEM}/dao/repo#main", GoshUrl(SYSTEM, "dao", "repo", ref="main")),
        (f"gosh://{SYSTEM}/dao/repo#v1.2:src/app", GoshUrl(SYSTEM, "dao", "repo", ref="v1.2", subdir="src/app")),
        (f"gosh://{SYSTEM}/dao/repo#:lib", GoshUrl(SYSTEM, "dao", "repo", subdir="lib")),
        (f"gosh://{SYSTEM}/dao/repo#feature/x", GoshUrl(SYSTEM, "dao", "repo", ref="feature/x")),
    ],
)
def test_good_urls_parse_and_print_back(text: str, expected: GoshUrl) -> None:
    parsed = GoshUrl.parse(text)
    assert parsed == expected
    assert str(parsed) == text
    assert GoshUrl.parse(str(parsed)) == parsed
    assert GOSH_URL.match(text), "every URL we accept is also accepted by the goshfile schema"


def test_subdir_slashes_are_normalised() -> None:
    parsed = GoshUrl.parse(f"gosh://{SYSTEM}/dao/repo#main:/src/app/")
    assert parsed.subdir == "src/app"
    assert str(parsed) == f"gosh://{SYSTEM}/dao/repo#main:src/app"
    assert GoshUrl.parse(f"gosh://{SYSTEM}/dao/repo#main:").subdir is None


def test_identity_ignores_account_ref_and_subdir_and_address_case() -> None:
    plain = GoshUrl.parse(f"gosh://{SYSTEM}/dao/repo")
    other = GoshUrl.parse(f"gosh://bob@0:{HEX.upper()}/dao/repo#main:src")
    assert plain.identity == other.identity == f"gosh://{SYSTEM}/dao/repo"
    assert plain.key == other.key
    assert other.repository == f"gosh://bob@0:{HEX.upper()}/dao/repo"
    assert GoshUrl.parse(f"gosh::net://{SYSTEM}/dao/repo").key != plain.key
    assert GoshUrl.parse(f"gosh://{SYSTEM}/dao/other").key != plain.key


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "has no '://'"),
        (f"https://{SYSTEM}/dao/repo", "the scheme must be 'gosh', not 'https'"),
        (f"gosh:{SYSTEM}/dao/repo", "has no '://'"),
        (f"gosh::://{SYSTEM}/dao/repo", "invalid network name ''"),
        (f"gosh::bad/net://{SYSTEM}/dao/repo", "invalid network name 'bad/net'"),
        (f"gosh::-net://{SYSTEM}/dao/repo", "invalid network name '-net'"),
        (f"gosh://@{SYSTEM}/dao/repo", "invalid account ''"),
        ("gosh://0:1234/dao/repo", "invalid system contract address '0:1234'"),
        (f"gosh://{HEX}/dao/repo", "invalid system contract address"),
        (f"gosh://-1:{HEX}/dao/repo", "invalid system contract address"),
        (f"gosh://0:{HEX[:-1]}g/dao/repo", "invalid system contract address"),
        (f"gosh://{SYSTEM}/dao", "needs the system contract address, a DAO and a repository"),
        (f"gosh://{SYSTEM}", "needs the system contract address, a DAO and a repository"),
        (f"gosh://{SYSTEM}/dao/repo/extra", "too many path parts after the repository: 'extra'"),
        (f"gosh://{SYSTEM}/dao/repo/", "too many path parts"),
        (f"gosh://{SYSTEM}/../repo", "invalid DAO name '..'"),
        (f"gosh://{SYSTEM}/dao/..", "invalid repository name '..'"),
        (f"gosh://{SYSTEM}//repo", "invalid DAO name ''"),
        (f"gosh://{SYSTEM}/dao/.hidden", "invalid repository name '.hidden'"),
        (f"gosh://{SYSTEM}/dao/re%2fpo", "invalid repository name"),
        (f"gosh://{SYSTEM}/dao/repo#", "the '#' suffix is empty"),
        (f"gosh://{SYSTEM}/dao/repo#a..b", "invalid git ref 'a..b'"),
        (f"gosh://{SYSTEM}/dao/repo#-x", "invalid git ref '-x'"),
        (f"gosh://{SYSTEM}/dao/repo#main:../etc", "invalid subdirectory '../etc'"),
        (f"gosh://{SYSTEM}/dao/repo#main:a//b", "invalid subdirectory 'a//b'"),
        (f" gosh://{SYSTEM}/dao/repo", "white space"),
        (f"gosh://{SYSTEM}/dao/my repo", "white space"),
    ],
)
def test_bad_urls_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(InputError) as info:
        GoshUrl.parse(text)
    message = str(info.value)
    assert message.startswith(f"invalid gosh URL {text!r}: ")
    assert problem in message
    assert "gosh[::<network>]://[<account>@]0:<64 hex>/<dao>/<repo>" in message
