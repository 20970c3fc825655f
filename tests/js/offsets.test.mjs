// offsets.js: the API counts code points (Python's len), the DOM UTF-16 units. The expected
// numbers below are Python's, computed once and written out, not derived from the code under test.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  CodePointText, codePointLength, codePointToUtf16, isWordChar, nextWordEnd, nextWordStart,
  previousWordEnd, previousWordStart, snapToWords, trimSpaces, utf16ToCodePoint,
} from "../../static/js/offsets.js";

// The browser tests' mixed sentence: an emoji and 𝕏 (two UTF-16 units each) and Arabic.
const MIXED = "Hassan Bellouan said 🌍 that “التعاون الدولي ضروري”. France 𝕏 backs the plan.";
const FAMILY = "👩‍👩‍👧"; // woman, ZWJ, woman, ZWJ, girl: one glyph, 5 code points, 8 UTF-16 units

/** The DOM's UTF-16 offset of `word` in `str`, as a Range would give it. */
const unitOffset = (str, word) => str.indexOf(word);
/** [start, end) of `word` in `str` in code points, counted by the string iterator. */
const pointsOf = (str, word) => {
  const start = [...str.slice(0, str.indexOf(word))].length;
  return [start, start + [...word].length];
};

test("a character outside the BMP is one code point but two UTF-16 units", () => {
  const text = "a😀b";
  assert.equal(text.length, 4);
  assert.equal(codePointLength(text), 3);
  assert.deepEqual([0, 1, 3, 4].map((i) => utf16ToCodePoint(text, i)), [0, 1, 2, 3]);
  assert.deepEqual([0, 1, 2, 3].map((p) => codePointToUtf16(text, p)), [0, 1, 3, 4]);
});

test("a UTF-16 offset in the middle of a surrogate pair rounds up to the next code point", () => {
  assert.equal(utf16ToCodePoint("a😀b", 2), 2);
  assert.equal(utf16ToCodePoint("𝕏", 1), 1);
});

test("a lone surrogate counts as one code point, as Python counts it", () => {
  assert.equal(codePointLength("a\ud800b"), 3);
  assert.equal(codePointLength("a\udc00"), 2);
  assert.equal(codePointToUtf16("\ud800b", 1), 1);
});

test("offsets past the end stop at the end", () => {
  assert.equal(utf16ToCodePoint("a😀", 99), 2);
  assert.equal(codePointToUtf16("a😀", 99), 3);
});

test("words after an emoji, after 𝕏 and in Arabic get Python's code point offsets", () => {
  assert.equal(codePointLength(MIXED), 76);
  assert.equal(MIXED.length, 78);
  const expected = { that: [23, 27], "التعاون": [29, 36], France: [52, 58], "𝕏": [59, 60], backs: [61, 66] };
  const text = new CodePointText(MIXED);
  for (const [word, [start, end]] of Object.entries(expected)) {
    const from = unitOffset(MIXED, word);
    const to = from + word.length;
    assert.deepEqual([utf16ToCodePoint(MIXED, from), utf16ToCodePoint(MIXED, to)], [start, end], word);
    assert.deepEqual([codePointToUtf16(MIXED, start), codePointToUtf16(MIXED, end)], [from, to], word);
    assert.equal(text.slice(start, end), word);
  }
});

test("a ZWJ sequence is counted code point by code point, as the API counts it", () => {
  const text = `a ${FAMILY} b`;
  assert.equal(FAMILY.length, 8);
  assert.equal(codePointLength(FAMILY), 5);
  assert.equal(codePointLength(text), 9);
  // Each boundary inside the sequence: after 👩 (2 units), the ZWJ (1 unit), 👩, the ZWJ, 👧.
  assert.deepEqual([2, 4, 5, 7, 8, 10].map((i) => utf16ToCodePoint(text, i)), [2, 3, 4, 5, 6, 7]);
  assert.deepEqual([2, 3, 4, 5, 6, 7].map((p) => codePointToUtf16(text, p)), [2, 4, 5, 7, 8, 10]);
  const points = new CodePointText(text);
  assert.equal(points.length, 9);
  assert.equal(points.slice(2, 7), FAMILY); // the whole glyph, as a span [2, 7) stores it
  assert.equal(points.slice(8, 9), "b");
});

test("a combining mark is a code point of its own, and part of the word", () => {
  const decomposed = "cafe\u0301 noir"; // é as e + COMBINING ACUTE ACCENT
  const precomposed = "caf\u00e9 noir";
  assert.equal(codePointLength(decomposed), 10);
  assert.equal(codePointLength(precomposed), 9);
  assert.equal(new CodePointText(decomposed).slice(0, 5), "cafe\u0301");
  assert.ok(isWordChar("\u0301"));
  const chars = [...decomposed];
  // A selection that stops between the e and its accent snaps to the whole word, accent included.
  assert.deepEqual(snapToWords(chars, 1, 4), [0, 5]);
  assert.deepEqual(snapToWords(chars, 4, 7), [0, 10]);
});

test("Arabic words, with and without vowel marks, snap as words", () => {
  const text = "قالَ الوزير إن التعاون ضروري";
  const chars = [...text];
  const [start, end] = pointsOf(text, "الوزير");
  assert.deepEqual(snapToWords(chars, start + 2, end - 2), [start, end]);
  const [qStart, qEnd] = pointsOf(text, "قالَ"); // the fatha (U+064E) is a combining mark inside the word
  assert.deepEqual(snapToWords(chars, qStart + 1, qStart + 2), [qStart, qEnd]);
});

test("snapping trims whitespace, widens to whole words and keeps punctuation as selected", () => {
  const text = "He said “this position is embodied” today.";
  const chars = [...text];
  const at = (word) => pointsOf(text, word)[0];
  assert.deepEqual(snapToWords(chars, at("this") + 2, at("embodied") + 3), [at("this"), at("embodied") + 8]);
  assert.deepEqual(snapToWords(chars, at("“"), at("”") + 1), [at("“"), at("”") + 1]);
  assert.deepEqual(snapToWords(chars, at("said") - 1, at("said") + 5), [at("said"), at("said") + 4]);
  assert.equal(snapToWords(chars, 2, 3), null); // a single space
});

test("with snapping off only the whitespace is trimmed", () => {
  const chars = [..."  Bellouan added  "];
  assert.deepEqual(trimSpaces(chars, 0, 6), [2, 6]);
  assert.deepEqual(trimSpaces(chars, 4, 18), [4, 16]);
  assert.equal(trimSpaces(chars, 0, 2), null);
});

test("word steps move a bound to the previous or next word start or end", () => {
  const chars = [..."one two, three"];
  assert.equal(nextWordStart(chars, 0), 4);
  assert.equal(nextWordStart(chars, 4), 9);
  assert.equal(previousWordStart(chars, 9), 4);
  assert.equal(previousWordStart(chars, 4), 0);
  assert.equal(nextWordEnd(chars, 3), 7);
  assert.equal(nextWordEnd(chars, 7), 14);
  assert.equal(previousWordEnd(chars, 14), 7);
  assert.equal(previousWordEnd(chars, 7), 3);
});
