// The article text with its spans, rendered once and then paragraph by paragraph.
//
// Each line of the text is a <p dir="auto"> (so an Arabic paragraph reads right to left); each
// span is an element nested inside the spans that cover it. A span is drawn by its pieces (its
// `fragments`; an ordinary span is one piece): the gap between two pieces is not part of it. A
// piece that crosses another span's piece (a QUOTE that is partly a CLAIM) or runs over a line
// break is split into several elements, its "parts": every element of a span carries the span's
// data-cid, data-label and its outer data-start/data-end; all but the span's first element carry
// data-part, and the elements of a span of several pieces carry data-piece (the piece's index).
// A span flagged by re-anchoring carries data-needs-review. Each element gets --h, the number of
// span levels it contains plus one, so nested underlines stack below one another.
//
// Long articles: the view keeps an interval index of the spans per paragraph (paragraphs.js). A
// render after a change compares only the spans the store's log names (store.js `spanLog`) with
// what was drawn for them, and re-renders only the paragraphs a changed span left or reached;
// showSpanIds likewise visits only the cids in the store's `idLog`. Every other paragraph keeps its
// DOM nodes, so the browser lays out only those again.
// Every paragraph stays in the DOM and laid out (no window of visible paragraphs, no
// content-visibility: measured slower to scroll, docs/ui.md "Long articles"), so selection,
// find-in-page, keyboard navigation, ghosts and `starts` work as on a short article. Opening draws
// the first screens' spans at once and the rest's in idle slices (renderAll): until then such a
// paragraph is its plain text, one node in `starts`, laid out as it will be with its spans.
//
// `starts` maps every text node to the code point offset where it begins: the bridge from a DOM
// selection (UTF-16 positions) back to the API's offsets. It is one WeakMap for the view's life:
// the text nodes of a re-rendered paragraph are added, the dropped ones are collected.

import { h } from "./dom.js";
import { codePointLength, codePointToUtf16, utf16ToCodePoint } from "./offsets.js";
import { SpanIndex, paragraphBounds, piecesOf, segments } from "./paragraphs.js";

const views = new WeakMap(); // container -> ArticleView

/** Render the store's spans into `container` (only what changed since the last call); returns `starts`. */
export function renderArticle(container, store) {
  let view = views.get(container);
  if (!view || view.store !== store) {
    view = new ArticleView(container, store);
    views.set(container, view);
  }
  view.render();
  return view.starts;
}

/** The view drawing into `container`, if any (tests read `lastRendered`). */
export function viewOf(container) {
  return views.get(container) || null;
}

/** The elements drawn for span `cid` (its parts), without searching the text: [] when none. */
export function elementsOf(container, cid) {
  return views.get(container)?.elementsOf(cid) || [];
}

/** Settles once every paragraph of the text in `container` is drawn with its spans. */
export function allDrawn(container) {
  return views.get(container)?.allDrawn ?? Promise.resolve();
}

/** Put the server ids confirmed since the spans were drawn on their elements (data-span-id). */
export function showSpanIds(container) {
  views.get(container)?.showIds();
}

export class ArticleView {
  constructor(container, store) {
    this.container = container;
    this.store = store;
    this.starts = new WeakMap();
    this.drawn = new Map(); // cid -> the fields its elements were drawn from
    this.index = null;
    this.paragraphs = []; // the <p> elements, in text order
    this.elements = new Map(); // cid -> the span's elements
    this.ids = new Map(); // cid -> the server id its elements show
    this.lastRendered = []; // the paragraphs the last render() drew
    this.undrawn = new Set(); // paragraphs still plain text after the first render (drawn when idle)
    this.allDrawn = Promise.resolve(); // settles once no paragraph is left plain
    this.generation = null; // the store's generation and how far into its logs the view has looked
    this.spanSeen = 0;
    this.idGeneration = null;
    this.idSeen = 0;
  }

  render() {
    if (!this.index) return this.renderAll();
    const store = this.store;
    // Only the spans the store's log names since the last render (after a reload: every span, once).
    const logged = this.generation === store.generation ? new Set(store.spanLog.slice(this.spanSeen)) : null;
    this.generation = store.generation;
    this.spanSeen = store.spanLog.length;
    const dirty = new Set();
    if (logged) {
      for (const cid of logged) this.redrawSpan(cid, dirty);
    } else {
      for (const cid of store.spans.keys()) this.redrawSpan(cid, dirty);
      for (const cid of [...this.drawn.keys()]) if (!store.spans.has(cid)) this.redrawSpan(cid, dirty);
    }
    this.lastRendered = [...dirty].sort((a, b) => a - b);
    for (const p of this.lastRendered) this.fillParagraph(p);
    return this.starts;
  }

  /** Compare span `cid` with what was drawn for it; add the paragraphs it left or reached to `dirty`. */
  redrawSpan(cid, dirty) {
    const span = this.store.spans.get(cid);
    if (!span) {
      if (!this.drawn.delete(cid)) return;
      for (const p of this.index.delete(cid)) dirty.add(p);
      return;
    }
    const before = this.drawn.get(cid);
    const fields = this.fields(span);
    const same = before && sameDrawing(before, fields);
    if (same && before.span === span) return;
    const moved = this.index.set(span); // also points the index at the store's object after a reload
    if (!same) for (const p of moved) dirty.add(p);
    this.drawn.set(cid, fields);
  }

  /**
   * The first render: every paragraph goes into the DOM at once, as plain text (its text node in
   * `starts`), and those with spans are drawn from the top until FIRST_DRAW code points are done (a
   * short article: all of them); the rest are drawn in idle slices (drawLater), the paragraphs in
   * view first. A paragraph not drawn yet is the plain text at the right offsets: selection, find,
   * keyboard and ghosts work on it as on a drawn one (the spans' elements do not change the layout).
   */
  renderAll() {
    const bounds = paragraphBounds(this.store.text.chars);
    this.index = new SpanIndex(bounds);
    this.drawn = new Map();
    this.generation = this.store.generation;
    this.spanSeen = this.store.spanLog.length;
    for (const span of this.store.spans.values()) {
      this.index.set(span);
      this.drawn.set(span.cid, this.fields(span));
    }
    this.paragraphs = bounds.map(([start, end]) => h("p", { dir: "auto", dataset: { start, end } }));
    this.undrawn = new Set();
    this.lastRendered = [];
    let budget = FIRST_DRAW;
    bounds.forEach(([start, end], p) => {
      if (budget > 0 || !this.index.spansIn(p).length) {
        this.fillParagraph(p);
        this.lastRendered.push(p);
        budget -= end - start;
      } else {
        this.plainParagraph(p);
      }
    });
    this.container.replaceChildren(...this.paragraphs);
    this.allDrawn = new Promise((resolve) => { this.onAllDrawn = resolve; });
    this.drawLater();
    return this.starts;
  }

  /** A paragraph not drawn yet: its text, one node at its offset. */
  plainParagraph(p) {
    const [start, end] = this.index.bounds[p];
    const text = document.createTextNode(this.store.text.slice(start, end));
    this.starts.set(text, start);
    this.paragraphs[p].replaceChildren(text);
    this.undrawn.add(p);
  }

  /** Draw the paragraphs left plain, a slice of at most SLICE_MS of script per idle period, those in view first. */
  drawLater() {
    if (!this.undrawn.size) return this.onAllDrawn();
    const idle = globalThis.requestIdleCallback
      ? (fn) => globalThis.requestIdleCallback(fn, { timeout: 100 }) : (fn) => setTimeout(fn, 0);
    idle(() => {
      const started = performance.now();
      for (const p of this.drawingOrder()) {
        if (performance.now() - started > SLICE_MS) break;
        if (!this.holdsSelection(p)) this.fillParagraph(p);
      }
      this.drawLater();
    });
  }

  /**
   * Whether the user's selection starts or ends in paragraph `p`: redrawing it would replace the
   * text nodes the selection is anchored in (a drag under way would lose its start), so it waits.
   */
  holdsSelection(p) {
    const selection = globalThis.getSelection?.();
    if (!selection || !selection.rangeCount) return false;
    const el = this.paragraphs[p];
    return el.contains(selection.anchorNode) || el.contains(selection.focusNode);
  }

  /** The undrawn paragraphs from the first one in view (and one before it) on, then those above. */
  drawingOrder() {
    const waiting = [...this.undrawn].sort((a, b) => a - b);
    const first = this.firstInView() - 1;
    return [...waiting.filter((p) => p >= first), ...waiting.filter((p) => p < first)];
  }

  /** The first paragraph whose bottom is below the top of the view (halving over the paragraphs). */
  firstInView() {
    const top = Math.max(0, this.container.getBoundingClientRect?.().top ?? 0);
    let lo = 0;
    let hi = this.paragraphs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const bottom = this.paragraphs[mid].getBoundingClientRect?.().bottom;
      if (bottom === undefined) return 0; // not laid out (no layout engine): from the top
      if (bottom <= top) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The elements of span `cid`, its paragraphs drawn first if they were still plain. */
  elementsOf(cid) {
    for (const p of this.index?.where.get(cid) || []) if (this.undrawn.has(p)) this.fillParagraph(p);
    return this.elements.get(cid) || [];
  }

  /** What a span's elements show: a change in any of these redraws its paragraphs. */
  fields(span) {
    return {
      span, label: span.label, start: span.start, end: span.end, pieces: piecesOf(span).flat().join(","),
      needsReview: Boolean(span.needs_review), title: this.title(span),
    };
  }

  title(span) {
    return `${span.label}${span.entity ? " · " + this.store.entityName(span.entity) : ""}`;
  }

  fillParagraph(p) {
    this.undrawn.delete(p);
    const el = this.paragraphs[p];
    const [pStart, pEnd] = this.index.bounds[p];
    for (const old of el.querySelectorAll(".ann")) this.forget(old);
    const top = []; // the paragraph's children, appended at once
    const stack = []; // [{key, el}] outermost first
    const parentAppend = (node) => (stack.length ? stack[stack.length - 1].el.append(node) : top.push(node));
    for (const segment of segments(pStart, pEnd, this.index.spansIn(p))) {
      const covering = segment.pieces;
      let common = 0;
      while (common < stack.length && common < covering.length && stack[common].key === keyOf(covering[common])) common++;
      stack.length = common;
      for (const piece of covering.slice(common)) {
        const child = this.spanElement(piece, segment.start);
        parentAppend(child);
        stack.push({ key: keyOf(piece), el: child });
      }
      const text = document.createTextNode(this.store.text.slice(segment.start, segment.end));
      this.starts.set(text, segment.start);
      parentAppend(text);
    }
    el.replaceChildren(...top);
    for (const child of el.children) setLevels(child);
  }

  forget(el) {
    const cid = el.dataset.cid;
    const left = (this.elements.get(cid) || []).filter((other) => other !== el);
    if (left.length) this.elements.set(cid, left);
    else this.elements.delete(cid);
  }

  /** Only the cids whose server id changed since the last call (after a reload: every drawn span, once). */
  showIds() {
    const store = this.store;
    const logged = this.idGeneration === store.generation ? new Set(store.idLog.slice(this.idSeen)) : null;
    this.idGeneration = store.generation;
    this.idSeen = store.idLog.length;
    for (const cid of logged || [...this.elements.keys()]) {
      const els = this.elements.get(cid);
      const id = store.ids.get(cid);
      if (!els || id === undefined || this.ids.get(cid) === id) continue;
      for (const el of els) el.dataset.spanId = id;
      this.ids.set(cid, id);
    }
  }

  /** One element of a span's piece, opened at code point `at`. */
  spanElement(piece, at) {
    const { span, index } = piece;
    const several = piecesOf(span).length > 1;
    const el = this.createSpanElement(span, index, several, at === piece.from);
    if (!this.elements.has(span.cid)) this.elements.set(span.cid, []);
    this.elements.get(span.cid).push(el);
    const id = this.store.ids.get(span.cid);
    if (id !== undefined) this.ids.set(span.cid, id);
    return el;
  }

  createSpanElement(span, index, several, atPieceStart) {
    return h("span", {
      class: "ann",
      dataset: { spanId: this.store.ids.get(span.cid) ?? "", cid: span.cid, label: span.label, start: span.start, end: span.end },
      "data-part": !(index === 0 && atPieceStart), // the span's first element starts at its first piece's start
      "data-piece": several ? String(index) : null,
      "data-needs-review": Boolean(span.needs_review),
      title: this.title(span),
      style: { "--c": this.store.label(span.label).color },
    });
  }
}

// The first render draws the paragraphs with spans from the top up to this many code points (a
// screen or two of text), the rest in idle slices of SLICE_MS of script each, so the page shows and
// answers at once and no slice, with its layout, is a long task (> 50 ms).
const FIRST_DRAW = 8000;
const SLICE_MS = 12;

const keyOf = (piece) => `${piece.span.cid}#${piece.index}`;

function sameDrawing(a, b) {
  return a.label === b.label && a.start === b.start && a.end === b.end && a.pieces === b.pieces
    && a.needsReview === b.needsReview && a.title === b.title;
}

function setLevels(el) {
  let inner = 0;
  for (const child of el.children) inner = Math.max(inner, setLevels(child));
  const level = Math.min(inner + 1, 5);
  el.style.setProperty("--h", level);
  return level;
}

/** The span cids covering the element, innermost first. */
export function spansAt(container, target) {
  const cids = [];
  for (let el = target instanceof Element ? target : target.parentElement; el && el !== container; el = el.parentElement) {
    if (el.dataset.cid && !cids.includes(el.dataset.cid)) cids.push(el.dataset.cid);
  }
  return cids;
}

function firstText(node) {
  if (node.nodeType === Node.TEXT_NODE) return node;
  for (const child of node.childNodes) {
    const found = firstText(child);
    if (found) return found;
  }
  return null;
}

function lastText(node) {
  if (node.nodeType === Node.TEXT_NODE) return node;
  for (let i = node.childNodes.length - 1; i >= 0; i--) {
    const found = lastText(node.childNodes[i]);
    if (found) return found;
  }
  return null;
}

/** The code point offset of a DOM boundary point (node, UTF-16 offset) inside the article. */
export function pointToCodePoint(starts, node, offset) {
  if (node.nodeType === Node.TEXT_NODE) {
    const start = starts.get(node);
    return start === undefined ? null : start + utf16ToCodePoint(node.data, offset);
  }
  if (offset < node.childNodes.length) {
    const text = firstText(node.childNodes[offset]);
    if (text && starts.has(text)) return starts.get(text);
  }
  const before = offset > 0 ? lastText(node.childNodes[offset - 1] || node) : null;
  if (before && starts.has(before)) return starts.get(before) + codePointLength(before.data);
  const inside = firstText(node);
  return inside && starts.has(inside) ? starts.get(inside) : null;
}

/**
 * The current DOM selection as code points [start, end) in the article, or
 * null when nothing inside the article is selected. A selection that runs
 * past the article's edges is cut at them.
 */
export function selectionRange(container, starts) {
  const selection = window.getSelection();
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  if (!range.intersectsNode(container)) return null;
  const inStart = container.contains(range.startContainer);
  const inEnd = container.contains(range.endContainer);
  if (!inStart && !inEnd) return null;
  const start = inStart ? pointToCodePoint(starts, range.startContainer, range.startOffset)
    : pointToCodePoint(starts, container, 0);
  const end = inEnd ? pointToCodePoint(starts, range.endContainer, range.endOffset)
    : pointToCodePoint(starts, container, container.childNodes.length);
  if (start === null || end === null || end <= start) return null;
  return [start, end];
}

/**
 * The DOM point (text node, UTF-16 offset) of code point `point`, to show a snapped selection.
 * Only the paragraph holding the point is walked (found by halving over the paragraphs' data-start),
 * so the cost does not grow with the article.
 */
export function codePointToPoint(container, starts, point) {
  const paragraphs = container.children;
  let lo = 0;
  let hi = paragraphs.length - 1;
  while (lo < hi) { // the last paragraph starting at or before `point`
    const mid = (lo + hi + 1) >> 1;
    if (Number(paragraphs[mid].dataset.start) <= point) lo = mid;
    else hi = mid - 1;
  }
  const scope = paragraphs.length ? paragraphs[lo] : container;
  const walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
  let last = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const start = starts.get(node);
    if (start === undefined) continue;
    const length = codePointLength(node.data);
    if (point >= start && point < start + length) return [node, codePointToUtf16(node.data, point - start)];
    last = [node, node.data.length, start + length];
    if (point === start + length) return [node, node.data.length];
  }
  return last ? [last[0], last[1]] : null;
}
