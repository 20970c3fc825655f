// The article text with its spans.
//
// Each line of the text is a <p dir="auto"> (so an Arabic paragraph reads
// right to left); each span is an element nested inside the spans that cover
// it. Spans that cross (a QUOTE that is partly a CLAIM) or run over a line
// break are split into fragments; every fragment carries the span's full
// data-start/data-end and all but the first carry data-fragment. Each element
// gets --h, the number of span levels it contains plus one, so nested
// underlines stack below one another instead of overlapping.
//
// `starts` maps every text node to the code point offset where it begins:
// the bridge from a DOM selection (UTF-16 positions) back to the API's offsets.

import { h } from "./dom.js";
import { codePointLength, codePointToUtf16, utf16ToCodePoint } from "./offsets.js";

export function renderArticle(container, store) {
  const chars = store.text.chars;
  const spans = store.orderedSpans();
  const order = new Map(spans.map((span, index) => [span.cid, index]));
  const starts = new WeakMap();
  const seen = new Set();
  const paragraphs = [];

  let lineStart = 0;
  for (let i = 0; i <= chars.length; i++) {
    if (i < chars.length && chars[i] !== "\n") continue;
    if (i > lineStart) paragraphs.push([lineStart, i]);
    lineStart = i + 1;
  }

  const nodes = [];
  for (const [pStart, pEnd] of paragraphs) {
    const p = h("p", { dir: "auto", dataset: { start: pStart, end: pEnd } });
    const here = spans.filter((s) => s.start < pEnd && s.end > pStart);
    const cuts = new Set([pStart, pEnd]);
    for (const span of here) {
      if (span.start > pStart) cuts.add(span.start);
      if (span.end < pEnd) cuts.add(span.end);
    }
    const bounds = [...cuts].sort((a, b) => a - b);
    const stack = []; // [{cid, el}] outermost first
    for (let k = 0; k + 1 < bounds.length; k++) {
      const [a, b] = [bounds[k], bounds[k + 1]];
      const covering = here.filter((s) => s.start <= a && s.end >= b).sort((x, y) => order.get(x.cid) - order.get(y.cid));
      let common = 0;
      while (common < stack.length && common < covering.length && stack[common].cid === covering[common].cid) common++;
      stack.length = common;
      for (const span of covering.slice(common)) {
        const el = spanElement(span, store, seen.has(span.cid));
        seen.add(span.cid);
        (stack.length ? stack[stack.length - 1].el : p).append(el);
        stack.push({ cid: span.cid, el });
      }
      const text = document.createTextNode(store.text.slice(a, b));
      starts.set(text, a);
      (stack.length ? stack[stack.length - 1].el : p).append(text);
    }
    for (const child of p.children) setLevels(child);
    nodes.push(p);
  }
  container.replaceChildren(...nodes);
  return starts;
}

function spanElement(span, store, isFragment) {
  const label = store.label(span.label);
  const id = store.ids.get(span.cid);
  return h("span", {
    class: "ann",
    dataset: { spanId: id ?? "", cid: span.cid, label: span.label, start: span.start, end: span.end },
    "data-fragment": isFragment,
    title: `${span.label}${span.entity ? " · " + store.entityName(span.entity) : ""}`,
    style: { "--c": label.color },
  });
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

/** The DOM point (text node, UTF-16 offset) of code point `point`, to show a snapped selection. */
export function codePointToPoint(container, starts, point) {
  const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
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
