"""What a user sees of a formatted text: ``parse_mode`` HTML, MarkdownV2 and Markdown parsed as Telegram does.

``visible_text`` strips the markup and raises ``FormattingError`` with Telegram's wording ("can't
parse entities: ...") for markup Telegram rejects: unsupported or unbalanced HTML tags, unescaped MarkdownV2
reserved characters, unclosed entities. Offsets in the messages count characters, not bytes as Telegram's do.
"""

from __future__ import annotations

from html.parser import HTMLParser

_HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "tg-emoji"}
    | {"code", "pre", "blockquote", "tg-time"}
)
_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_TOGGLES = ("__", "||", "*", "_", "~")


class FormattingError(ValueError):
    """The markup cannot be parsed; the message is Telegram's description after ``Bad Request: ``."""


def visible_text(text: str, parse_mode: str | None) -> str:
    """Return ``text`` as displayed for ``parse_mode`` (None: verbatim); raise FormattingError if invalid."""
    if not parse_mode:
        return text
    mode = parse_mode.lower()
    if mode == "html":
        return _Html().visible(text)
    if mode == "markdownv2":
        return _markdown_v2(text)
    if mode == "markdown":
        return _markdown(text)
    raise FormattingError(f"unsupported parse_mode {parse_mode!r}")


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._open: list[str] = []

    def visible(self, text: str) -> str:
        self.feed(text)
        self.close()
        if self._open:
            raise FormattingError(
                f"can't parse entities: Can't find end tag corresponding to start tag \"{self._open[-1]}\""
            )
        return "".join(self._parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            raise FormattingError(f'can\'t parse entities: Unsupported start tag "{tag}"')
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self._open or self._open[-1] != tag:
            expected = f'expected "</{self._open[-1]}>", ' if self._open else ""
            raise FormattingError(f'can\'t parse entities: Unmatched end tag, {expected}found "</{tag}>"')
        self._open.pop()

    def handle_data(self, data: str) -> None:
        self._parts.append(data)


def _markdown_v2(text: str) -> str:
    out: list[str] = []
    open_marks: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        elif text.startswith("```", i):
            end = text.find("```", i + 3)
            if end < 0:
                raise FormattingError(f"can't parse entities: Can't find end of Pre entity at offset {i}")
            block = text[i + 3 : end]
            first_line, newline, rest = block.partition("\n")
            out.append(_unescape_code(rest if newline and first_line.strip().isidentifier() else block))
            i = end + 3
        elif char == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise FormattingError(f"can't parse entities: Can't find end of Code entity at offset {i}")
            out.append(_unescape_code(text[i + 1 : end]))
            i = end + 1
        elif char == "]" and "[" in open_marks:
            open_marks.remove("[")
            if text.startswith("(", i + 1):
                end = text.find(")", i + 2)
                if end < 0:
                    raise FormattingError(f"can't parse entities: Can't find end of a URL at offset {i}")
                i = end + 1
            else:
                i += 1
        elif char == "[":
            open_marks.append("[")
            i += 1
        elif char == ">" and (i == 0 or text[i - 1] == "\n"):
            i += 1
        else:
            mark = next((m for m in _MDV2_TOGGLES if text.startswith(m, i)), None)
            if mark is not None:
                if open_marks and open_marks[-1] == mark:
                    open_marks.pop()
                else:
                    open_marks.append(mark)
                i += len(mark)
            elif char in _MDV2_RESERVED:
                raise FormattingError(
                    f"can't parse entities: Character '{char}' is reserved and must be escaped with the preceding '\\'"
                )
            else:
                out.append(char)
                i += 1
    if open_marks:
        raise FormattingError(f"can't parse entities: Can't find end of the entity starting with '{open_marks[0]}'")
    return "".join(out)


def _unescape_code(code: str) -> str:
    return code.replace("\\\\", "\\").replace("\\`", "`")


def _markdown(text: str) -> str:
    """Legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no escaping of other characters."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if text.startswith("```", i) or char in "*_`":
            mark = "```" if text.startswith("```", i) else char
            end = text.find(mark, i + len(mark))
            if end < 0:
                raise FormattingError(f"can't parse entities: Can't find end of the entity starting at offset {i}")
            out.append(text[i + len(mark) : end])
            i = end + len(mark)
        elif char == "[" and "](" in text[i:]:
            close = text.index("](", i)
            end = text.find(")", close)
            out.append(text[i + 1 : close])
            i = end + 1 if end >= 0 else len(text)
        else:
            out.append(char)
            i += 1
    return "".join(out)
