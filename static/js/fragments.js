// The pieces of a discontinuous span ("The plan," Bourita said, "is serious." is one QUOTE in two pieces).
//
// A span's `fragments` are [[start, end], …] in code points, ordered, non-overlapping and not
// touching; `start`/`end` are the outer bounds and `text` is the pieces' texts joined by one space
// (the API's shapes). An ordinary span has one fragment, [[start, end]]. Everything here is plain
// code point arithmetic (no DOM), so the workspace, the store and the tests share one set of rules.
// The UTF-16 edge is crossed before a piece gets here: a selection becomes code points in render.js
// (selectionRange) and offsets.js, once per piece, like the ends of any new span.

/** The span's pieces, [[start, end]] for a span without `fragments`. */
export function fragmentsOf(span) {
  return span.fragments?.length ? span.fragments.map(([a, b]) => [a, b]) : [[span.start, span.end]];
}

/** The span's text as the API keeps it: each piece's text, joined by one space (`text` a CodePointText). */
export function piecesText(text, fragments) {
  return fragments.map(([a, b]) => text.slice(a, b)).join(" ");
}

/** The outer bounds [start, end] of the pieces. */
export function outerBounds(fragments) {
  return [fragments[0][0], fragments[fragments.length - 1][1]];
}

/**
 * Sorted, with overlapping or touching pieces merged into one: what the server stores for any
 * set of pieces it accepts.
 */
export function normalize(fragments) {
  const sorted = fragments.map(([a, b]) => [a, b]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/**
 * The pieces with [start, end) added. Returns {fragments, merged, inside}: `inside` when the
 * span already covers the whole piece (nothing to add), `merged` when the piece overlaps or
 * touches a piece the span has (they become one piece rather than two that touch).
 */
export function withPiece(fragments, [start, end]) {
  if (fragments.some(([a, b]) => a <= start && end <= b)) return { fragments, merged: false, inside: true };
  const merged = fragments.some(([a, b]) => start <= b && end >= a);
  return { fragments: normalize([...fragments, [start, end]]), merged, inside: false };
}

/** The pieces without the one at `index`; null when it is the only one (a span keeps one piece). */
export function withoutPiece(fragments, index) {
  if (fragments.length < 2 || index < 0 || index >= fragments.length) return null;
  return fragments.filter((_, i) => i !== index);
}

/**
 * The pieces with the outer start (which = "start") or end moved to `to`: the first piece's
 * start or the last piece's end. Null when that would empty the piece or reach its neighbour.
 */
export function withOuterBound(fragments, which, to) {
  const out = fragments.map(([a, b]) => [a, b]);
  if (which === "start") {
    const [, b] = out[0];
    if (to < 0 || to >= b) return null;
    out[0][0] = to;
  } else {
    const last = out.length - 1;
    const [a] = out[last];
    if (to <= a) return null;
    out[last][1] = to;
  }
  return out;
}

/** How a person reads the pieces: their texts joined by " … " (a one-piece span is its text). */
export function describePieces(text, fragments) {
  return fragments.map(([a, b]) => text.slice(a, b)).join(" … ");
}
