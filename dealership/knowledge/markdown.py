"""Markdown to safe HTML, for articles written in admin and shown on public pages.

Two locks: markdown-it-py (CommonMark) with raw HTML switched off escapes any tag typed into
the Markdown and refuses javascript:/vbscript:/data: link targets; nh3 (the Rust ammonia
sanitiser) then keeps only an allow-list of tags, attributes and URL schemes, so a bug or a
plugin in the first cannot let script through."""

import re

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"style"}, "td": {"style"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_parser.enable("table")


def render_markdown(source: str) -> str:
    """Safe HTML for `source` (Markdown). Headings start at h2: the page's h1 is the title."""
    html = _parser.render(source or "")
    html = re.sub(r"<(/?)h1>", r"<\1h2>", html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )


_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"(^|\s)#{1,6}\s|[*_`>|~]+", re.MULTILINE)


def markdown_to_text(source: str) -> str:
    """Markdown reduced to its words (links to their text), for search snippets."""
    text = _LINK.sub(r"\1", source or "")
    text = _MARKUP.sub(r"\1", text)
    return re.sub(r"\s+", " ", text).strip()
