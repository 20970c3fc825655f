"""Tests for annotate.cleaning: each step on small inputs, then the real seeds.

No database and no Django settings are needed: the module is pure Python.
"""
from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from annotate import cleaning
from annotate.cleaning import (
    CleanArticle,
    Line,
    clean_article,
    clean_scraped_text,
    collapse_adjacent_duplicates,
    drop_debris,
    find_caption,
    is_debris,
    normalise_newlines,
    numbered_lines,
    split_articles,
    split_header,
)

RAW_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "raw"

ARABIC_TITLE = "المغرب يستضيف اجتماع التحالف الدولي"
ARABIC_PARAGRAPH = "قال الوزير إن الاجتماع «مهم جداً» 🌍 للمنطقة."


def lines(*texts: str) -> list[Line]:
    """Number synthetic lines from 1, like numbered_lines does."""
    return [Line(number, text) for number, text in enumerate(texts, start=1)]


# --- CleanArticle -----------------------------------------------------------


def test_clean_article_text_joins_paragraphs_with_blank_line() -> None:
    article = CleanArticle(title="T", caption="", paragraphs=("One.", "Two."), first_line=1)
    assert article.text == "One.\n\nTwo."


def test_clean_article_is_frozen() -> None:
    article = CleanArticle(title="T", caption="", paragraphs=(), first_line=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        article.title = "other"  # type: ignore[misc]


# --- normalise_newlines / numbered_lines ------------------------------------


def test_normalise_newlines_handles_crlf_and_lone_cr() -> None:
    assert normalise_newlines("a\r\nb\rc\nd") == "a\nb\nc\nd"


def test_normalise_newlines_drops_leading_bom_only() -> None:
    assert normalise_newlines("\ufeffTitle\n") == "Title\n"
    assert normalise_newlines("a\ufeffb") == "a\ufeffb"


def test_normalise_newlines_keeps_unicode_line_separator() -> None:
    # str.splitlines() would break here and shift line numbers.
    assert normalise_newlines("a\u2028b") == "a\u2028b"


def test_numbered_lines_trims_and_numbers_from_one() -> None:
    assert numbered_lines("  Title \n\n\tBody.\t") == [
        Line(1, "Title"),
        Line(2, ""),
        Line(3, "Body."),
    ]


def test_numbered_lines_keeps_characters_unchanged() -> None:
    # Curly quotes, Arabic and emoji pass through; only end whitespace goes.
    text = f" “Quoted” it’s \n{ARABIC_PARAGRAPH}  "
    assert [line.text for line in numbered_lines(text)] == ["“Quoted” it’s", ARABIC_PARAGRAPH]


# --- split_articles ----------------------------------------------------------


def test_split_articles_cuts_at_two_or_more_blank_lines() -> None:
    blocks = split_articles(numbered_lines("A\nA body\n\n\nB\nB body\n\n\n\nC"))
    assert [[line.text for line in block] for block in blocks] == [
        ["A", "A body"],
        ["B", "B body"],
        ["C"],
    ]
    assert [block[0].number for block in blocks] == [1, 5, 10]


def test_split_articles_single_blank_line_stays_inside_article() -> None:
    blocks = split_articles(numbered_lines("Title\n\nPara one.\n\nPara two."))
    assert len(blocks) == 1
    assert [line.text for line in blocks[0]] == ["Title", "Para one.", "Para two."]


def test_split_articles_ignores_leading_and_trailing_blank_lines() -> None:
    blocks = split_articles(numbered_lines("\n\n\nTitle\nBody\n\n\n\n"))
    assert len(blocks) == 1
    assert blocks[0][0] == Line(4, "Title")


def test_split_articles_of_blank_text_is_empty() -> None:
    assert split_articles(numbered_lines("\n \n\t\n")) == []


# --- is_debris / drop_debris -------------------------------------------------


@pytest.mark.parametrize("text", ["TT", "20", "7", "|", "...", "—", "2025", "1/5", "", "🌍"])
def test_is_debris_true_for_short_tokens_digits_and_punctuation(text: str) -> None:
    assert is_debris(text)


@pytest.mark.parametrize(
    "text",
    [
        "Pivotal role",  # short subheading with a space
        "Key facts",
        "Background",  # single-word subheading longer than the debris limit
        "Go on",
        ARABIC_TITLE,
        "الموقف",  # single Arabic word: letters in any script count
        "A sentence.",
    ],
)
def test_is_debris_false_for_real_text(text: str) -> None:
    assert not is_debris(text)


def test_drop_debris_keeps_order_and_line_numbers() -> None:
    assert drop_debris(lines("Title", "TT", "20", "Body text.")) == [
        Line(1, "Title"),
        Line(4, "Body text."),
    ]


# --- split_header --------------------------------------------------------------


def test_split_header_caption_twice_and_repeated_header_block() -> None:
    rest = ["Caption.", "Caption.", "Title", "Caption.", "Caption.", "First body.", "Second body."]
    header, body = split_header(rest, "Title")
    assert header == ["Caption.", "Caption.", "Title", "Caption.", "Caption."]
    assert body == ["First body.", "Second body."]


def test_split_header_without_caption_starts_body_immediately() -> None:
    header, body = split_header(["First body.", "Sub heading", "Second body."], "Title")
    assert header == []
    assert body == ["First body.", "Sub heading", "Second body."]


def test_split_header_caption_once_before_repeated_headline() -> None:
    header, body = split_header(["Caption.", "Title", "Caption.", "Body."], "Title")
    assert header == ["Caption.", "Title", "Caption."]
    assert body == ["Body."]


def test_split_header_line_equal_to_caption_after_body_started_stays_in_body() -> None:
    header, body = split_header(["Caption.", "Caption.", "Body.", "Caption.", "End."], "Title")
    assert header == ["Caption.", "Caption."]
    assert body == ["Body.", "Caption.", "End."]


def test_split_header_only_header_gives_empty_body() -> None:
    assert split_header(["Caption.", "Caption."], "Title") == (["Caption.", "Caption."], [])


# --- find_caption ----------------------------------------------------------------


def test_find_caption_returns_the_repeated_line_once() -> None:
    assert find_caption(["Title", "Caption (X)", "Caption (X)"], "Title") == "Caption (X)"


def test_find_caption_is_empty_when_header_is_empty_or_only_title() -> None:
    assert find_caption([], "Title") == ""
    assert find_caption(["Title", "Title"], "Title") == ""


def test_find_caption_prefers_repeated_line_over_single_one() -> None:
    assert find_caption(["Other", "Caption", "Caption"], "Title") == "Caption"


def test_find_caption_falls_back_to_first_non_title_line() -> None:
    assert find_caption(["Caption", "Title"], "Title") == "Caption"


# --- collapse_adjacent_duplicates ---------------------------------------------------


def test_collapse_adjacent_duplicates_only_merges_neighbours() -> None:
    assert collapse_adjacent_duplicates(["A", "A", "B", "A", "B", "B", "B"]) == ["A", "B", "A", "B"]


def test_collapse_adjacent_duplicates_empty() -> None:
    assert collapse_adjacent_duplicates([]) == []


# --- clean_article -------------------------------------------------------------------


def test_clean_article_only_debris_is_none() -> None:
    assert clean_article(lines("TT", "20")) is None


def test_clean_article_title_skips_leading_debris() -> None:
    article = clean_article(lines("20", "Title", "Body."))
    assert article == CleanArticle(title="Title", caption="", paragraphs=("Body.",), first_line=2)


# --- clean_scraped_text on synthetic input ---------------------------------------------


def test_clean_scraped_text_empty_and_debris_only_files() -> None:
    assert clean_scraped_text("") == []
    assert clean_scraped_text("\n\n  \n") == []
    assert clean_scraped_text("TT\n20\n\n\n\n7\n") == []


def test_clean_scraped_text_full_header_pattern_with_crlf() -> None:
    raw = "\r\n".join(
        [
            "Title here",
            "",
            "A photo caption. (Agency)",
            "A photo caption. (Agency)",
            "TT",
            "20",
            "",
            "Title here",
            "",
            "A photo caption. (Agency)",
            "A photo caption. (Agency)",
            "",
            "First paragraph.",
            "",
            "A photo caption.",
            "",
            "Last paragraph.",
        ]
    )
    [article] = clean_scraped_text(raw)
    assert article.title == "Title here"
    assert article.caption == "A photo caption. (Agency)"
    # The body sentence that only resembles the caption is body text.
    assert article.paragraphs == ("First paragraph.", "A photo caption.", "Last paragraph.")
    assert article.text == "First paragraph.\n\nA photo caption.\n\nLast paragraph."
    assert "\r" not in article.text
    assert article.first_line == 1


def test_clean_scraped_text_arabic_and_emoji_pass_through_unchanged() -> None:
    raw = f"{ARABIC_TITLE}\n{ARABIC_PARAGRAPH}\nالموقف المهم\n“Curly” it’s 👍\n"
    [article] = clean_scraped_text(raw)
    assert article.title == ARABIC_TITLE
    assert article.caption == ""
    assert article.paragraphs == (ARABIC_PARAGRAPH, "الموقف المهم", "“Curly” it’s 👍")


def test_clean_scraped_text_article_without_caption_keeps_subheadings() -> None:
    raw = "Title\nIntro paragraph here.\nSub heading\nMore text here.\nTT\nEnd text here."
    [article] = clean_scraped_text(raw)
    assert article.caption == ""
    assert article.paragraphs == (
        "Intro paragraph here.",
        "Sub heading",
        "More text here.",
        "End text here.",
    )


def test_clean_scraped_text_collapses_adjacent_duplicate_body_paragraphs() -> None:
    raw = "Title\n\nCap\nCap\n\nOne.\n\nTwo.\n\nTwo.\n\nThree."
    [article] = clean_scraped_text(raw)
    assert article.paragraphs == ("One.", "Two.", "Three.")


def test_clean_scraped_text_first_line_counts_raw_lines() -> None:
    raw = "\n\nFirst title\nBody one.\n\n\n\nSecond title\r\nBody two."
    articles = clean_scraped_text(raw)
    assert [(a.title, a.first_line) for a in articles] == [("First title", 3), ("Second title", 8)]


# --- real seed files ---------------------------------------------------------------------------

SEED_000 = RAW_DIR / "000_c3245687530002ae.txt"
SEED_003 = RAW_DIR / "003_22f62e28c0ab0abe.txt"


@pytest.fixture(scope="module")
def seed_000() -> list[CleanArticle]:
    return clean_scraped_text(SEED_000.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_003() -> list[CleanArticle]:
    return clean_scraped_text(SEED_003.read_text(encoding="utf-8"))


def test_seed_000_has_two_articles_with_exact_titles(seed_000: list[CleanArticle]) -> None:
    assert [a.title for a in seed_000] == [
        "Global Coalition to Defeat ISIS to Hold 1st Ministerial Meeting in Marrakech",
        "French Minister in Western Sahara to Back Moroccan Sovereignty",
    ]
    assert [a.first_line for a in seed_000] == [1, 37]


def test_seed_003_has_one_article_with_exact_title(seed_003: list[CleanArticle]) -> None:
    assert [a.title for a in seed_003] == [
        "Anti-ISIS coalition meeting in Marrakech strengthens Morocco’s role in counterterrorism"
    ]
    assert seed_003[0].first_line == 1
    assert seed_003[0].caption == ""


def test_seed_000_captions_kept_once_outside_text(seed_000: list[CleanArticle]) -> None:
    first, second = seed_000
    assert first.caption == (
        "Morocco has co-chaired the Global Counter-terrorism Forum for three consecutive terms "
        "and currently hosts the United Nations Office for Counter-terrorism and Training in "
        "Africa. (AFP)"
    )
    assert second.caption.startswith("This handout photograph released by Morocco's Ministry")
    assert second.caption.endswith("(Moroccan Culture Ministry / AFP)")
    for article in seed_000:
        assert article.caption not in article.text
        assert article.caption not in article.paragraphs


def test_seed_000_body_sentence_resembling_caption_stays(seed_000: list[CleanArticle]) -> None:
    first = seed_000[0]
    assert first.paragraphs[-2] == (
        "Morocco has co-chaired the Global Counter-terrorism Forum for three consecutive terms "
        "and currently hosts the United Nations Office for Counter-terrorism and Training in Africa."
    )
    assert first.paragraphs[-1].startswith("It organized in June 2018 the meeting")
    assert len(first.paragraphs) == 11
    assert len(seed_000[1].paragraphs) == 8


def test_seeds_first_body_paragraphs(
    seed_000: list[CleanArticle], seed_003: list[CleanArticle]
) -> None:
    firsts = [a.paragraphs[0] for a in [*seed_000, *seed_003]]
    assert firsts[0].startswith("The Global Coalition to Defeat ISIS will hold its first")
    assert firsts[1].startswith("French Culture Minister Rachida Dati began a visit on Monday")
    assert firsts[2].startswith("The Kingdom of Morocco reaffirms its leading role")


def test_seeds_have_no_debris_or_title_paragraphs(
    seed_000: list[CleanArticle], seed_003: list[CleanArticle]
) -> None:
    for article in [*seed_000, *seed_003]:
        assert "TT" not in article.paragraphs
        assert "20" not in article.paragraphs
        assert article.title not in article.paragraphs
        assert all(paragraph.strip() == paragraph and paragraph for paragraph in article.paragraphs)
        assert "\n\n\n" not in article.text


def test_seed_003_subheadings_are_standalone_paragraphs(seed_003: list[CleanArticle]) -> None:
    paragraphs = seed_003[0].paragraphs
    assert "Important position" in paragraphs
    assert "Pivotal role" in paragraphs
    assert paragraphs[3] == "Important position"
    assert paragraphs[4].startswith("Hassan Bellouan, an expert in international relations")
    assert paragraphs[paragraphs.index("Pivotal role") + 1].startswith("Morocco’s choice to host")
    assert len(paragraphs) == 19


def test_seed_text_keeps_curly_quotes(seed_003: list[CleanArticle]) -> None:
    assert "“this position is embodied" in seed_003[0].text


# --- module hygiene ---------------------------------------------------------------------------


def test_cleaning_module_imports_only_standard_library() -> None:
    tree = ast.parse(Path(cleaning.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    } | {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert imported <= {"__future__", "collections", "dataclasses", "typing"}


def test_cleaning_module_hardcodes_no_seed_strings() -> None:
    source = Path(cleaning.__file__).read_text(encoding="utf-8")
    for seed_word in ("Morocco", "AFP", "Marrakech", "ISIS", '"TT"', '"20"'):
        assert seed_word not in source
