// render.js and paragraphs.js: the interval index of spans per paragraph (overlaps, pieces of a
// discontinuous span, paragraphs reached over a line break), the elements drawn for each span
// (parts, pieces, needs_review) with their code point offsets (emoji, Arabic), and a change
// re-rendering only the paragraphs it touches.
import assert from "node:assert/strict";
import { test } from "node:test";

import { installDom, textNodes } from "./dom.mjs";
import { PROJECT } from "./fixtures.mjs";
import { Store } from "../../static/js/store.js";
import { SpanIndex, paragraphBounds, segments } from "../../static/js/paragraphs.js";

installDom();
const { ArticleView, allDrawn, codePointToPoint, elementsOf, pointToCodePoint, renderArticle, showSpanIds, viewOf } =
  await import("../../static/js/render.js");
const { keyedChildren } = await import("../../static/js/keyed.js");

// Four paragraphs (one after a blank line); an emoji (two UTF-16 units) and Arabic in them.
const TEXT = [
  "Hassan Bellouan 🌍 said “the plan is serious”.",
  "قال الوزير إن الخطة جادة 🌍 وذات مصداقية.",
  "",
  "A third paragraph, plain.",
  "The last one 🌍 ends here.",
].join("\n");
const chars = Array.from(TEXT);

/** [start, end) of the `nth` occurrence of `fragment`, in code points. */
function at(fragment, nth = 0) {
  let from = -1;
  for (let i = 0; i <= nth; i++) from = TEXT.indexOf(fragment, from + 1);
  const start = Array.from(TEXT.slice(0, from)).length;
  return [start, start + Array.from(fragment).length];
}

function span(id, label, fragment, extra = {}) {
  const [start, end] = at(fragment);
  return { id, client_id: null, label, start, end, text: fragment, entity: null, entity_name: null, attributes: {}, ...extra };
}

function makeView(spans = []) {
  const store = new Store({ article: { text: TEXT }, project: PROJECT, entities: [],
                            layer: { id: 7, version: 1, status: "in_progress", spans, relations: [], stances: [] } });
  const container = document.createElement("div");
  const view = new ArticleView(container, store);
  const starts = view.render();
  return { store, container, view, starts };
}

const spanEls = (container) => container.descendants((el) => el.className === "ann");
const elsOf = (container, cid) => spanEls(container).filter((el) => el.dataset.cid === cid);

test("paragraphs are the non-empty lines, in code points", () => {
  const bounds = paragraphBounds(chars);
  assert.equal(bounds.length, 4);
  assert.deepEqual(bounds[0], [0, at("Hassan Bellouan 🌍 said “the plan is serious”.")[1]]);
  assert.deepEqual(bounds[1], at("قال الوزير إن الخطة جادة 🌍 وذات مصداقية."));
  assert.deepEqual(bounds[2], at("A third paragraph, plain."));
  assert.deepEqual(bounds[3][1], chars.length);
});

test("the index finds a span's paragraphs by halving, a piece over a line break in both", () => {
  const index = new SpanIndex(paragraphBounds(chars));
  assert.deepEqual(index.paragraphsOf(...at("Bellouan")), [0, 0]);
  assert.deepEqual(index.paragraphsOf(...at("plain")), [2, 2]);
  const [start] = at("serious");
  const [, end] = at("قال الوزير");
  assert.deepEqual(index.paragraphsOf(start, end), [0, 1]);
  const blank = at("مصداقية.")[1] + 1; // the empty line's own newline
  assert.equal(index.paragraphsOf(blank, blank + 1), null);

  assert.deepEqual(index.set({ cid: "a", start, end }), [0, 1]);
  assert.deepEqual(index.spansIn(1).map((s) => s.cid), ["a"]);
  // Two pieces in paragraphs 0 and 3: not in the paragraphs between them.
  const pieces = [at("Hassan"), at("ends here")];
  assert.deepEqual(index.set({ cid: "b", start: pieces[0][0], end: pieces[1][1], fragments: pieces }), [0, 3]);
  assert.deepEqual(index.spansIn(2), []);
  // Moved: the answer names the paragraphs it left and the ones it reached.
  assert.deepEqual(index.set({ cid: "a", start: at("third")[0], end: at("third")[1] }), [0, 1, 2]);
  assert.deepEqual(index.spansIn(0).map((s) => s.cid), ["b"]);
  assert.deepEqual(index.delete("b"), [0, 3]);
  assert.equal(index.has("b"), false);
  assert.deepEqual(index.spansIn(3), []);
});

test("segments nest overlapping spans outermost first and leave a discontinuous span's gap uncovered", () => {
  const [pStart, pEnd] = paragraphBounds(chars)[0];
  const quote = { cid: "q", ...range("“the plan is serious”") };
  const claim = { cid: "c", ...range("plan is serious”.") }; // crosses the quote's end
  const split = { cid: "s", start: at("Hassan")[0], end: at("said")[1], fragments: [at("Hassan"), at("said")] };
  const out = segments(pStart, pEnd, [claim, quote, split]);
  const covering = (fragment) => out.find((seg) => seg.start === at(fragment)[0]).pieces.map((p) => p.span.cid);
  assert.deepEqual(covering("plan"), ["q", "c"]);
  assert.deepEqual(covering("."), ["c"]);
  assert.deepEqual(covering("Hassan"), ["s"]);
  assert.deepEqual(covering(" Bellouan"), []); // the gap between the two pieces
  assert.deepEqual(covering("said"), ["s"]);
  assert.equal(out.map((seg) => TEXT_SLICE(seg)).join(""), chars.slice(pStart, pEnd).join(""));
});

function range(fragment) {
  const [start, end] = at(fragment);
  return { start, end };
}

const TEXT_SLICE = (seg) => chars.slice(seg.start, seg.end).join("");

test("every text node starts at its code point offset, with emoji and Arabic", () => {
  const { container, starts } = makeView([
    span(1, "SOURCE", "Hassan Bellouan"), span(2, "QUOTE", "“the plan is serious”"),
    span(3, "CLAIM", "الخطة جادة 🌍 وذات"), span(4, "CUE", "قال"), span(5, "QUOTE", "🌍 ends"),
  ]);
  const nodes = textNodes(container);
  for (const node of nodes) {
    const start = starts.get(node);
    assert.equal(node.data, chars.slice(start, start + Array.from(node.data).length).join(""));
  }
  assert.equal(container.children.map((p) => p.textContent).join("\n"), TEXT.replace("\n\n", "\n"));
  // A DOM point after the emoji (UTF-16 offset past the pair) is the code point after it.
  const emojiNode = nodes.find((node) => node.data.startsWith("🌍 ends"));
  assert.equal(pointToCodePoint(starts, emojiNode, 2), at("🌍", 2)[1]);
  const [node, offset] = codePointToPoint(container, starts, at("ends")[0]);
  assert.equal(node, emojiNode);
  assert.equal(offset, 3); // "🌍 " is three UTF-16 units
  for (const el of spanEls(container)) {
    const text = el.textContent;
    assert.equal(text, chars.slice(Number(el.dataset.start), Number(el.dataset.end)).join(""));
  }
});

test("a crossing span is drawn in parts: one first element, the others data-part, all with the outer bounds", () => {
  const { container, store } = makeView([span(1, "QUOTE", "“the plan is serious”"), span(2, "CLAIM", "serious”.")]);
  const claim = [...store.spans.keys()][1];
  const parts = elsOf(container, claim);
  assert.equal(parts.length, 2);
  assert.equal(parts.filter((el) => !el.hasAttribute("data-part")).length, 1);
  assert.equal(parts.map((el) => el.textContent).join(""), "serious”.");
  for (const el of parts) assert.deepEqual([Number(el.dataset.start), Number(el.dataset.end)], at("serious”."));
});

test("a discontinuous span is drawn by its pieces, data-piece on each, the gap not inside it", () => {
  const pieces = [at("“the plan"), at("is serious”")];
  const { container, store } = makeView([span(1, "QUOTE", "“the plan is serious”",
                                             { fragments: pieces })]);
  // The store keeps what it is given by its own rules; the renderer reads `fragments` off the span.
  const cid = [...store.spans.keys()][0];
  store.spans.get(cid).fragments = pieces;
  const view = new ArticleView(container, store);
  view.render();
  const els = elsOf(container, cid);
  assert.deepEqual(els.map((el) => el.textContent), ["“the plan", "is serious”"]);
  assert.deepEqual(els.map((el) => el.dataset.piece), ["0", "1"]);
  assert.deepEqual(els.map((el) => el.hasAttribute("data-part")), [false, true]);
  const gap = textNodes(container).find((node) => node.data === " ");
  assert.equal(gap.parentElement.tagName, "P");
});

test("a span flagged by re-anchoring carries data-needs-review", () => {
  const { container, store, view } = makeView([span(1, "QUOTE", "“the plan is serious”"), span(2, "CUE", "said")]);
  const [quote, cue] = [...store.spans.keys()];
  store.apply({ op: "patchSpan", cid: quote, changes: { needs_review: true } }); // the renderer follows the store's changes
  view.render();
  assert.equal(elsOf(container, quote)[0].hasAttribute("data-needs-review"), true);
  assert.equal(elsOf(container, cue)[0].hasAttribute("data-needs-review"), false);
});

test("a change re-renders only its paragraphs; the others keep their nodes", () => {
  const { container, store, view } = makeView([span(1, "SOURCE", "Hassan Bellouan"), span(2, "CUE", "قال"),
                                               span(3, "QUOTE", "third paragraph")]);
  assert.deepEqual(view.lastRendered, [0, 1, 2, 3]);
  const firstNodes = () => container.children.map((p) => p.childNodes[0]);
  let before = firstNodes();
  const apply = (change) => { for (const op of change.forward) store.apply(op); return view.render(); };

  apply(store.addSpan("CLAIM", ...at("ends here")));
  assert.deepEqual(view.lastRendered, [3]);
  let after = firstNodes();
  assert.deepEqual([0, 1, 2].map((p) => after[p] === before[p]), [true, true, true]);
  assert.equal(elsOf(container, [...store.spans.keys()][3])[0].textContent, "ends here");

  const [source, cue, quote] = [...store.spans.keys()];
  apply(store.patchSpan(cue, { label: "SOURCE" })); // relabel
  assert.deepEqual(view.lastRendered, [1]);
  assert.equal(elsOf(container, cue)[0].dataset.label, "SOURCE");

  before = firstNodes();
  const [start, end] = at("plain");
  apply(store.patchSpan(quote, { start, end })); // moved within its paragraph
  assert.deepEqual(view.lastRendered, [2]);
  apply(store.patchSpan(source, { start: at("last one")[0], end: at("last one")[1] })); // to another paragraph
  assert.deepEqual(view.lastRendered, [0, 3]);
  after = firstNodes();
  assert.equal(after[1], before[1]);
  assert.equal(elsOf(container, source).length, 1);
  assert.equal(container.children[0].children.length, 0);

  apply(store.deleteSpan(cue));
  assert.deepEqual(view.lastRendered, [1]);
  assert.equal(elsOf(container, cue).length, 0);

  // A render with nothing changed, and a reload of the same layer, draw nothing.
  view.render();
  assert.deepEqual(view.lastRendered, []);
  store.load({ id: 7, version: 9, status: "in_progress", relations: [], stances: [],
               spans: [...store.spans.values()].map((s, i) => ({ id: 100 + i, client_id: s.cid, label: s.label, start: s.start,
                                                                end: s.end, text: s.text, entity: null, attributes: {} })) });
  view.render();
  assert.deepEqual(view.lastRendered, []);
  // The index now holds the reloaded objects: a change to one of them is seen.
  apply(store.patchSpan(quote, { label: "CLAIM" }));
  assert.deepEqual(view.lastRendered, [2]);
});

test("a long article: a change draws one paragraph whatever the article's length", () => {
  const paragraph = "Hassan Bellouan said “Morocco 🌍 is a key partner in the fight against terrorism”.";
  const text = Array.from({ length: 1200 }, () => paragraph).join("\n\n");
  const spans = [];
  let offset = 0;
  for (let p = 0; p < 1200; p++) {
    spans.push({ id: p * 2 + 1, client_id: null, label: "SOURCE", start: offset, end: offset + 15, text: "Hassan Bellouan",
                 entity: null, attributes: {} });
    spans.push({ id: p * 2 + 2, client_id: null, label: "QUOTE", start: offset + 21, end: offset + 82,
                 text: Array.from(paragraph).slice(21, 82).join(""), entity: null, attributes: {} });
    offset += Array.from(paragraph).length + 2;
  }
  const store = new Store({ article: { text }, project: PROJECT, entities: [],
                            layer: { id: 7, version: 1, status: "in_progress", spans, relations: [], stances: [] } });
  const container = document.createElement("div");
  const view = new ArticleView(container, store);
  view.render();
  assert.equal(container.children.length, 1200);
  const middle = 600 * (Array.from(paragraph).length + 2);
  const change = store.addSpan("CUE", middle + 16, middle + 20);
  for (const op of change.forward) store.apply(op);
  let compared = 0; // spans compared with their drawing: only the changed one, not all 2,401
  const fields = view.fields.bind(view);
  view.fields = (span) => { compared++; return fields(span); };
  view.render();
  assert.deepEqual(view.lastRendered, [600]);
  assert.equal(compared, 1);
  assert.equal(elsOf(container.children[600], change.cid)[0].textContent, "said");
});

test("a long article opens with its first screens drawn; the rest is plain text at its offsets, drawn when idle", async () => {
  const paragraph = "Hassan Bellouan said “Morocco 🌍 is a key partner in the fight against terrorism”.";
  const length = Array.from(paragraph).length + 2;
  const text = Array.from({ length: 600 }, () => paragraph).join("\n\n");
  const spans = Array.from({ length: 600 }, (_, p) => ({ id: p + 1, client_id: null, label: "SOURCE", start: p * length,
                                                          end: p * length + 15, text: "Hassan Bellouan", entity: null, attributes: {} }));
  const store = new Store({ article: { text }, project: PROJECT, entities: [],
                            layer: { id: 7, version: 1, status: "in_progress", spans, relations: [], stances: [] } });
  const container = document.createElement("div");
  renderArticle(container, store);
  const view = viewOf(container);
  assert.equal(container.children.length, 600);
  assert.ok(view.lastRendered.length > 50 && view.lastRendered.length < 200, `drew ${view.lastRendered.length} at once`);
  const plain = container.children[500];
  assert.equal(plain.children.length, 0);
  assert.equal(plain.childNodes[0].data, paragraph);
  assert.equal(pointToCodePoint(view.starts, plain.childNodes[0], 2), 500 * length + 2);
  // A span's elements are asked for (selected, scrolled to): its paragraph is drawn then.
  assert.equal(elementsOf(container, "s551")[0].textContent, "Hassan Bellouan");
  assert.equal(container.children[550].children.length, 1);
  await allDrawn(container);
  assert.equal(view.undrawn.size, 0);
  assert.equal(container.children[500].children[0].dataset.cid, "s501");
  assert.equal(elementsOf(container, "s600").length, 1);
});

test("renderArticle keeps one view per container: elementsOf follows re-renders, showSpanIds the server's ids", () => {
  const store = new Store({ article: { text: TEXT }, project: PROJECT, entities: [],
                            layer: { id: 7, version: 1, status: "in_progress", relations: [], stances: [],
                                     spans: [span(1, "QUOTE", "“the plan is serious”")] } });
  const container = document.createElement("div");
  const starts = renderArticle(container, store);
  const change = store.addSpan("CLAIM", ...at("plan is serious”."));
  for (const op of change.forward) store.apply(op);
  assert.equal(renderArticle(container, store), starts); // the same map, grown
  const parts = elementsOf(container, change.cid);
  assert.equal(parts.length, 2);
  assert.ok(parts.every((el) => container.contains(el) && el.dataset.spanId === ""));
  store.recordId(change.cid, 42);
  renderArticle(container, store);
  assert.deepEqual(elementsOf(container, change.cid).map((el) => el.dataset.spanId), ["", ""]); // not redrawn for an id
  showSpanIds(container);
  assert.deepEqual(elementsOf(container, change.cid).map((el) => el.dataset.spanId), ["42", "42"]);
  for (const op of store.deleteSpan(change.cid).forward) store.apply(op);
  renderArticle(container, store);
  assert.deepEqual(elementsOf(container, change.cid), []);
});

test("a list redrawn by key keeps the elements of unchanged items and builds only the new ones", () => {
  const list = document.createElement("ul");
  let built = 0;
  const build = (item) => { built++; const li = document.createElement("li"); li.append(item.name); return li; };
  const keyOf = (item) => `${item.id}|${item.name}`;
  keyedChildren(list, [{ id: 1, name: "a" }, { id: 2, name: "b" }, { id: 3, name: "c" }], keyOf, build);
  const [a, b, c] = list.childNodes;
  built = 0;
  keyedChildren(list, [{ id: 1, name: "a" }, { id: 4, name: "d" }, { id: 3, name: "c" }], keyOf, build);
  assert.equal(built, 1);
  assert.deepEqual(list.childNodes.map((li) => li.textContent), ["a", "d", "c"]);
  assert.equal(list.childNodes[0], a);
  assert.equal(list.childNodes[2], c);
  assert.equal(b.parentNode, null);
  keyedChildren(list, [{ id: 3, name: "c" }, { id: 1, name: "A" }], keyOf, build); // reordered, one renamed
  assert.deepEqual(list.childNodes.map((li) => li.textContent), ["c", "A"]);
  assert.equal(list.childNodes[0], c);
  assert.equal(built, 2);
});
