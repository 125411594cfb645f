"""Make GitHub's rendered README HTML safe to insert into another site's page, with nh3.

GitHub answers ``GET /repos/{owner}/{name}/readme`` with ``Accept: application/vnd.github.html+json``
with the README as rendered HTML. `sanitize_readme` keeps what that rendering uses (headings and
their anchors, tables, task lists, highlighted code, emoji, pictures) on an allow-list, removes
everything a browser would execute, and makes relative links and images absolute against the
repository's default branch, so that they work on another site.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from urllib.parse import quote, urljoin, urlsplit

import nh3

#: A README rendered larger than this is not stored.
MAX_RENDERED_BYTES = 1024 * 1024
LINK_REL = "nofollow noopener noreferrer"
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE_SCHEMES = frozenset({"https"})
#: The prefix GitHub gives every id in rendered Markdown, so that it cannot clobber the page's own ids.
ID_PREFIX = "user-content-"

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_TAGS = {
    *_HEADINGS, "p", "br", "hr", "div", "span", "section", "a", "img", "picture", "source",
    "strong", "b", "em", "i", "u", "s", "del", "ins", "strike", "mark", "small", "sup", "sub", "kbd",
    "code", "pre", "samp", "var", "abbr", "q", "cite", "blockquote", "details", "summary",
    "ul", "ol", "li", "dl", "dt", "dd", "input",
    "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
    "g-emoji",
}  # fmt: skip
#: Removed with everything inside them (other unknown tags are removed but keep their text).
_CLEAN_CONTENT_TAGS = {
    "script", "style", "svg", "math", "template", "noscript", "iframe", "frame", "frameset",
    "object", "embed", "applet", "form", "button", "select", "textarea", "meta", "base", "link", "title",
}  # fmt: skip
_TEXT = {"class", "dir", "align"}
_CELL = _TEXT | {"colspan", "rowspan"}
_ATTRIBUTES = {
    **{heading: _TEXT | {"id"} for heading in _HEADINGS},
    "p": _TEXT,
    "div": _TEXT | {"id"},
    "span": _TEXT | {"id"},
    "section": {"class", "id"},
    "a": {"href", "id", "name", "class", "title", "aria-label", "aria-hidden"},
    "img": {"src", "srcset", "alt", "title", "width", "height", "align", "class"},
    "source": {"srcset", "media", "type", "width", "height"},
    "pre": {"class", "lang"},
    "code": {"class"},
    "blockquote": {"dir"},
    "details": {"open", "dir"},
    "summary": {"dir"},
    "ul": {"class", "dir"},
    "ol": {"class", "dir", "start", "type"},
    "li": {"class", "id"},
    "input": {"checked", "disabled", "class"},
    "table": {"role"},
    "th": _CELL | {"scope"},
    "td": _CELL,
    "col": {"span", "align"},
    "colgroup": {"span"},
    "abbr": {"title"},
    "g-emoji": {"class", "alias", "fallback-src"},
}
#: Task-list checkboxes (always ``disabled``) are the only inputs GitHub renders: every input becomes a
#: checkbox. One attribute only: nh3 adds several in a different order in each process.
_SET_ATTRIBUTES = {"input": {"type": "checkbox"}}
#: Classes GitHub's rendering uses; anything else (the host page's utility classes) is dropped.
_CLASSES = frozenset(
    {
        "anchor", "heading-element", "markdown-heading", "g-emoji", "emoji", "highlight", "notranslate",
        "snippet-clipboard-content", "position-relative", "overflow-auto", "contains-task-list",
        "task-list-item", "task-list-item-checkbox", "footnotes", "data-footnote-backref", "sr-only",
        "markdown-alert", "markdown-alert-title", "markdown-alert-note", "markdown-alert-tip",
        "markdown-alert-important", "markdown-alert-warning", "markdown-alert-caution",
    }
)  # fmt: skip
#: Class prefixes of syntax highlighting: ``highlight-source-python``, ``pl-k``, ``pl-en``, ...
_CLASS_PREFIXES = ("highlight-source-", "highlight-text-", "pl-")
_LINK_ATTRIBUTES = {("a", "href")}
_IMAGE_ATTRIBUTES = {("img", "src"), ("g-emoji", "fallback-src")}
_SRCSET_ATTRIBUTES = {("img", "srcset"), ("source", "srcset")}


@dataclass(frozen=True)
class Readme:
    """A sanitized README: ``html``, or None and ``skipped`` saying why it is not stored."""

    html: str | None
    skipped: str | None = None


def sanitize_readme(rendered: str, html_url: str, default_branch: str) -> Readme:
    """Sanitize GitHub's rendered README of the repository at ``html_url`` (github.com or Enterprise).

    Relative links point at ``{html_url}/blob/{default_branch}/...`` and relative images at
    ``{html_url}/raw/{default_branch}/...``; links keep only http, https and mailto URLs (and
    fragments), images only https; every link gets ``rel="nofollow noopener noreferrer"``.
    """
    size = len(rendered.encode("utf-8"))
    if size > MAX_RENDERED_BYTES:
        return Readme(None, f"the rendered README is {size} bytes; at most {MAX_RENDERED_BYTES} are stored")
    bases = _Bases.of(html_url, default_branch)
    html = nh3.clean(
        rendered,
        tags=_TAGS,
        clean_content_tags=_CLEAN_CONTENT_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=partial(_filter_attribute, bases),
        strip_comments=True,
        link_rel=LINK_REL,
        set_tag_attribute_values=_SET_ATTRIBUTES,
        url_schemes=set(LINK_SCHEMES),
    )
    return Readme(html)


@dataclass(frozen=True)
class _Bases:
    """What relative URLs of one repository's README resolve against."""

    origin: str  # https://github.com/ (or the Enterprise host's)
    blob: str  # https://github.com/OWNER/NAME/blob/BRANCH/
    raw: str  # https://github.com/OWNER/NAME/raw/BRANCH/

    @classmethod
    def of(cls, html_url: str, default_branch: str) -> _Bases:
        repository = html_url.rstrip("/")
        parts = urlsplit(repository)
        branch = quote(default_branch, safe="/")
        return cls(f"{parts.scheme}://{parts.netloc}/", f"{repository}/blob/{branch}/", f"{repository}/raw/{branch}/")


def _filter_attribute(bases: _Bases, tag: str, attribute: str, value: str) -> str | None:
    """nh3's attribute_filter: runs after nh3's own URL check, so what it returns must be safe as it is."""
    if (tag, attribute) in _LINK_ATTRIBUTES:
        return _absolute(value, bases.blob, bases.origin, LINK_SCHEMES, keep_fragment=True)
    if (tag, attribute) in _IMAGE_ATTRIBUTES:
        return _absolute(value, bases.raw, bases.origin, IMAGE_SCHEMES, keep_fragment=False)
    if (tag, attribute) in _SRCSET_ATTRIBUTES:
        return _srcset(value, bases)
    if attribute in ("id", "name"):
        if not value:
            return None
        return value if value.startswith(ID_PREFIX) else ID_PREFIX + value
    if attribute == "class":
        kept = [name for name in value.split() if name in _CLASSES or name.startswith(_CLASS_PREFIXES)]
        return " ".join(kept) or None
    return value


def _absolute(value: str, base: str, origin: str, schemes: frozenset[str], *, keep_fragment: bool) -> str | None:
    """``value`` as an absolute URL with one of ``schemes`` (or a bare fragment), else None."""
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme:
        return value if parts.scheme.lower() in schemes else None
    if not (parts.netloc or parts.path or parts.query):
        return value if keep_fragment and parts.fragment else None
    if parts.netloc:  # protocol-relative: //host/path
        url = "https:" + value
    elif parts.path.startswith("/"):  # GitHub's own rendering: /OWNER/NAME/blob/BRANCH/path
        url = urljoin(origin, value)
    else:
        url = urljoin(base, value)
    return url if urlsplit(url).scheme in schemes else None


def _srcset(value: str, bases: _Bases) -> str | None:
    """Keep the srcset candidates whose URL is https (after resolving) and whose descriptor is valid."""
    kept = []
    for candidate in value.split(","):
        words = candidate.split()
        if not words or len(words) > 2 or (len(words) == 2 and not _is_descriptor(words[1])):
            continue
        url = _absolute(words[0], bases.raw, bases.origin, IMAGE_SCHEMES, keep_fragment=False)
        if url is not None:
            kept.append(" ".join([url, *words[1:]]))
    return ", ".join(kept) or None


def _is_descriptor(word: str) -> bool:
    """A srcset width (``640w``) or pixel density (``2x``, ``1.5x``) descriptor."""
    number, unit = word[:-1], word[-1:]
    if unit == "w":
        return number.isdigit()
    if unit == "x":
        try:
            return float(number) > 0 and number.replace(".", "", 1).isdigit()
        except ValueError:
            return False
    return False
