"""The threat model (docs/security.md) and docs/invariants.md cite a test for each claim as
`path::test_name`: every citation must name a test that exists, so a renamed or deleted test
cannot leave a claim standing on nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DOCS = ("docs/security.md", "docs/invariants.md")
CITATION = re.compile(r"`(tests/[\w/]+\.(?:py|sol))::(\w+)`")
CITED_FILE = re.compile(r"`(tests/[\w/.]+\.(?:py|sol))`")


@pytest.fixture(autouse=True)
def isolation():
    """No chain needed here."""
    yield


def _citations() -> list[tuple[str, str, str]]:
    found = []
    for doc in DOCS:
        text = (ROOT / doc).read_text()
        found += [(doc, path, name) for path, name in CITATION.findall(text)]
    return found


def test_the_threat_model_cites_tests():
    # A floor, so that a change of citation style cannot make the check below vacuous.
    assert len({(path, name) for _, path, name in _citations()}) >= 250


@pytest.mark.parametrize("doc", DOCS)
def test_every_cited_test_exists(doc):
    missing = []
    for cited_in, path, name in _citations():
        if cited_in != doc:
            continue
        source = ROOT / path
        if not source.is_file():
            missing.append(f"{path} (no such file)")
        elif not re.search(rf"^\s*(?:def|function) {name}\b", source.read_text(), re.MULTILINE):
            missing.append(f"{path}::{name}")
    assert not missing, f"{doc} cites tests that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS)
def test_every_cited_test_file_exists(doc):
    text = (ROOT / doc).read_text()
    missing = sorted({path for path in CITED_FILE.findall(text) if not (ROOT / path).is_file()})
    assert not missing, f"{doc} cites files that do not exist: {missing}"
