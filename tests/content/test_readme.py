"""README sanitizing: GitHub's rendering survives, nothing a browser would execute does."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import requests

from syncer.readme import MAX_RENDERED_BYTES, sanitize_readme
from tests.fakegithub import FakeGitHub

REPO = "https://github.com/alice/demo"
LINK = 'rel="nofollow noopener noreferrer"'


class Elements(HTMLParser):
    """Every start tag of a fragment with its attributes, as a browser's tokenizer sees them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {name: value or "" for name, value in attrs}))


def clean(html: str, html_url: str = REPO, branch: str = "main") -> str:
    result = sanitize_readme(html, html_url, branch)
    assert result.skipped is None
    return result.html


def assert_inert(html: str) -> None:
    """No script-capable element, no handler, no style, only http(s)/mailto/fragment links, https images."""
    for tag, attributes in Elements(html).found:
        assert tag not in {"script", "style", "iframe", "object", "embed", "form", "meta", "base", "svg", "math"}
        for name, value in attributes.items():
            assert not name.startswith("on") and name not in {"style", "formaction", "action", "xlink:href"}
            if name == "href":
                assert value.startswith("#") or urlsplit(value).scheme in {"http", "https", "mailto"}, value
            if name in {"src", "fallback-src"}:
                assert urlsplit(value).scheme == "https", value
            if name == "srcset":
                assert all(urlsplit(c.split()[0]).scheme == "https" for c in value.split(",")), value


XSS_VECTORS = {
    "mixed-case scheme": '<a href="JaVaScRiPt:alert(1)">x</a>',
    "tab entity inside the scheme": '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "newline entity inside the scheme": '<a href="java&#10;script:alert(1)">x</a>',
    "decimal entity for the first letter": '<a href="&#106;avascript:alert(1)">x</a>',
    "hex entities for the whole scheme": (
        '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;:alert(1)">x</a>'
    ),
    "named colon entity": '<a href="javascript&colon;alert(1)">x</a>',
    "leading spaces": '<a href="  javascript:alert(1)">x</a>',
    "leading control characters": '<a href="&#1;&#2;javascript:alert(1)">x</a>',
    "vbscript": '<a href="vbscript:msgbox(1)">x</a>',
    "data URL in href": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "data URL in img src": '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    "javascript in img src": '<img src="javascript:alert(1)">',
    "plain http image": '<img src="http://example.com/a.png">',
    "srcset with javascript and http": '<img srcset="javascript:alert(1) 1x, http://example.com/a.png 2x">',
    "source srcset with data": (
        '<picture><source srcset="data:image/png;base64,AAAA"><img src="https://x.test/a.png"></picture>'
    ),
    "emoji fallback with javascript": '<g-emoji class="g-emoji" fallback-src="javascript:alert(1)">x</g-emoji>',
    "script": "<script>alert(1)</script>",
    "script with odd casing and spaces": "<ScRiPt >alert(1)</sCrIpT >",
    "img onerror": "<img src=x onerror=alert(1)>",
    "event handler on a paragraph": '<p onmouseover="alert(1)">hover</p>',
    "svg onload": "<svg onload=alert(1)><circle r=10></circle></svg>",
    "svg script": "<svg><script>alert(1)</script></svg>",
    "svg use with xlink": '<svg><use xlink:href="data:image/svg+xml,<svg id=x onload=alert(1)>#x"></use></svg>',
    "math namespace confusion": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "math href": '<math href="javascript:alert(1)"><mi>x</mi></math>',
    "unclosed tags": '<a href="javascript:alert(1)"><img src=x onerror=alert(1) <b>',
    "unclosed attribute quote": '<img src="https://x.test/a.png onerror=alert(1)//">',
    "style attribute": '<p style="background:url(javascript:alert(1))">x</p>',
    "style element": "<style>body{background:url(javascript:alert(1))}</style>",
    "iframe": '<iframe src="https://evil.test"></iframe>',
    "iframe srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "object and embed": '<object data="evil.swf"></object><embed src="evil.swf">',
    "form with formaction": '<form><button formaction="javascript:alert(1)">go</button></form>',
    "input formaction": '<input type="submit" formaction="javascript:alert(1)">',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base href": '<base href="javascript:alert(1)//">',
    "comment breaking out": "<!--><img src=x onerror=alert(1)>-->",
    "noscript mutation": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "template": "<template><script>alert(1)</script></template>",
    "details ontoggle": "<details open ontoggle=alert(1)><summary>x</summary></details>",
}


@pytest.mark.parametrize("html", XSS_VECTORS.values(), ids=XSS_VECTORS.keys())
def test_classic_xss_vectors_come_out_inert(html):
    assert_inert(clean(html))


@pytest.mark.parametrize(
    "href",
    ["JaVaScRiPt:alert(1)", "jav&#x09;ascript:alert(1)", "&#106;avascript:alert(1)", "  javascript:alert(1)",
     "vbscript:msgbox(1)", "data:text/html,hi"],  # fmt: skip
)
def test_unsafe_link_urls_are_removed_but_the_link_text_stays(href):
    assert clean(f'<p><a href="{href}">read me</a></p>') == f"<p><a {LINK}>read me</a></p>"


def test_script_style_and_embedding_elements_are_removed_with_their_content():
    cleaned = clean("<p>a</p><script>x()</script><style>p{}</style><iframe>frame</iframe><form>f</form><p>b</p>")
    assert cleaned == "<p>a</p><p>b</p>"


def test_unclosed_tags_are_closed():
    assert clean("<p>one <b>two <i>three") == "<p>one <b>two <i>three</i></b></p>"


def test_heading_anchors_survive_without_their_svg_icon():
    # GitHub's rendering of "## Getting started" (octicon path shortened).
    rendered = (
        '<div class="markdown-heading" dir="auto"><h2 tabindex="-1" class="heading-element" dir="auto">'
        'Getting started</h2><a id="user-content-getting-started" class="anchor" aria-label="Permalink: '
        'Getting started" href="#getting-started"><svg class="octicon octicon-link" viewBox="0 0 16 16" '
        'version="1.1" width="16" height="16" aria-hidden="true"><path d="m7.775 3.275 1.25-1.25"></path>'
        "</svg></a></div>"
    )
    assert clean(rendered) == (
        '<div class="markdown-heading" dir="auto"><h2 class="heading-element" dir="auto">Getting started</h2>'
        '<a id="user-content-getting-started" class="anchor" aria-label="Permalink: Getting started" '
        f'href="#getting-started" {LINK}></a></div>'
    )


def test_ids_without_github_prefix_get_it_so_they_cannot_clobber_the_page():
    assert clean('<h2 id="top">x</h2><a name="login">y</a>') == (
        f'<h2 id="user-content-top">x</h2><a name="user-content-login" {LINK}>y</a>'
    )


def test_tables_keep_their_alignment():
    rendered = (
        '<markdown-accessiblity-table><table>\n<thead>\n<tr>\n<th align="left">Name</th>\n'
        '<th align="right">Stars</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td align="left">demo</td>\n'
        '<td align="right">7</td>\n</tr>\n</tbody>\n</table></markdown-accessiblity-table>'
    )
    assert clean(rendered) == rendered.removeprefix("<markdown-accessiblity-table>").removesuffix(
        "</markdown-accessiblity-table>"
    )


def test_task_lists_keep_disabled_checkboxes():
    rendered = (
        '<ul class="contains-task-list">\n<li class="task-list-item"><input type="checkbox" id="" disabled="" '
        'class="task-list-item-checkbox" checked=""> done</li>\n<li class="task-list-item"><input type="checkbox" '
        'id="" disabled="" class="task-list-item-checkbox"> to do</li>\n</ul>'
    )
    assert clean(rendered) == (
        '<ul class="contains-task-list">\n<li class="task-list-item"><input disabled="" class="task-list-item-checkbox" '
        'checked="" type="checkbox"> done</li>\n<li class="task-list-item"><input disabled="" '
        'class="task-list-item-checkbox" type="checkbox"> to do</li>\n</ul>'
    )


def test_any_other_input_becomes_a_checkbox():
    assert clean('<input type="password" name="p" value="secret" autofocus onfocus="x()">') == (
        '<input type="checkbox">'
    )


def test_highlighted_code_keeps_its_syntax_classes():
    rendered = (
        '<div class="highlight highlight-source-python notranslate position-relative overflow-auto" dir="auto">'
        '<pre><span class="pl-k">def</span> <span class="pl-en">greet</span>(<span class="pl-s1">name</span>):\n'
        '    <span class="pl-k">return</span> <span class="pl-s">f"hi <span class="pl-s1"><span class="pl-kos">'
        '{</span><span class="pl-s1">name</span><span class="pl-kos">}</span></span>"</span></pre>'
        '<div class="zeroclipboard-container">\n    <clipboard-copy aria-label="Copy" class="ClipboardButton btn '
        'js-clipboard-copy m-2 p-0" data-copy-feedback="Copied!" value="def greet(name):" tabindex="0" role="button">'
        '<svg aria-hidden="true" class="octicon octicon-copy"><path d="M0 6.75"></path></svg></clipboard-copy>\n'
        "  </div></div>"
    )
    cleaned = clean(rendered)
    assert cleaned.startswith(
        '<div class="highlight highlight-source-python notranslate position-relative overflow-auto" dir="auto">'
        '<pre><span class="pl-k">def</span> <span class="pl-en">greet</span>'
    )
    assert 'f"hi <span class="pl-s1"><span class="pl-kos">{</span>' in cleaned
    assert "ClipboardButton" not in cleaned and "clipboard-copy" not in cleaned and "<svg" not in cleaned
    assert '<div>\n    \n  </div>' in cleaned  # the copy button's container, emptied and unclassed


def test_plain_code_blocks_and_inline_code_survive():
    rendered = (
        '<div class="snippet-clipboard-content notranslate position-relative overflow-auto"><pre class="notranslate">'
        "<code>pip install demo &amp;&amp; demo --help\n</code></pre></div><p dir=\"auto\">Run <code>demo</code>.</p>"
    )
    assert clean(rendered) == rendered


def test_unknown_classes_are_dropped():
    assert clean('<p class="fixed-top modal highlight">x</p>') == '<p class="highlight">x</p>'
    assert clean('<span class="position-fixed">x</span>') == "<span>x</span>"


def test_emoji_survive():
    rendered = (
        '<p dir="auto">Ship it <g-emoji class="g-emoji" alias="rocket" '
        'fallback-src="https://github.githubassets.com/images/icons/emoji/unicode/1f680.png">🚀</g-emoji> '
        '<img class="emoji" title=":octocat:" alt=":octocat:" '
        'src="https://github.githubassets.com/images/icons/emoji/octocat.png" height="20" width="20" '
        'align="absmiddle"></p>'
    )
    assert clean(rendered) == rendered


def test_github_root_relative_links_and_images_become_absolute():
    # GitHub renders a README's relative links as /OWNER/NAME/blob/... and images as /OWNER/NAME/raw/...
    rendered = (
        '<p dir="auto"><a target="_blank" rel="noopener noreferrer" href="/alice/demo/blob/main/docs/logo.png">'
        '<img src="/alice/demo/raw/main/docs/logo.png" alt="logo" style="max-width: 100%;"></a></p>'
    )
    assert clean(rendered) == (
        f'<p dir="auto"><a href="https://github.com/alice/demo/blob/main/docs/logo.png" {LINK}>'
        '<img src="https://github.com/alice/demo/raw/main/docs/logo.png" alt="logo"></a></p>'
    )


def test_path_relative_links_resolve_against_blob_and_images_against_raw_of_the_default_branch():
    cleaned = clean(
        '<a href="docs/guide.md#usage">guide</a><img src="./img/shot.png"><a href="../other">o</a>', branch="dev"
    )
    assert cleaned == (
        f'<a href="https://github.com/alice/demo/blob/dev/docs/guide.md#usage" {LINK}>guide</a>'
        '<img src="https://github.com/alice/demo/raw/dev/img/shot.png">'
        f'<a href="https://github.com/alice/demo/blob/other" {LINK}>o</a>'
    )


def test_branch_names_are_quoted_in_urls():
    assert clean('<img src="a.png">', branch="feature/ü b") == (
        '<img src="https://github.com/alice/demo/raw/feature/%C3%BC%20b/a.png">'
    )


def test_fragment_links_are_kept():
    assert clean('<a href="#installation">Install</a>') == f'<a href="#installation" {LINK}>Install</a>'


def test_every_link_gets_nofollow_noopener_noreferrer_whatever_it_had():
    assert clean('<a href="https://example.com" rel="opener" target="_blank">x</a>') == (
        f'<a href="https://example.com" {LINK}>x</a>'
    )


def test_protocol_relative_urls_become_https():
    assert clean('<img src="//cdn.example.com/a.png">') == '<img src="https://cdn.example.com/a.png">'


def test_mailto_links_stay():
    assert clean('<a href="mailto:me@example.com">mail</a>') == f'<a href="mailto:me@example.com" {LINK}>mail</a>'


def test_picture_sources_keep_https_and_resolve_relative_candidates():
    rendered = (
        '<picture><source media="(prefers-color-scheme: dark)" srcset="docs/dark.png 1x, docs/dark@2x.png 2x">'
        '<img alt="Logo" src="docs/light.png" srcset="http://example.com/a.png 1x, https://example.com/b.png 640w">'
        "</picture>"
    )
    assert clean(rendered) == (
        '<picture><source media="(prefers-color-scheme: dark)" srcset="https://github.com/alice/demo/raw/main/'
        'docs/dark.png 1x, https://github.com/alice/demo/raw/main/docs/dark@2x.png 2x">'
        '<img alt="Logo" src="https://github.com/alice/demo/raw/main/docs/light.png" '
        'srcset="https://example.com/b.png 640w"></picture>'
    )


def test_srcset_with_a_bad_descriptor_loses_that_candidate():
    assert clean('<img srcset="https://x.test/a.png 1x onerror, https://x.test/b.png 2x">') == (
        '<img srcset="https://x.test/b.png 2x">'
    )


def test_details_summary_blockquote_kbd_sup_sub_and_rules_survive():
    rendered = (
        '<details open=""><summary>More</summary><blockquote>\n<p dir="auto">Press <kbd>Ctrl</kbd>+<kbd>C</kbd>, '
        "H<sub>2</sub>O, x<sup>2</sup></p>\n</blockquote><hr><br></details>"
    )
    assert clean(rendered) == rendered


def test_enterprise_base_urls_are_derived_from_the_html_url():
    cleaned = clean(
        '<a href="/team/tool/blob/trunk/CONTRIBUTING.md">c</a><img src="/team/tool/raw/trunk/logo.png">'
        '<a href="LICENSE">l</a><img src="shot.png">',
        html_url="https://ghe.example.com/team/tool",
        branch="trunk",
    )
    assert cleaned == (
        f'<a href="https://ghe.example.com/team/tool/blob/trunk/CONTRIBUTING.md" {LINK}>c</a>'
        '<img src="https://ghe.example.com/team/tool/raw/trunk/logo.png">'
        f'<a href="https://ghe.example.com/team/tool/blob/trunk/LICENSE" {LINK}>l</a>'
        '<img src="https://ghe.example.com/team/tool/raw/trunk/shot.png">'
    )


def test_images_of_an_http_only_enterprise_server_are_dropped_but_links_kept():
    cleaned = clean('<a href="LICENSE">l</a><img src="shot.png" alt="s">', html_url="http://ghe.local/team/tool")
    assert cleaned == f'<a href="http://ghe.local/team/tool/blob/main/LICENSE" {LINK}>l</a><img alt="s">'


def test_a_readme_over_one_mebibyte_is_not_stored():
    rendered = "<p>" + "x" * MAX_RENDERED_BYTES + "</p>"
    result = sanitize_readme(rendered, REPO, "main")
    assert result.html is None and str(MAX_RENDERED_BYTES) in result.skipped


def test_size_is_measured_in_utf8_bytes():
    just_over = "é" * (MAX_RENDERED_BYTES // 2 + 1)
    assert sanitize_readme(just_over, REPO, "main").html is None
    assert sanitize_readme("é" * (MAX_RENDERED_BYTES // 2), REPO, "main").html is not None


def test_the_same_readme_sanitizes_to_the_same_bytes_in_every_process():
    # A stored README that changed from run to run would bump the generation with nothing changed.
    program = (
        "from syncer.readme import sanitize_readme; print(sanitize_readme("
        "'<p><input type=checkbox checked disabled> <a href=x>y</a></p>', 'https://github.com/a/b', 'main').html)"
    )
    outputs = {subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True).stdout
               for _ in range(6)}  # fmt: skip
    assert len(outputs) == 1


def test_a_readme_served_by_the_fake_github_sanitizes_to_its_content_with_absolute_urls():
    with FakeGitHub(base_path="/api/v3") as gh:
        gh.populate(owners=["alice"], n=1)
        repo = gh.snapshot()[0]
        answer = requests.get(
            f"{gh.url}/repos/alice/{repo['name']}/readme",
            headers={"Accept": "application/vnd.github.html+json"},
            timeout=10,
        )
    cleaned = clean(answer.text, repo["html_url"], repo["default_branch"])
    assert_inert(cleaned)
    base = f"{repo['html_url']}/raw/{repo['default_branch']}"
    assert f'<img src="{base}/docs/screenshot.png" alt="screenshot">' in cleaned
    assert f'<a id="user-content-{repo["name"]}" class="anchor"' in cleaned
    assert '<g-emoji class="g-emoji" alias="rocket"' in cleaned and 'class="task-list-item"' in cleaned
