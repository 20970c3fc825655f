// The workspace for one assignment: wires the article, the panels, the
// hotkeys and the write queue together. State lives in store.js, rendering
// in render.js and panels/, saving in sync.js (with backups.js), talking to
// the API in api.js and sending.js. The page's initial state comes from the
// json_script block (the API's own shapes).

import { Api } from "./api.js";
import { debounce, h } from "./dom.js";
import { Sync } from "./sync.js";
import { Store } from "./store.js";
import { allDrawn, codePointToPoint, elementsOf, renderArticle, selectionRange, showSpanIds, spansAt } from "./render.js";
import { nextWordEnd, nextWordStart, previousWordEnd, previousWordStart, snapToWords, trimSpaces } from "./offsets.js";
import { withOuterBound, withPiece, withoutPiece } from "./fragments.js";
import { renderInspector } from "./panels/inspector.js";
import { renderSources } from "./panels/sources.js";
import { renderRelations } from "./panels/relations.js";
import { StancePanel } from "./panels/stances.js";
import { ArticleLabelsPanel } from "./panels/article-labels.js";
import { renderMarkdown } from "./panels/guidelines.js";
import { setupDialogs } from "./panels/dialogs.js";
import { ThreadsPanel, storeAnchors } from "./panels/threads.js";
import { Linking } from "./linking.js";
import { Suggesting } from "./suggesting.js";

const $ = (selector) => document.querySelector(selector);
const initial = JSON.parse($("#workspace-state").textContent);
const api = new Api(initial.urls.api, $('meta[name="csrf-token"]').content);
const store = new Store(initial);
const textEl = $("[data-article-text]");
const hintEl = $("[data-hint]");

const ui = {
  selected: null, // cid of the selected span
  pending: null, // [start, end) code points of the text selection waiting for a label
  mode: null, // {kind: "link", from} or {kind: "evidence", onPick}: what a click on a span does
  hover: new Set(),
  snap: true,
  lastStack: [], // span cids under the last click, innermost first
  picker: null,
  starts: null, // text node -> code point offset, from the last render
};

const ctx = {
  initial, api, store, ui, editable: initial.editable, project: initial.project,
  select, hover, hint, toast, decorate, setCount,
  startLink: () => linking.startLink(), startMode: (mode) => linking.startMode(mode), endMode: () => linking.endMode(),
  relabel, moveBound, boundsFromSelection, setAttribute, linkEntity, addPiece, removePiece,
  deleteSpan: (cid) => perform(store.deleteSpan(cid)),
  confirmSpan,
  deleteRelation: (cid) => perform(store.deleteRelation(cid)),
  addStance: (fields) => perform(store.addStance(fields)),
  patchStance: (cid, fields) => perform(store.patchStance(cid, fields)),
  deleteStance: (cid) => perform(store.deleteStance(cid)),
  setArticleLabels: (changes) => perform(store.setArticleLabels(changes)),
  flush: () => sync.flush(),
  openThreadsOn: (kind, id) => threads.openOn(kind, id).length, // the inspector's marker
  perform: (change) => perform(change), // suggesting.js: an accept of suggestions is a change like any other
  leave: (url) => { sync.leaving = true; window.location.assign(url); },
};

const sync = new Sync(ctx, { onReload: () => { ui.mode = null; refresh(); } });
const linking = new Linking(ctx, { hintEl, defaultHint, perform });
const inspectorEl = $('[data-panel="inspector"]');
const stances = new StancePanel($('[data-panel-body="stances"]'), ctx);
const articleLabels = new ArticleLabelsPanel($('[data-panel="article-labels"]'), ctx);
$('[data-panel-body="guidelines"]').replaceChildren(...renderMarkdown(initial.project.guidelines));
setupDialogs(ctx);
const suggesting = new Suggesting(ctx, { textEl, panel: $('[data-panel="suggestions"]') });
// Discussion (panels/threads.js): on this layer's items and the article; apart from the write queue.
const threads = new ThreadsPanel($('[data-panel-body="threads"]'), {
  api, article: initial.article.id, layers: [{ id: initial.layer.id, name: "this layer" }],
  anchors: () => storeAnchors(store, ui.selected),
  onShow: (thread) => { const cid = store.cidOf("spans", thread.anchor.id); if (cid) select(cid, { scroll: true }); },
  onCount: (n) => { setCount("threads", n); renderInspector(inspectorEl, ctx); }, onError: (message) => toast(message),
});

// Rendering ------------------------------------------------------------------------------

function refresh() {
  ui.starts = renderArticle(textEl, store);
  suggesting.render(ui.starts); // the ghosts are measured over the text just rendered
  if (ui.selected && !store.spans.has(ui.selected)) ui.selected = null;
  renderInspector(inspectorEl, ctx);
  decorate();
  $('[data-action="undo"]').disabled = !sync.canUndo();
  $('[data-action="redo"]').disabled = !sync.canRedo();
  panelsLater("sources", "relations", "stances", "articleLabels", "threads");
}

/**
 * The side panels off a change's critical path: the text's touched paragraphs and the inspector are
 * drawn at once, the lists (sources, relations, stances, article labels, threads) in a task after the
 * next frame, all the changes of one frame coalesced into one redraw. On a long article the lists hold
 * thousands of items; even kept by key (keyed.js) walking them cost more than the change itself.
 */
const panels = {
  sources: () => renderSources($('[data-panel-body="sources"]'), ctx),
  relations: () => renderRelations($('[data-panel-body="relations"]'), ctx),
  stances: () => stances.render(),
  articleLabels: () => articleLabels.render(),
  threads: () => threads.render(),
};
const panelsDue = new Set();
function panelsLater(...names) {
  if (!panelsDue.size) requestAnimationFrame(() => setTimeout(renderDuePanels, 0));
  for (const name of names) panelsDue.add(name);
}

function renderDuePanels() {
  const names = [...panelsDue];
  panelsDue.clear();
  for (const name of names) panels[name]();
  if (names.includes("stances")) decorate(); // stances.render drops deleted spans from the evidence being picked
}

function setCount(name, n) {
  $(`[data-count-of="${name}"]`).textContent = n ? String(n) : "";
}

/**
 * Classes for what is selected, linked to it, hovered in a panel, or picked as evidence. Only the
 * spans marked now or at the last call are touched (a long article has thousands of span elements).
 */
let decorated = new Set();
function decorate() {
  const related = new Set();
  if (ui.selected) for (const r of store.relationsOf(ui.selected)) related.add(r.from === ui.selected ? r.to : r.from);
  const evidence = stances.evidenceSet();
  const marked = new Set([ui.selected, ...related, ...ui.hover, ...evidence].filter(Boolean));
  for (const cid of new Set([...decorated, ...marked])) {
    for (const el of elementsOf(textEl, cid)) {
      el.classList.toggle("is-selected", cid === ui.selected);
      el.classList.toggle("is-related", related.has(cid));
      el.classList.toggle("is-hover", ui.hover.has(cid));
      el.classList.toggle("is-evidence", evidence.has(cid));
    }
  }
  decorated = marked;
  showSpanIds(textEl);
}

function select(cid, { scroll = false } = {}) {
  ui.selected = cid;
  if (cid && !ui.lastStack.includes(cid)) ui.lastStack = [cid];
  renderInspector(inspectorEl, ctx);
  panelsLater("threads"); // its "About" offers the selected span
  decorate();
  if (scroll && cid) {
    const el = textEl.querySelector(`[data-cid="${CSS.escape(cid)}"]`);
    if (el) el.scrollIntoView({ block: "center", behavior: "smooth" });
  }
}

function hover(cids) {
  ui.hover = new Set(cids);
  decorate();
}

let hintTimer = null;
function hint(text, { sticky = false } = {}) {
  clearTimeout(hintTimer);
  hintEl.textContent = text;
  if (!sticky) hintTimer = setTimeout(defaultHint, 6000);
}

function defaultHint() {
  if (ui.mode) hintEl.textContent = ui.mode.hint;
  else if (ui.pending) showPending();
  else hintEl.textContent = ctx.editable
    ? "Select text, then press a label's key or click the label. Click a highlighted span to edit it. ? lists every key."
    : "This article is read-only for you.";
}

function toast(message, kind = "error") {
  const box = $("[data-toasts]");
  const item = h("div", { class: `toast toast-${kind}`, role: "alert" }, message,
    h("button", { type: "button", class: "icon-button", "aria-label": "Dismiss", onclick: () => item.remove() }, "×"));
  box.append(item);
  setTimeout(() => item.remove(), 9000);
}

// Changes --------------------------------------------------------------------------------

function perform(change) {
  if (!ctx.editable) return;
  sync.perform(change);
  refresh();
}

function createSpan(labelName, [start, end]) {
  const existing = [...store.spans.values()].find((s) => s.label === labelName && s.start === start && s.end === end
                                                       && s.fragments.length === 1); // a split span is another span
  window.getSelection().removeAllRanges();
  ui.pending = null;
  if (existing) {
    select(existing.cid, { scroll: false });
    return hint(`That ${labelName} is already there.`);
  }
  const change = store.addSpan(labelName, start, end);
  perform(change);
  ui.lastStack = [change.cid];
  select(change.cid);
  hint(`Added ${labelName} “${store.text.slice(start, end).slice(0, 60)}”.`);
}

function relabel(cid, name) {
  const span = store.spans.get(cid);
  if (!span || span.label === name) return;
  for (const r of store.relationsOf(cid)) {
    const type = store.relationTypes.find((t) => t.name === r.type);
    const fits = r.from === cid ? !type.from_label || type.from_label === name : !type.to_label || type.to_label === name;
    if (!fits) return toast(`It cannot become ${name}: it takes part in a ${r.type} link. Remove the link first.`);
  }
  perform(store.patchSpan(cid, { label: name }));
}

/** A span flagged by re-anchoring, confirmed where it is now: its offsets sent again take the corrected text. */
function confirmSpan(cid) {
  const span = store.spans.get(cid);
  if (!span?.needs_review) return;
  const where = span.fragments.length > 1 ? { fragments: structuredClone(span.fragments) } : { start: span.start, end: span.end };
  perform(store.patchSpan(cid, { ...where, needs_review: false }));
}

function setAttribute(cid, key, value) {
  const attributes = { ...store.spans.get(cid).attributes };
  if (value === undefined) delete attributes[key];
  else attributes[key] = value;
  perform(store.patchSpan(cid, { attributes }));
}

function linkEntity(cid, entityId) {
  perform(store.patchSpan(cid, { entity: entityId }));
}

function moveBound(which, direction) {
  const span = ui.selected && store.spans.get(ui.selected);
  if (!span) return hint("Click a span first.");
  const chars = store.text.chars;
  let { start, end } = span;
  if (which === "start") start = direction < 0 ? previousWordStart(chars, start) : nextWordStart(chars, start);
  else end = direction < 0 ? previousWordEnd(chars, end) : nextWordEnd(chars, end);
  if (end <= start || start < 0 || end > chars.length || (start === span.start && end === span.end)) return;
  if (span.fragments.length > 1) {
    // A split span's outer bounds are its first piece's start and its last piece's end.
    const fragments = withOuterBound(span.fragments, which, which === "start" ? start : end);
    if (fragments) perform(store.setPieces(span.cid, fragments));
    return;
  }
  perform(store.patchSpan(span.cid, { start, end }));
}

/**
 * The selected text becomes another piece of the span (Alt with the span's label key, or the
 * inspector's button): a quote split by "Bourita said" is one QUOTE in two pieces. A selection
 * that overlaps or touches a piece merges into it; one already inside the span adds nothing.
 */
function addPiece(cid) {
  const span = cid && store.spans.get(cid);
  if (!span) return hint("Click the span to extend first, then select more text and press Alt with its label's key.");
  const range = currentSelection() || ui.pending;
  if (!range) return hint(`Select the text to add to this ${span.label}, then press Alt+${store.label(span.label).hotkey}.`);
  window.getSelection().removeAllRanges();
  ui.pending = null;
  const { fragments, merged, inside } = withPiece(span.fragments, range);
  if (inside) return hint(`That text is already part of this ${span.label}.`);
  perform(store.setPieces(cid, fragments));
  const count = `${fragments.length} piece${fragments.length === 1 ? "" : "s"}`;
  hint(merged ? `The selection overlaps or touches a piece of this ${span.label}, so it widened that piece (${count} now).`
    : `Added a piece to this ${span.label} (${count} now).`);
}

/** Remove one piece of a split span; the span keeps at least one (removing the last but one leaves an ordinary span). */
function removePiece(cid, index) {
  const span = store.spans.get(cid);
  const fragments = span && withoutPiece(span.fragments, index);
  if (fragments) perform(store.setPieces(cid, fragments));
}

function boundsFromSelection() {
  const span = ui.selected && store.spans.get(ui.selected);
  const range = currentSelection() || ui.pending;
  if (!span || !range) return;
  window.getSelection().removeAllRanges();
  ui.pending = null;
  perform(store.patchSpan(span.cid, { start: range[0], end: range[1] }));
}

// Selecting text ------------------------------------------------------------------------

function currentSelection() {
  const range = ui.starts && selectionRange(textEl, ui.starts);
  if (!range) return null;
  return ui.snap ? snapToWords(store.text.chars, ...range) : trimSpaces(store.text.chars, ...range);
}

function showPending() {
  const [start, end] = ui.pending;
  const text = store.text.slice(start, end);
  const keys = [...store.labels.values()].filter((l) => l.hotkey).map((l) => `${l.hotkey} ${l.name}`).join(", ");
  const span = ui.selected && store.spans.get(ui.selected);
  const extend = span && store.label(span.label).hotkey
    ? ` Or Alt+${store.label(span.label).hotkey} to add it to the selected ${span.label} as another piece.` : "";
  hintEl.textContent = `Selected “${text.length > 80 ? text.slice(0, 79) + "…" : text}” (${end - start} characters`
    + `${ui.snap ? ", snapped to whole words" : ""}). Press a label's key (${keys}) or click a label.${extend}`;
}

function updatePending({ showSnapped = false } = {}) {
  if (!ctx.editable) return;
  const range = currentSelection();
  const before = ui.pending;
  ui.pending = range;
  if (range) {
    showPending();
    if (showSnapped) showRange(range);
  } else if (before) defaultHint();
  if (Boolean(before) !== Boolean(range) && ui.selected) renderInspector(inspectorEl, ctx);
}

/** Show the snapped selection as the browser's selection, so what will be labelled is what is highlighted. */
function showRange([start, end]) {
  const from = codePointToPoint(textEl, ui.starts, start);
  const to = codePointToPoint(textEl, ui.starts, end);
  const selection = window.getSelection();
  if (!from || !to || !selection.rangeCount) return;
  const range = selection.getRangeAt(0);
  if (range.startContainer === from[0] && range.startOffset === from[1] && range.endContainer === to[0] && range.endOffset === to[1]) return;
  selection.setBaseAndExtent(from[0], from[1], to[0], to[1]);
}

document.addEventListener("mouseup", () => setTimeout(() => updatePending({ showSnapped: true }), 0));
document.addEventListener("keyup", (event) => { if (event.shiftKey) updatePending(); });
document.addEventListener("selectionchange", debounce(() => updatePending(), 60));

// Clicking spans ----------------------------------------------------------------------

textEl.addEventListener("click", (event) => {
  const selection = window.getSelection();
  if (selection && !selection.isCollapsed && textEl.contains(selection.anchorNode)) return; // the end of a drag
  const stack = spansAt(textEl, event.target);
  if (ui.mode && ui.mode.kind === "link") return linking.finishLink(stack);
  if (ui.mode && ui.mode.kind === "evidence") {
    if (stack.length) ui.mode.onPick(stack[0]);
    return;
  }
  if (!stack.length) {
    ui.lastStack = [];
    return select(null);
  }
  const same = stack.length === ui.lastStack.length && stack.every((cid, i) => cid === ui.lastStack[i]);
  ui.lastStack = stack;
  select(same && stack.includes(ui.selected) ? stack[(stack.indexOf(ui.selected) + 1) % stack.length] : stack[0]);
});

function cycle() {
  if (ui.lastStack.length < 2) return hint("Only one span here.");
  const i = ui.lastStack.indexOf(ui.selected);
  select(ui.lastStack[(i + 1) % ui.lastStack.length]);
}

// Keys -----------------------------------------------------------------------------------

function typingInField(target) {
  return target.closest && target.closest("input, textarea, select, [contenteditable]");
}

document.addEventListener("keydown", (event) => {
  if (document.querySelector("dialog[open]")) return; // dialogs handle their own keys (Esc closes)
  const key = event.key;
  const mod = event.ctrlKey || event.metaKey;
  if (mod && !event.altKey && key.toLowerCase() === "s") {
    event.preventDefault();
    return sync.retryNow();
  }
  if (typingInField(event.target)) {
    if (key === "Escape") event.target.blur();
    return;
  }
  if (mod && key.toLowerCase() === "z") {
    event.preventDefault();
    return event.shiftKey ? sync.redo() : sync.undo();
  }
  if (mod && key.toLowerCase() === "y") {
    event.preventDefault();
    return sync.redo();
  }
  if (event.altKey && !mod && ctx.editable && pieceKey(event)) return;
  if (mod || event.altKey) return;
  if (key === "?") return ctx.toggleHelp();
  if (suggesting.onKey(event)) return; // Tab, Enter, x/Backspace on the current suggestion, Esc, g
  if (key === "Escape") {
    document.querySelector("[data-type-chooser]")?.remove();
    if (ui.mode) return linking.endMode();
    window.getSelection().removeAllRanges();
    ui.pending = null;
    return select(null);
  }
  if (!ctx.editable) return;
  if (key === "a") return linking.startLink();
  if (key === ".") return cycle();
  if (key === "Delete" || key === "Backspace") {
    if (ui.selected) {
      event.preventDefault();
      ctx.deleteSpan(ui.selected);
    }
    return;
  }
  const bounds = { "[": ["start", -1], "]": ["start", 1], "{": ["end", -1], "}": ["end", 1] }[key];
  if (bounds) return moveBound(...bounds);
  const label = [...store.labels.values()].find((l) => l.hotkey && l.hotkey.toLowerCase() === key.toLowerCase());
  if (label) {
    event.preventDefault();
    applyLabel(label.name);
  }
});

/**
 * Alt+<the selected span's label key>: add the selected text to that span as a piece. Matched by the
 * physical key too, since Alt+q types "œ" on a Mac keyboard. Alt with another label's key says which
 * key extends the selected span instead of guessing. Returns whether the key was a label's.
 */
function pieceKey(event) {
  const label = [...store.labels.values()].find((l) => l.hotkey && (l.hotkey.toLowerCase() === event.key.toLowerCase()
    || event.code === `Key${l.hotkey.toUpperCase()}`));
  if (!label) return false;
  event.preventDefault();
  const span = ui.selected && store.spans.get(ui.selected);
  if (span && span.label !== label.name) {
    hint(`Alt+${label.hotkey} extends a ${label.name}; the selected span is a ${span.label} (Alt+${store.label(span.label).hotkey}).`);
  } else addPiece(ui.selected);
  return true;
}

function applyLabel(name) {
  const range = currentSelection() || ui.pending;
  if (range) return createSpan(name, range);
  if (ui.selected) return relabel(ui.selected, name);
  hint("Select some text first, then press the label's key.");
}

// The page's controls ------------------------------------------------------------------

for (const button of document.querySelectorAll("[data-label-button]")) {
  button.querySelector(".swatch").style.setProperty("background", button.dataset.color);
  button.style.setProperty("--c", button.dataset.color);
  button.addEventListener("mousedown", (event) => event.preventDefault()); // keep the text selection
  button.addEventListener("click", () => applyLabel(button.dataset.labelButton));
  button.disabled = !ctx.editable;
}
$("[data-snap]").addEventListener("change", (event) => {
  ui.snap = event.target.checked;
  updatePending();
});
$('[data-action="undo"]').addEventListener("click", () => sync.undo());
$('[data-action="redo"]').addEventListener("click", () => sync.redo());
$('[data-action="help"]').addEventListener("click", () => ctx.toggleHelp());
$('[data-action="submit"]').addEventListener("click", () => ctx.openSubmit());
$('[data-action="skip"]').addEventListener("click", () => ctx.openSkip());
$('[data-action="retry"]').addEventListener("click", () => sync.retryNow());

if (!ctx.editable) {
  document.body.classList.add("is-readonly");
  for (const selector of ['[data-action="submit"]', '[data-action="skip"]', ".btn-group"]) $(selector).hidden = true;
  sync.banner(initial.assignment.status === "skipped"
    ? [h("strong", null, "Skipped. "), `You skipped this article (“${initial.assignment.skip_reason}”). It is read-only.`]
    : [h("strong", null, "Submitted. "), "This article is read-only for you now."], { kind: "info" });
}

refresh();
defaultHint();
const loadingSuggestions = suggesting.load(); // only an editable layer's; failures show in its panel
const loadingThreads = threads.load(); // discussion stays open after submit: it is not the layer
try {
  await sync.start(); // this tab's backup key; offers what earlier pages could not save
} catch (error) {
  toast(`Unsaved changes of earlier visits could not be checked: ${error.message}`);
}
await loadingSuggestions;
await loadingThreads;
await allDrawn(textEl); // a long article's paragraphs past the first screens are drawn in idle slices
document.body.dataset.ready = "true";
