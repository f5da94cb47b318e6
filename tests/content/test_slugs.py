"""sitegen.content.slugs: safe, short, stable slugs; deterministic disambiguation; the same-paper key."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.content.slugs import MAX_LENGTH, disambiguated, is_slug, slugify, title_key

REPO = Path(__file__).resolve().parents[2]
SAFE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Attention Is All You Need", "attention-is-all-you-need"),
        ("CodeRL+: Improving Code Generation", "coderl-improving-code-generation"),
        ("LMM-R1: Empowering 3B LMMs", "lmm-r1-empowering-3b-lmms"),
        ("Über Café Naïve Ångström", "uber-cafe-naive-angstrom"),
        ("  --Hello__World--  ", "hello-world"),
        ("<script>alert(1)</script>", "script-alert-1-script"),
        ("../../x", "x"),
        ("../../../etc/passwd", "etc-passwd"),
        ("C:\\Windows\\system32", "c-windows-system32"),
        ("a/b", "a-b"),
        ("/", "paper"),
        (":", "paper"),
        ("..", "paper"),
        ("", "paper"),
        ("日本語の論文", "paper"),
        ("🤔 Thinking", "thinking"),
        ("$O(n^2)$ & 45\\%", "o-n-2-45"),
    ],
)
def test_slugify_table(title: str, slug: str) -> None:
    assert slugify(title) == slug


def _is_safe(slug: str) -> bool:
    return bool(SAFE.fullmatch(slug)) and len(slug) <= MAX_LENGTH and is_slug(slug)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_title_gives_a_safe_short_slug(title: str) -> None:
    slug = slugify(title)
    assert _is_safe(slug), slug
    assert ".." not in slug and "/" not in slug and "\\" not in slug


def test_length_cap_cuts_at_a_word_boundary() -> None:
    title = " ".join(f"word{n}" for n in range(40))
    slug = slugify(title)
    full = "-".join(f"word{n}" for n in range(40))
    assert len(slug) <= MAX_LENGTH
    assert full.startswith(slug) and full[len(slug)] == "-"
    assert len(slug) > MAX_LENGTH - len("word39-")


def test_length_cap_of_one_long_word() -> None:
    assert slugify("x" * 300) == "x" * MAX_LENGTH


def test_slug_is_stable_across_processes() -> None:
    """No hash randomisation or run state: another interpreter computes the same slugs."""
    titles = [
        "Alignment faking in large language models",
        "<script>",
        "日本語",
        "x" * 200,
    ]
    code = (
        "import json, sys; from sitegen.content.slugs import slugify, disambiguated;"
        "titles = json.load(sys.stdin);"
        "print(json.dumps([[slugify(t), disambiguated(slugify(t), t)] for t in titles]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(titles),
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=REPO,
    ).stdout
    assert json.loads(out) == [
        [slugify(t), disambiguated(slugify(t), t)] for t in titles
    ]


# --- disambiguation ---------------------------------------------------------------------------------

COLLIDING = [  # one slug, four different papers
    "Scaling Laws for α",
    "Scaling Laws for β",
    "Scaling Laws for γ!",
    "Scaling laws for δ",
]


def test_colliding_titles_share_a_slug_but_get_distinct_suffixes() -> None:
    assert {slugify(t) for t in COLLIDING} == {"scaling-laws-for"}
    suffixed = [disambiguated("scaling-laws-for", t) for t in COLLIDING]
    assert len(set(suffixed)) == len(COLLIDING)
    for slug in suffixed:
        assert _is_safe(slug) and re.fullmatch(r"scaling-laws-for-[0-9a-f]+", slug), (
            slug
        )


def test_disambiguation_is_independent_of_order() -> None:
    forward = {t: disambiguated(slugify(t), t) for t in COLLIDING}
    backward = {t: disambiguated(slugify(t), t) for t in reversed(COLLIDING)}
    assert forward == backward


def test_disambiguation_depends_on_the_paper_not_its_spelling() -> None:
    """A suffix follows the paper: the same title spelt differently gets the same suffix."""
    assert disambiguated("x", "Scaling Laws for α") == disambiguated(
        "x", "scaling  laws FOR α."
    )


def test_disambiguated_long_slug_stays_within_the_cap() -> None:
    title = " ".join(f"word{n}" for n in range(40))
    slug = disambiguated(slugify(title), title)
    assert _is_safe(slug)
    assert slug.startswith(slugify(title)[:60])


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=150))
def test_disambiguated_is_always_a_safe_slug(title: str) -> None:
    slug = disambiguated(slugify(title), title)
    assert _is_safe(slug) and slug != slugify(title)


# --- title_key: what makes two titles the same paper -----------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Alignment Faking in LLMs", "alignment faking in llms"),
        ("Alignment Faking in LLMs", "Alignment-Faking in LLMs!"),
        ("Alignment  Faking\tin LLMs", "Alignment Faking in LLMs"),
        ("Café Alignment", "Cafe alignment"),
        ("CodeRL+: Code", "CodeRL: Code"),
    ],
)
def test_same_paper(a: str, b: str) -> None:
    assert title_key(a) == title_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Alignment Faking in LLMs", "Alignment Faking in VLMs"),
        ("Scaling Laws for α", "Scaling Laws for β"),
        ("LLM Alignment", "LLMAlignment"),
    ],
)
def test_different_papers(a: str, b: str) -> None:
    assert title_key(a) != title_key(b)


@given(st.text(st.characters(max_codepoint=0x7F), max_size=30).filter(lambda title: any(map(str.isalnum, title))))
def test_an_ascii_title_has_the_key_the_unicode_rules_give(title: str) -> None:
    """ASCII titles take a shortcut; a leading combining accent (dropped by the rules) sends the same title
    the long way."""
    assert title_key(title) == title_key("\u0301" + title)


@pytest.mark.parametrize("text", ["a", "paper", "a-b", "x" * MAX_LENGTH, "2024-review"])
def test_is_slug_accepts(text: str) -> None:
    assert is_slug(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "-a",
        "a-",
        "a--b",
        "A",
        "a_b",
        "a/b",
        "../x",
        "a.b",
        "é",
        "x" * (MAX_LENGTH + 8),
    ],
)
def test_is_slug_rejects(text: str) -> None:
    assert not is_slug(text)
