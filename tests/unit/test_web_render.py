"""Rendering for the dashboard: sanitized Markdown, links, diffs and the step labels."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from app.web.render import diff_lines, highlight_code, markdown_html, safe_link, sanitize_html
from app.web.templating import step_label


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=https://example.com></iframe>",
        '<svg onload="alert(1)"></svg>',
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    ],
)
def test_markdown_never_yields_active_content(text: str) -> None:
    tags = Tags()
    tags.feed(str(markdown_html(text)))
    assert not {"script", "img", "iframe", "svg"} & {t for t, _ in tags.seen}
    for _tag, attrs in tags.seen:
        for name, value in attrs:
            assert not name.startswith("on")
            assert not (value or "").strip().lower().startswith(("javascript:", "data:"))


class Tags(HTMLParser):
    """Every element and its attributes, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append((tag, attrs))


def test_markdown_keeps_the_formatting_people_expect() -> None:
    html = str(markdown_html("# Title\n\n- **bold** and `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert "<table>" in html and "<td>1</td>" in html
    link = str(markdown_html("[docs](https://example.com/x)"))
    assert 'href="https://example.com/x"' in link and "noopener" in link


def test_replies_keep_single_line_breaks() -> None:
    assert "<br" in str(markdown_html("one\ntwo", breaks=True))
    assert "<br" not in str(markdown_html("one\ntwo"))


def test_sanitizer_drops_what_markdown_would_not_make() -> None:
    out = str(sanitize_html('<p style="x" onclick="y">hi</p><form><input></form>'))
    assert out == "<p>hi</p>"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://digikey.com/x", "https://digikey.com/x"),
        ("  http://a.b ", "http://a.b"),
        ("javascript:alert(1)", None),
        ("data:text/html,x", None),
        ("//evil.example", None),
        (None, None),
    ],
)
def test_only_http_links_are_linked(url: str | None, expected: str | None) -> None:
    assert safe_link(url) == expected


def test_code_is_escaped_by_the_highlighter() -> None:
    html = str(highlight_code('char *s = "</pre><script>x</script>";', "c"))
    assert "<script>" not in html and "&lt;/pre&gt;&lt;script&gt;" in html
    assert "hl" in html
    assert "&lt;b&gt;" in str(highlight_code("<b>", "no-such-language"))


def test_diff_lines_are_numbered_on_both_sides() -> None:
    lines = diff_lines("a\nb\nc\n", "a\nB\nc\nd\n", "v1", "v2")
    body = [(ln.kind, ln.text, ln.old, ln.new) for ln in lines if ln.kind not in ("file", "hunk")]
    assert body == [
        ("ctx", "a", 1, 1),
        ("del", "b", 2, None),
        ("add", "B", None, 2),
        ("ctx", "c", 3, 3),
        ("add", "d", None, 4),
    ]
    assert diff_lines("same\n", "same\n", "v1", "v2") == []


@pytest.mark.parametrize(
    ("node", "label"),
    [
        ("input", "message in"),
        ("__start__", "start"),
        ("classify", "classify"),
        ("bom_generator", "Parts list"),
        ("bom_generator_tools", "parts list tools"),
        ("fork:classify", "fork → classify"),
    ],
)
def test_timeline_steps_read_as_words(node: str, label: str) -> None:
    assert step_label(node) == label
