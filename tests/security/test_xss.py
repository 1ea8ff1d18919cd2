"""Author Markdown against known XSS payloads: nothing that can run script survives sanitising."""

import re
from html.parser import HTMLParser

import pytest

from modules.markdown import render_markdown

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<img src=`javascript:alert(1)`>",
    '<svg onload="alert(1)"><circle r=1></circle></svg>',
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](jav&#x09;ascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    "![x](javascript:alert(1))",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<div style="width: expression(alert(1))">x</div>',
    "<style>@import 'javascript:alert(1)';</style>",
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<input autofocus onfocus="alert(1)">',
    '<details open ontoggle="alert(1)">x</details>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<a href="#" onmouseover="alert(1)">hover</a>',
    '<base href="javascript:alert(1)//">',
    '<video><source onerror="alert(1)"></video>',
    "<isindex type=image src=1 onerror=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    '<p title="</p><script>alert(1)</script>">x</p>',
    "`<script>alert(1)</script>`",
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
]

ALLOWED_SCHEMES = ("http:", "https:", "mailto:")


class ActiveContent(HTMLParser):
    """Collects every tag and attribute that could run script; escaped text is harmless and ignored."""

    DANGEROUS_TAGS = {
        "script",
        "iframe",
        "object",
        "embed",
        "style",
        "link",
        "meta",
        "form",
        "input",
        "base",
        "svg",
        "math",
        "video",
        "audio",
        "source",
        "details",
        "isindex",
        "frame",
        "frameset",
    }

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag in self.DANGEROUS_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcdoc", "formaction", "background"):
                self.found.append(f"{tag}[{name}]")
            if name in ("href", "src", "action") and value is not None:
                url = re.sub(r"[\x00-\x20]", "", value).lower()
                if ":" in url.split("/")[0] and not url.startswith(ALLOWED_SCHEMES):
                    self.found.append(f"{tag}[{name}={value!r}]")


def active_content(html):
    parser = ActiveContent()
    parser.feed(html)
    return parser.found


def test_there_are_at_least_30_payloads():
    assert len(PAYLOADS) >= 30


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_neutralised(payload):
    html = render_markdown(f"Text before.\n\n{payload}\n\nText after.")
    assert active_content(html) == [], html
    # Text after an unclosed <style> is dropped with it, which is safe; the text before always stays.
    assert "Text before." in html


def test_the_checker_itself_catches_active_content():
    assert active_content('<a href="javascript:alert(1)">x</a><img onerror="x"><script></script>') == [
        "a[href='javascript:alert(1)']",
        "img[onerror]",
        "<script>",
    ]
