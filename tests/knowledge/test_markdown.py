"""Article bodies are Markdown; no HTML typed into them reaches the page as markup."""

import re

import pytest

from dealership.knowledge.markdown import markdown_to_text, render_markdown


def test_markdown_renders_its_own_formatting():
    html = render_markdown(
        "# Title\n\n**bold** and [a link](https://example.com/a)\n\n- one\n- two"
    )

    assert "<h2>Title</h2>" in html  # the page's h1 is the article title
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.com/a" rel="noopener noreferrer nofollow">a link</a>' in html
    assert "<li>one</li>" in html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "Hello <script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">click</a>',
        "[click](javascript:alert(1))",
        "[click](JAVASCRIPT:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<iframe src='https://evil.example'></iframe>",
        "![img](javascript:alert(1))",
    ],
)
def test_raw_html_and_script_links_do_not_survive(source):
    html = render_markdown(source).lower()

    assert "<script" not in html
    assert "<img" not in html
    assert "<iframe" not in html
    assert "onerror=" not in html or "&lt;img" in html
    # (escaped, the typed HTML shows as text: "&lt;a href=...")
    assert not re.search(r"<a\s[^>]*href=\"(javascript|vbscript|data):", html)


def test_safe_links_keep_their_schemes():
    html = render_markdown("[call](tel:+493415550100) [mail](mailto:a@example.com)")

    assert 'href="tel:+493415550100"' in html
    assert 'href="mailto:a@example.com"' in html


def test_markdown_to_text_keeps_the_words():
    assert markdown_to_text("## Head\n**bold** [link](https://x.example) _it_") == (
        "Head bold link it"
    )
