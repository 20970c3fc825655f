// Suggestions as the workspace holds them: what the recommenders propose for this article, kept
// apart from the layer (store.js) until the annotator accepts them. Plain data, no DOM and no
// network (suggesting.js talks to the API, ghosts.js draws them, panels/suggestions.js lists
// them), so the node tests can check the ordering, the offsets and the state updates.
//
// Offsets are code points, as the API sends them; ghostPieces turns them into UTF-16 positions
// in the rendered text nodes, the only place the DOM's units are needed.
//
// Accepting is a layer write like any other: acceptChange builds one "acceptSuggestions" op
// (applied at once by the store, sent by sending.js through the write queue with the layer
// version, undone by deleting what it made). Its body names the suggestions by id, never by
// label, so a retry re-sends exactly what was accepted and the server replays it.

import { codePointLength, codePointToUtf16 } from "./offsets.js";
import { newUuid } from "./store.js";

const spanKey = (label, start, end) => `${label}|${start}|${end}`;

/** Text order, as the article reads and Tab moves: start, then the longer first, then label and id. */
export function compareSpans(a, b) {
  return a.start - b.start || b.end - a.end || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0) || a.id - b.id;
}

export class Suggestions {
  constructor() {
    this.spans = new Map(); // id -> suggested span shown as a ghost
    this.ends = new Map(); // id -> suggested span a shown relation or stance needs, not shown itself
    this.relations = new Map();
    this.stances = new Map();
    this.current = null; // the suggested span Tab reached (kept after it goes, to step on from its place)
  }

  /** Take the API's answer (GET or refresh) as the whole of what is suggested now. */
  load(answer) {
    const key = this.current && spanKey(this.current.label, this.current.start, this.current.end);
    this.spans = new Map(answer.spans.map((span) => [span.id, span]));
    this.ends = new Map(Object.values(answer.ends || {}).map((span) => [span.id, span]));
    this.relations = new Map(answer.relations.map((relation) => [relation.id, relation]));
    this.stances = new Map(answer.stances.map((stance) => [stance.id, stance]));
    // A refresh makes new rows (new ids) for the same proposals: stay on the same one.
    if (key) this.current = [...this.spans.values()].find((s) => spanKey(s.label, s.start, s.end) === key) || this.current;
  }

  /** A suggested span by id, shown or only an end. */
  span(id) {
    return this.spans.get(id) || this.ends.get(id) || null;
  }

  /** The ghosts to draw, in text order: the shown spans the layer does not hold already (same label and offsets). */
  visible(store) {
    const held = new Set([...store.spans.values()].map((s) => spanKey(s.label, s.start, s.end)));
    return [...this.spans.values()].filter((s) => !held.has(spanKey(s.label, s.start, s.end))).sort(compareSpans);
  }

  /** Relations and stances still to decide (those whose ends are gone went with them). */
  links() {
    const has = (id) => this.span(id) !== null;
    return {
      relations: [...this.relations.values()].filter((r) => has(r.from) && has(r.to)),
      stances: [...this.stances.values()].filter((s) => (!s.holder || has(s.holder)) && s.evidence.every(has)),
    };
  }

  /** Visible ghosts per label, in the project's label order. */
  counts(store) {
    const counts = new Map();
    for (const span of this.visible(store)) counts.set(span.label, (counts.get(span.label) || 0) + 1);
    const order = [...store.labels.keys()];
    return new Map([...counts].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b)));
  }

  /**
   * Forget decided suggestions. An accepted span stays known as an end (an undecided relation may
   * still point at it: the layer holds it now, as the server's `ends` would say); a rejected one goes
   * with the relations and stances that need it, as the server leaves those out once it is rejected.
   */
  decided({ spans = [], relations = [], stances = [] }, decision) {
    for (const id of relations) this.relations.delete(id);
    for (const id of stances) this.stances.delete(id);
    for (const id of spans) {
      const span = this.spans.get(id);
      this.spans.delete(id);
      if (decision === "accepted" && span) this.ends.set(id, span);
      if (decision === "rejected") {
        this.ends.delete(id);
        for (const r of [...this.relations.values()]) if (r.from === id || r.to === id) this.relations.delete(r.id);
        for (const s of [...this.stances.values()]) if (s.holder === id || s.evidence.includes(id)) this.stances.delete(s.id);
      }
    }
  }

  /** Put back what a failed reject took away (the server did not record it). */
  restore(items) {
    for (const span of items.spans || []) this.spans.set(span.id, span);
    for (const relation of items.relations || []) this.relations.set(relation.id, relation);
    for (const stance of items.stances || []) this.stances.set(stance.id, stance);
  }
}

/**
 * The next ghost from `current` in `direction` (1: Tab, -1: Shift+Tab), wrapping at the ends. `current`
 * may be gone (accepted, rejected): the step goes from where it was.
 */
export function step(ordered, current, direction) {
  if (!ordered.length) return null;
  if (!current) return direction > 0 ? ordered[0] : ordered[ordered.length - 1];
  if (direction > 0) return ordered.find((s) => compareSpans(s, current) > 0) || ordered[0];
  return [...ordered].reverse().find((s) => compareSpans(s, current) < 0) || ordered[ordered.length - 1];
}

/**
 * A nesting level per ghost so overlapping ones never share an outline: the shorter first take the
 * lowest level free among those they overlap, so an inner ghost sits inside its outer ones' outlines.
 */
export function levels(ordered) {
  const byLength = [...ordered].sort((a, b) => (a.end - a.start) - (b.end - b.start) || compareSpans(a, b));
  const placed = [];
  const level = new Map();
  for (const span of byLength) {
    const taken = new Set(placed.filter((o) => o.start < span.end && span.start < o.end).map((o) => level.get(o.id)));
    let n = 0;
    while (taken.has(n)) n++;
    level.set(span.id, n);
    placed.push(span);
  }
  return level;
}

/**
 * Where [start, end) (code points) lies in the rendered text nodes: [index, from, to] per node it
 * touches, `from`/`to` in the node's UTF-16 units. `nodes` are {start (code point), data} in text order.
 * An emoji counts one code point but two units; Arabic letters one of each.
 */
export function ghostPieces(nodes, start, end) {
  const pieces = [];
  nodes.forEach((node, index) => {
    const length = codePointLength(node.data);
    const from = Math.max(start, node.start);
    const to = Math.min(end, node.start + length);
    if (from >= to) return;
    pieces.push([index, codePointToUtf16(node.data, from - node.start), codePointToUtf16(node.data, to - node.start)]);
  });
  return pieces;
}

/** What a suggestion says on hover and in the panel: label, score, recommender and its version. */
export function describeSuggestion(item) {
  const name = item.label || item.type || `${item.polarity} → ${item.target}`;
  return `${name} · score ${item.score.toFixed(2)} · ${item.recommender}${item.version ? ` v${item.version}` : ""}`;
}

/**
 * A failed recommender as the panel says it: "mymodel: …", its name once (the server's message may
 * start with "Recommender mymodel (url): …" already).
 */
export function recommenderMessage({ recommender, message }) {
  const prefix = `Recommender ${recommender}`;
  return message.startsWith(prefix) ? `${recommender}${message.slice(prefix.length)}` : `${recommender}: ${message}`;
}

/**
 * The change that accepts `chosen` ({spans, relations, stances}: suggestion ids) into the store's layer:
 * one "acceptSuggestions" op with the items it makes, each under a fresh cid (store.recordAccepted
 * learns their server ids from the answer). A span the layer holds already (same label and offsets)
 * is used as it is, as the server does; undo deletes only what the accept made.
 */
export function acceptChange(store, suggestions, chosen) {
  const heldSpans = new Map([...store.spans.values()].map((s) => [spanKey(s.label, s.start, s.end), s.cid]));
  const spans = [];
  const cids = new Map(); // suggestion id -> cid
  const take = (id) => {
    if (cids.has(id)) return cids.get(id);
    const s = suggestions.span(id);
    if (!s) throw new Error(`suggestion ${id} is not known here`);
    const key = spanKey(s.label, s.start, s.end);
    const held = heldSpans.get(key);
    const cid = held || newUuid();
    spans.push(held ? { cid, held: true, label: s.label, start: s.start, end: s.end }
      : { cid, label: s.label, start: s.start, end: s.end, text: store.text.slice(s.start, s.end),
          entity: s.entity ?? null, attributes: structuredClone(s.attributes || {}) });
    heldSpans.set(key, cid);
    cids.set(id, cid);
    return cid;
  };
  const body = { spans: [...(chosen.spans || [])], relations: [...(chosen.relations || [])],
                 stances: [...(chosen.stances || [])] };
  for (const id of body.spans) take(id);
  const relations = body.relations.map((id) => {
    const r = suggestions.relations.get(id);
    const [from, to] = [take(r.from), take(r.to)];
    const held = [...store.relations.values()].find((o) => o.type === r.type && o.from === from && o.to === to);
    return held ? { cid: held.cid, held: true, type: r.type, from, to } : { cid: newUuid(), type: r.type, from, to };
  });
  const stances = body.stances.map((id) => {
    const s = suggestions.stances.get(id);
    return { cid: newUuid(), holder_span: s.holder ? take(s.holder) : null, holder_entity: s.holder_entity ?? null,
             target: s.target, polarity: s.polarity, explicit: s.explicit !== false, evidence: s.evidence.map(take) };
  });
  const made = (items) => items.filter((item) => !item.held);
  const op = { op: "acceptSuggestions", cid: newUuid(), body, spans, relations, stances };
  const n = body.spans.length + body.relations.length + body.stances.length;
  return {
    title: `accept ${n} suggestion${n === 1 ? "" : "s"}`,
    forward: [op],
    backward: [
      ...made(stances).map((s) => ({ op: "deleteStance", cid: s.cid })),
      ...made(relations).map((r) => ({ op: "deleteRelation", cid: r.cid })),
      ...made(spans).map((s) => ({ op: "deleteSpan", cid: s.cid })),
    ],
  };
}
