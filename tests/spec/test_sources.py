"""Gosh sources in goshfiles: forms, validation and the build-context names that carry them."""

from __future__ import annotations

import pytest

from goshfile.errors import SpecError
from goshfile.spec import load_text
from goshfile.spec.sources import SourceUse, split_url, uses

URL = "gosh://0:" + "1" * 64 + "/dao/repo"
COMMIT = "a" * 40
OTHER = "b" * 40


def load(body: str, *, allow_refs: bool = False) -> list[SourceUse]:
    text = f"apiVersion: 1\nimage: bash:latest\n{body}"
    return list(uses(load_text(text, "g.yaml", {}, allow_refs=allow_refs).spec))


def errors(body: str, *, allow_refs: bool = False) -> list[str]:
    with pytest.raises(SpecError) as info:
        load(body, allow_refs=allow_refs)
    return [str(p) for p in info.value.problems]


def test_every_form_of_gosh_source_is_found_once() -> None:
    found = load(
        f"""sources:
  app: {{gosh: "{URL}", commit: "{COMMIT}"}}
steps:
  - name: mount inline
    run:
      command: [/bin/true]
      mounts:
        - {{gosh: "{URL}", commit: "{OTHER}", dst: /a}}
        - {{source: app, dst: /b}}
        - {{gosh: "{URL}#:sub/dir", commit: "{OTHER}", dst: /c}}
  - name: copy inline
    copy: {{gosh: "{URL}", commit: "{OTHER}", src: x, dst: /x}}
  - name: copy named
    copy: {{from: app, src: y, dst: /y}}
"""
    )
    assert [(u.url, u.revision, u.subdir) for u in found] == [
        (URL, COMMIT, ""),
        (URL, OTHER, ""),
        (URL, OTHER, "sub/dir"),
    ]
    assert found[0].path == ("sources", "app")


def test_context_names_depend_on_url_commit_and_subdir() -> None:
    base = SourceUse(URL, COMMIT, "", ())
    assert base.context_name().startswith("gosh-")
    assert base.context_name() == SourceUse(URL, COMMIT, "", ("elsewhere",)).context_name()
    assert base.context_name() != SourceUse(URL, OTHER, "", ()).context_name()
    assert base.context_name() != SourceUse(URL, COMMIT, "sub", ()).context_name()
    assert base.context_name() != SourceUse(URL.replace("repo", "other"), COMMIT, "", ()).context_name()
    ref = SourceUse(URL, "main", "", ())
    assert ref.context_name(COMMIT) == base.context_name()
    assert ref.pin_arg() == f"gosh-pin:{URL}#main"


def test_split_url_separates_ref_and_subdir() -> None:
    assert split_url(f"{URL}#main:/src/") == (URL, "main", "src")
    assert split_url(f"{URL}#:lib") == (URL, "", "lib")
    assert split_url(URL) == (URL, "", "")


def test_a_branch_needs_allow_refs() -> None:
    body = f'sources:\n  app: {{gosh: "{URL}", commit: main}}\n'
    problems = errors(body)
    assert problems == [
        "g.yaml:4:8: sources.app: 'main' is not a full commit id (40 hex); pin a commit, "
        "or let goshfile build resolve a branch or tag with --allow-ref"
    ]
    assert [u.revision for u in load(body, allow_refs=True)] == ["main"]


def test_a_ref_in_the_url_fragment_counts_as_the_revision() -> None:
    found = load(f'sources:\n  app: {{gosh: "{URL}#release:src"}}\n', allow_refs=True)
    assert [(u.revision, u.subdir) for u in found] == [("release", "src")]


def test_malformed_and_inconsistent_sources_are_errors() -> None:
    problems = errors(
        f"""sources:
  bad: {{gosh: "gosh://0:12/dao/repo", commit: "{COMMIT}"}}
  nocommit: {{gosh: "{URL}"}}
  shared: {{gosh: "{URL}", commit: "{COMMIT}"}}
steps:
  - name: shared
    run:
      command: [/bin/true]
      mounts:
        - {{source: shared, dst: /m}}
        - {{source: shared, commit: "{COMMIT}", dst: /n}}
        - {{gosh: "{URL}", dst: /o}}
  - name: both
    copy: {{gosh: "{URL}", commit: "{COMMIT}", from: shared, src: a, dst: /a}}
"""
    )
    joined = "\n".join(problems)
    assert "sources.bad.gosh: must be a gosh:// URL" in joined
    assert "sources.nocommit: a gosh source needs 'commit'" in joined
    assert "steps[0].run.mounts[1]: 'commit' goes with 'gosh', not with 'source'" in joined
    assert "steps[0].run.mounts[2]: a gosh mount needs 'commit'" in joined
    assert "steps[1].copy: a copy takes either 'from' or 'gosh', not both" in joined


def test_an_unknown_source_name_is_an_error() -> None:
    problems = errors(
        """steps:
  - name: x
    run:
      command: [/bin/true]
      mounts: [{source: missing, dst: /m}]
"""
    )
    assert problems == ["g.yaml:7:25: steps[0].run.mounts[0].source: no source named 'missing' in 'sources'"]


def test_a_source_and_a_step_cannot_share_a_name() -> None:
    problems = errors(
        f"""sources:
  same: {{gosh: "{URL}", commit: "{COMMIT}"}}
steps:
  - name: same
    run: {{command: [/bin/true]}}
"""
    )
    assert problems == ["g.yaml:4:3: sources.same: a source and a step cannot share a name"]
