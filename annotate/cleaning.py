"""Turn scraped plain-text news files into clean articles.

Pure Python on purpose (no Django imports): the rules can be unit-tested and
reused by import commands without a configured project or a database.

The scraper writes one line per HTML block element, so in its output a line is
a paragraph and blank lines are only spacing. A file holds several articles;
each starts with its headline and is separated from the next by a run of two
or more blank lines. The scraper also repeated the header block (headline and
photo caption, the caption itself often twice in a row) and left UI debris
(tiny tokens such as counters or font-size buttons) among the lines.

``clean_scraped_text`` composes the small step functions below; each step
states why it exists so the rules can be changed one at a time.

Characters are stored exactly as scraped apart from trimming whitespace at the
ends of lines: no Unicode normalisation, no quote folding. Annotation offsets
point into ``CleanArticle.text``, so the text must not be rewritten later.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

# Paragraph separator in CleanArticle.text; offsets are computed against it.
PARAGRAPH_SEPARATOR = "\n\n"

# A run of at least this many blank lines separates two articles. A single
# blank line only separates paragraphs inside an article.
MIN_ARTICLE_GAP = 2

# Tokens without whitespace up to this length are UI debris (counters, "A+"
# style buttons, initials). Real single-word subheadings are longer than this.
MAX_DEBRIS_LEN = 3


@dataclass(frozen=True)
class CleanArticle:
    """One cleaned article; frozen because offsets are computed against it."""

    title: str
    caption: str  # "" when the article has no photo caption
    paragraphs: tuple[str, ...]
    first_line: int  # 1-based line of the headline in the raw file

    @property
    def text(self) -> str:
        """The body as stored: paragraphs separated by a blank line."""
        return PARAGRAPH_SEPARATOR.join(self.paragraphs)


class Line(NamedTuple):
    """A trimmed line with its 1-based number in the raw file."""

    number: int
    text: str


def normalise_newlines(raw: str) -> str:
    """Turn CRLF and lone CR into LF and drop a leading byte-order mark.

    Files come from different systems; without this a CR would end up inside
    paragraphs and CRLF files would get different line numbers. A BOM is an
    encoding artefact, not text, and would otherwise stick to the first title.
    We deliberately do not use str.splitlines(): it also breaks on characters
    such as U+2028 or form feed, which would shift line numbers.
    """
    return raw.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def numbered_lines(text: str) -> list[Line]:
    """Split normalised text into trimmed lines, keeping raw line numbers.

    Line numbers are kept so that errors can point at the raw file; trimming
    removes indentation and trailing spaces that carry no meaning in scraped
    text. Nothing else about the characters is changed.
    """
    return [Line(number, line.strip()) for number, line in enumerate(text.split("\n"), start=1)]


def split_articles(lines: Sequence[Line], min_gap: int = MIN_ARTICLE_GAP) -> list[list[Line]]:
    """Group lines into article blocks, cutting at runs of ``min_gap``+ blank lines.

    Only a run of several blank lines marks a new article, because single blank
    lines also separate paragraphs within one article. Blank lines are left out
    of the blocks: since every line is a paragraph they carry no more meaning.
    """
    blocks: list[list[Line]] = []
    current: list[Line] = []
    blank_run = 0
    for line in lines:
        if not line.text:
            blank_run += 1
            continue
        if blank_run >= min_gap and current:
            blocks.append(current)
            current = []
        blank_run = 0
        current.append(line)
    if current:
        blocks.append(current)
    return blocks


def is_debris(text: str) -> bool:
    """Tell whether a line is scraper debris rather than article text.

    Debris is a single token (no whitespace) that is either very short or has
    no letters at all (lone digits, punctuation, symbols). Requiring "no
    whitespace" keeps short subheadings made of several words, and the length
    limit keeps single-word subheadings. Letters are tested with str.isalpha,
    so any script counts, not only Latin.
    """
    if not text:
        return True
    if any(char.isspace() for char in text):
        return False
    return len(text) <= MAX_DEBRIS_LEN or not any(char.isalpha() for char in text)


def drop_debris(lines: Iterable[Line]) -> list[Line]:
    """Remove debris lines everywhere in a block.

    Debris can sit between the header repetitions or among body paragraphs;
    removing it first lets the header rules only deal with real text.
    """
    return [line for line in lines if not is_debris(line.text)]


def split_header(lines: Sequence[str], title: str) -> tuple[list[str], list[str]]:
    """Split the lines after the headline into (header zone, body).

    The header zone holds what the scraper repeated before the body: more
    copies of the headline and the photo caption. A line belongs to it when it
    is the headline again, repeats a line already in the header, or is
    immediately followed by itself or by the headline (the start of a repeated
    header block). The body starts at the first line that is none of these;
    from there on nothing is treated as header, so a body line that equals or
    resembles the caption stays in the body.

    Known ambiguity: an article without caption whose first paragraph was
    scraped twice in a row looks exactly like caption + body.
    """
    seen: set[str] = set()
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else None
        if line == title or line in seen or following in (line, title):
            seen.add(line)
            continue
        return list(lines[:index]), list(lines[index:])
    return list(lines), []


def find_caption(header: Sequence[str], title: str) -> str:
    """Pick the photo caption from the header zone, or "" when there is none.

    The caption is the header line the scraper repeated (it appears twice in a
    row and again in the repeated header block); headline copies are not
    captions. If no line repeats, the first non-headline header line is the
    best remaining guess, which keeps it out of the body either way.
    """
    candidates = [line for line in header if line != title]
    for line in candidates:
        if candidates.count(line) >= 2:
            return line
    return candidates[0] if candidates else ""


def collapse_adjacent_duplicates(paragraphs: Iterable[str]) -> list[str]:
    """Keep one copy of paragraphs the scraper emitted twice in a row.

    Only adjacent exact copies are merged: the same sentence further apart can
    be a deliberate repetition (a quote, a summary) and is kept.
    """
    result: list[str] = []
    for paragraph in paragraphs:
        if not result or result[-1] != paragraph:
            result.append(paragraph)
    return result


def clean_article(block: Sequence[Line]) -> CleanArticle | None:
    """Clean one article block; None when it holds only debris.

    The headline is the first real line; the header zone after it yields the
    caption and is otherwise dropped; the rest is the body.
    """
    lines = drop_debris(block)
    if not lines:
        return None
    title_line, *rest = lines
    title = title_line.text
    header, body = split_header([line.text for line in rest], title)
    return CleanArticle(
        title=title,
        caption=find_caption(header, title),
        paragraphs=tuple(collapse_adjacent_duplicates(body)),
        first_line=title_line.number,
    )


def clean_scraped_text(raw: str) -> list[CleanArticle]:
    """Turn the contents of one scraped file into its clean articles, in order.

    Returns [] for an empty file or one that holds only debris.
    """
    lines = numbered_lines(normalise_newlines(raw))
    articles = (clean_article(block) for block in split_articles(lines))
    return [article for article in articles if article is not None]
