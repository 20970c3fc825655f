// The article's paragraphs and which spans fall in each: the interval index render.js keeps so
// that a change re-renders only the paragraphs it touches, instead of every paragraph filtering
// every span (O(paragraphs × spans) on each change, seconds on a 100k-character article).
//
// A paragraph is a non-empty line of the text (render.js draws each as a <p>); offsets are code
// points, end exclusive, as the API counts them. A span is indexed by its pieces: `fragments`
// ([[start, end], …], ordered, non-overlapping) or, without them, its one piece [start, end]. A
// piece that runs over a line break is in each paragraph it reaches. No DOM here, so the index
// runs under plain Node too.

/** The span's pieces: its `fragments`, or [[start, end]] for an ordinary span. */
export function piecesOf(span) {
  return span.fragments?.length ? span.fragments : [[span.start, span.end]];
}

/** [start, end) of every non-empty line of `chars` (the text as an array of code points). */
export function paragraphBounds(chars) {
  const bounds = [];
  let lineStart = 0;
  for (let i = 0; i <= chars.length; i++) {
    if (i < chars.length && chars[i] !== "\n") continue;
    if (i > lineStart) bounds.push([lineStart, i]);
    lineStart = i + 1;
  }
  return bounds;
}

export class SpanIndex {
  /** `bounds`: the paragraphs' [start, end) in text order (paragraphBounds). */
  constructor(bounds) {
    this.bounds = bounds;
    this.buckets = bounds.map(() => new Map()); // paragraph -> cid -> span
    this.where = new Map(); // cid -> the paragraphs it is in (sorted), to take it out again
  }

  /** The paragraphs [first, last] that [start, end) overlaps, or null (a range in no paragraph: blank lines). */
  paragraphsOf(start, end) {
    const bounds = this.bounds;
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) { // the first paragraph ending after `start`
      const mid = (lo + hi) >> 1;
      if (bounds[mid][1] <= start) lo = mid + 1;
      else hi = mid;
    }
    let last = lo;
    while (last < bounds.length && bounds[last][0] < end) last++;
    return last > lo ? [lo, last - 1] : null;
  }

  /** The paragraphs the span's pieces reach, sorted, without repeats. */
  paragraphsOfSpan(span) {
    const found = [];
    for (const [start, end] of piecesOf(span)) {
      const range = this.paragraphsOf(start, end);
      if (!range) continue;
      for (let p = range[0]; p <= range[1]; p++) if (found[found.length - 1] !== p) found.push(p);
    }
    return found;
  }

  /** Put `span` (keyed by its cid) in the index, or move it there; returns the paragraphs it left or reached. */
  set(span) {
    const touched = this.delete(span.cid);
    const here = this.paragraphsOfSpan(span);
    for (const p of here) this.buckets[p].set(span.cid, span);
    this.where.set(span.cid, here);
    return union(touched, here);
  }

  /** Take the span `cid` out; returns the paragraphs it was in. */
  delete(cid) {
    const here = this.where.get(cid) || [];
    for (const p of here) this.buckets[p].delete(cid);
    this.where.delete(cid);
    return here;
  }

  /** The spans in paragraph `p`. */
  spansIn(p) {
    return [...this.buckets[p].values()];
  }

  has(cid) {
    return this.where.has(cid);
  }
}

function union(a, b) {
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

/**
 * Paragraph [pStart, pEnd)'s spans cut into segments: [{start, end, pieces}] in text order, where
 * `pieces` are the span pieces covering the segment, outermost first (the longer piece, then
 * the earlier span), each {span, index (which of the span's pieces), start, end (clipped to the
 * paragraph)}. Gaps between a span's pieces are covered by nothing of that span. A sweep over
 * the pieces' ends: the cost grows with the paragraph's spans, not the article's.
 */
export function segments(pStart, pEnd, spans) {
  const pieces = [];
  for (const span of spans) {
    piecesOf(span).forEach(([a, b], index) => {
      const start = Math.max(a, pStart);
      const end = Math.min(b, pEnd);
      if (start < end) pieces.push({ span, index, start, end, from: a, to: b });
    });
  }
  const cuts = new Set([pStart, pEnd]);
  for (const piece of pieces) cuts.add(piece.start).add(piece.end);
  const bounds = [...cuts].sort((a, b) => a - b);
  pieces.sort((x, y) => x.start - y.start);
  const out = [];
  let active = [];
  let next = 0;
  for (let k = 0; k + 1 < bounds.length; k++) {
    const [a, b] = [bounds[k], bounds[k + 1]];
    active = active.filter((piece) => piece.end > a);
    while (next < pieces.length && pieces[next].start <= a) active.push(pieces[next++]);
    out.push({ start: a, end: b, pieces: [...active].sort(outerFirst) });
  }
  return out;
}

/** Nesting order: the piece reaching further out first (its whole extent, not the clipped one). */
function outerFirst(x, y) {
  return x.from - y.from || y.to - x.to || (x.span.cid < y.span.cid ? -1 : x.span.cid > y.span.cid ? 1 : x.index - y.index);
}
