"""sitegen.site.identifiers: from a paper's ids to the links a reader follows, and searches when it has none."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from sitegen.model import Paper
from sitegen.site.identifiers import card_links, finding_links, reading_links


def paper(**fields: object) -> Paper:
    return Paper(slug="p", title="Tree of Thoughts: Deliberate Problem Solving & More", body="", **fields)  # type: ignore[arg-type]


def test_an_arxiv_id_gives_the_abstract_the_pdf_and_the_hugging_face_page() -> None:
    links = reading_links(paper(arxiv="2305.10601v3"))
    assert [(link.label, link.url) for link in links] == [
        ("arXiv", "https://arxiv.org/abs/2305.10601v3"),
        ("PDF", "https://arxiv.org/pdf/2305.10601v3"),
        ("Hugging Face", "https://huggingface.co/papers/2305.10601"),  # the paper page knows no versions
    ]
    assert finding_links(paper(arxiv="2305.10601v3")) == ()


def test_old_style_ids_doi_own_page_pdf_code_and_project() -> None:
    links = reading_links(
        paper(
            arxiv="cs/0101001", doi="10.1145/3292500.3330701", url="https://example.org/tot", pdf="https://example.org/tot.pdf",
            links=("https://github.com/princeton-nlp/tree-of-thought-llm", "https://tot.example.org/", "https://example.org/tot"),
        )
    )
    assert [(link.kind, link.url) for link in links] == [
        ("arxiv", "https://arxiv.org/abs/cs/0101001"),
        ("pdf", "https://example.org/tot.pdf"),
        ("hf", "https://huggingface.co/papers/cs/0101001"),
        ("doi", "https://doi.org/10.1145/3292500.3330701"),
        ("page", "https://example.org/tot"),
        ("code", "https://github.com/princeton-nlp/tree-of-thought-llm"),
        ("project", "https://tot.example.org/"),
    ]


@pytest.mark.parametrize("fields", [{}, {"links": ("https://github.com/org/repo",)}])
def test_a_paper_without_identifier_gets_title_searches(fields: dict[str, object]) -> None:
    searches = finding_links(paper(**fields))
    assert [link.kind for link in searches] == ["search", "search"]
    arxiv, hugging_face = (urlsplit(link.url) for link in searches)
    assert (arxiv.hostname, arxiv.path, parse_qs(arxiv.query)) == (
        "arxiv.org", "/search/", {"query": ["Tree of Thoughts: Deliberate Problem Solving & More"], "searchtype": ["title"]}
    )
    assert (hugging_face.hostname, parse_qs(hugging_face.query)) == (
        "huggingface.co", {"q": ["Tree of Thoughts: Deliberate Problem Solving & More"]}
    )


def test_cards_show_arxiv_and_pdf_or_the_doi() -> None:
    assert [link.label for link in card_links(paper(arxiv="2305.10601"))] == ["arXiv", "PDF"]
    assert [link.label for link in card_links(paper(doi="10.1/x"))] == ["DOI"]
    assert card_links(paper(links=("https://github.com/org/repo",))) == ()
