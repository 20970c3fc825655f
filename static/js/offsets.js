// Offsets at the edge between the browser and the API.
//
// The API (and the database) count Unicode code points: Python's len() and
// slicing. The DOM counts UTF-16 code units: a character outside the Basic
// Multilingual Plane (an emoji, 𝕏) is one code point but two units. Every
// offset read from a DOM Range goes through utf16ToCodePoint before it is sent,
// and every code point offset is sliced out of CodePointText, never out of the
// JavaScript string directly.

const isHigh = (unit) => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit) => unit >= 0xdc00 && unit <= 0xdfff;

/** Code points in str[0:index) where index is a UTF-16 position (mid-pair rounds up). */
export function utf16ToCodePoint(str, index) {
  let points = 0;
  for (let i = 0; i < index && i < str.length; i++) {
    if (isHigh(str.charCodeAt(i)) && i + 1 < str.length && isLow(str.charCodeAt(i + 1))) i++;
    points++;
  }
  return points;
}

/** The UTF-16 position of code point `point` in str. */
export function codePointToUtf16(str, point) {
  let i = 0;
  for (let n = 0; n < point && i < str.length; n++) {
    i += isHigh(str.charCodeAt(i)) && i + 1 < str.length && isLow(str.charCodeAt(i + 1)) ? 2 : 1;
  }
  return i;
}

export function codePointLength(str) {
  return utf16ToCodePoint(str, str.length);
}

/** The article text addressed by code points, as the API addresses it. */
export class CodePointText {
  constructor(text) {
    this.text = text;
    this.chars = Array.from(text); // one entry per code point
    this.length = this.chars.length;
  }

  slice(start, end) {
    return this.chars.slice(start, end).join("");
  }
}

const WORD = /[\p{L}\p{M}\p{N}_'’\-]/u;
const SPACE = /\s/u;
export const isWordChar = (ch) => ch !== undefined && WORD.test(ch);

/**
 * Snap [start, end) to whole words: trim surrounding whitespace, then widen
 * each end that falls inside a word to that word's edge. Punctuation is kept
 * as selected (the quotation marks of a direct quote matter). Returns null for
 * a selection of whitespace only.
 */
export function snapToWords(chars, start, end) {
  while (start < end && SPACE.test(chars[start])) start++;
  while (end > start && SPACE.test(chars[end - 1])) end--;
  if (start >= end) return null;
  while (start > 0 && isWordChar(chars[start - 1]) && isWordChar(chars[start])) start--;
  while (end < chars.length && isWordChar(chars[end]) && isWordChar(chars[end - 1])) end++;
  return [start, end];
}

/** Trim whitespace only (snapping off). */
export function trimSpaces(chars, start, end) {
  while (start < end && SPACE.test(chars[start])) start++;
  while (end > start && SPACE.test(chars[end - 1])) end--;
  return start < end ? [start, end] : null;
}

// Word steps for moving a span's bounds with the keyboard or the inspector's buttons.
export function previousWordStart(chars, pos) {
  let i = pos - 1;
  while (i > 0 && !isWordChar(chars[i])) i--;
  while (i > 0 && isWordChar(chars[i - 1])) i--;
  return Math.max(0, i);
}

export function nextWordStart(chars, pos) {
  let i = pos;
  while (i < chars.length && isWordChar(chars[i])) i++;
  while (i < chars.length && !isWordChar(chars[i])) i++;
  return i;
}

export function previousWordEnd(chars, pos) {
  let i = pos - 1;
  while (i > 0 && isWordChar(chars[i])) i--;
  while (i > 0 && !isWordChar(chars[i - 1])) i--;
  return Math.max(0, i);
}

export function nextWordEnd(chars, pos) {
  let i = pos;
  while (i < chars.length && !isWordChar(chars[i])) i++;
  while (i < chars.length && isWordChar(chars[i])) i++;
  return i;
}
