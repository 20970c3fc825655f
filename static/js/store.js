// The layer as the workspace holds it, and the changes made to it.
//
// Items are keyed by a client id (cid) that never changes. An item made here
// gets a UUID, sent to the API as its `client_id`; the server stores it and
// returns it with the item, so a reload keys the item by the same cid. Items
// that came from a file import have no client id: they are "s<id>", "r<id>"
// or "t<id>" (span, relation, stance: server ids are only unique per kind).
// The server id of a cid is in `ids` once its creation is confirmed. Undo can
// delete and re-create an item (the server gives it a new id) while everything
// that refers to it — relations, stances, queued writes, the undo stack —
// keeps using the cid.
//
// A change is a plain "op" object: applied here at once (the page never waits
// for the network) and sent through the WriteQueue in order by sending.js,
// which turns it into API calls and reports the server ids back (recordId,
// forget). A create carries its client_id, so when its reply is lost the retry
// (or a re-apply after a reload) gets the stored item back instead of making a
// second one. Nothing here talks to the network.
//
// A span's `fragments` are its pieces (fragments.js): every span here has them, [[start, end]] for an
// ordinary one, and `start`/`end`/`text` always follow from them. A change to the pieces is a
// patchSpan of `fragments`; a change of `start`/`end` alone moves the outer bounds (as the API does).
//
// The layer's answers to the project's article questions are no items: `articleLabels` holds them,
// {QUESTION_NAME: value}, and one op, "setArticleLabels" {changes: {NAME: value or null}}, sets or clears
// some of them (panels/article-labels.js; its inverse sets back what they were).
//
// One op makes several items: "acceptSuggestions" (built by suggestions.js, its rules in
// accepting.js) is the accept of recommenders' suggestions, one API call that adds spans,
// relations and stances at once under fresh cids; the answer gives their server ids.
//
// What changed, so the renderer (render.js) redraws only that on a long article: `spanLog` lists the
// cids of the spans each applied op added, changed or deleted, `idLog` the cids whose server id was
// recorded or forgotten, in order. A reader keeps its position in each; a load starts new logs under a
// new `generation`, and a reader that sees another generation looks at everything once.

import { canAccept, describeAccepted, holdsAccepted, madeBy, recordAccepted } from "./accepting.js";
import { fragmentsOf, outerBounds, piecesText } from "./fragments.js";
import { CodePointText } from "./offsets.js";

const PREFIX = { spans: "s", relations: "r", stances: "t" };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A random (version 4) UUID; crypto.randomUUID needs a secure context, getRandomValues does not. */
export function newUuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Which of the store's maps an op's own cid belongs to. */
export function kindOf(op) {
  if (op.op.endsWith("Span")) return "spans";
  if (op.op.endsWith("Relation")) return "relations";
  return "stances";
}

const isCreate = (op) => op.op.startsWith("add");

/** Plain JSON values equal, ignoring the order of object keys. */
function same(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => same(a[key], b[key]));
}

export class Store {
  constructor(initial) {
    this.text = new CodePointText(initial.article.text);
    this.project = initial.project;
    this.labels = new Map(initial.project.labels.map((label) => [label.name, label]));
    this.relationTypes = initial.project.relation_types;
    this.entities = new Map(initial.entities.map((entity) => [entity.id, entity]));
    this.layerId = initial.layer.id;
    this.ids = new Map(); // cid -> server id
    this.aliases = new Map(); // client_id -> cid, for a re-created item whose cid is not a UUID (see stamp)
    this.listeners = new Set();
    this.load(initial.layer);
  }

  onChange(listener) {
    this.listeners.add(listener);
  }

  changed() {
    for (const listener of this.listeners) listener();
  }

  /**
   * Replace the items with the server's layer. An item with a client id is keyed by it (so an
   * item whose create reply was lost matches the queued op's cid); one without keeps the cid
   * this page already gave its server id.
   */
  load(layer) {
    const before = {}; // kind -> server id -> cid, as this page knew them
    for (const kind of Object.keys(PREFIX)) {
      const known = [...(this[kind]?.keys() || [])].filter((cid) => this.ids.has(cid));
      before[kind] = new Map(known.map((cid) => [this.ids.get(cid), cid]));
    }
    const cids = { spans: new Map(), relations: new Map(), stances: new Map() }; // server id -> cid, this load
    const key = (kind, item) => {
      const cid = item.client_id ? this.aliases.get(item.client_id) ?? item.client_id
        : before[kind].get(item.id) ?? `${PREFIX[kind]}${item.id}`;
      cids[kind].set(item.id, cid);
      this.ids.set(cid, item.id);
      return cid;
    };
    const span = (id) => (id === null || id === undefined ? null : cids.spans.get(id) ?? `s${id}`);
    this.generation = (this.generation || 0) + 1;
    this.spanLog = [];
    this.idLog = [];
    this.version = layer.version;
    this.status = layer.status;
    this.articleLabels = structuredClone(layer.article_labels || {});
    this.ids = new Map();
    this.spans = new Map();
    this.relations = new Map();
    this.stances = new Map();
    for (const item of layer.spans) {
      const cid = key("spans", item);
      if (item.entity && item.entity_name && !this.entities.has(item.entity)) {
        this.entities.set(item.entity, { id: item.entity, name: item.entity_name, type: "", description: "" });
      }
      this.spans.set(cid, {
        cid, label: item.label, start: item.start, end: item.end, fragments: fragmentsOf(item), text: item.text,
        entity: item.entity, attributes: item.attributes || {},
        // Flagged by re-anchoring a corrected text: `text` is the old snapshot until someone confirms it.
        needs_review: Boolean(item.needs_review),
      });
    }
    for (const item of layer.relations) {
      const cid = key("relations", item);
      this.relations.set(cid, { cid, type: item.type, from: span(item.from_span), to: span(item.to_span) });
    }
    for (const item of layer.stances) {
      const cid = key("stances", item);
      if (item.holder_entity && !this.entities.has(item.holder_entity)) {
        this.entities.set(item.holder_entity, { id: item.holder_entity, name: item.holder_entity_name, type: "", description: "" });
      }
      this.stances.set(cid, {
        cid, holder_span: span(item.holder_span), holder_entity: item.holder_entity, target: item.target,
        polarity: item.polarity, explicit: item.explicit, evidence: item.evidence.map(span),
      });
    }
    this.changed();
  }

  /** The cid this page gives the item of `kind` with server id `id`. */
  cidOf(kind, id) {
    for (const cid of this[kind].keys()) if (this.ids.get(cid) === id) return cid;
    return `${PREFIX[kind]}${id}`;
  }

  label(name) {
    return this.labels.get(name) || { name, color: "#999999", hotkey: "" };
  }

  entityName(id) {
    const entity = this.entities.get(id);
    return entity ? entity.name : `source #${id}`;
  }

  /** Spans in reading order: start, then the longer first (outer before inner). */
  orderedSpans() {
    return [...this.spans.values()].sort((a, b) => a.start - b.start || b.end - a.end || (a.cid < b.cid ? -1 : 1));
  }

  relationsOf(cid) {
    return [...this.relations.values()].filter((r) => r.from === cid || r.to === cid);
  }

  /** Relation types that fit a span of label `from` pointing at one of label `to`. */
  typesFor(from, to) {
    return this.relationTypes.filter((t) => (!t.from_label || t.from_label === from) && (!t.to_label || t.to_label === to));
  }

  // Changes: each returns {title, forward, backward} lists of ops ---------------------------

  addSpan(label, start, end, attributes = {}) {
    const cid = newUuid();
    return {
      title: `add ${label} ${this.text.slice(start, end)}`,
      cid,
      forward: [{ op: "addSpan", cid, label, start, end, text: this.text.slice(start, end), entity: null, attributes }],
      backward: [{ op: "deleteSpan", cid }],
    };
  }

  patchSpan(cid, changes) {
    const span = this.spans.get(cid);
    const before = {};
    for (const key of Object.keys(changes)) before[key] = structuredClone(span[key]);
    // Undoing a change of bounds or pieces restores both: the pieces of a span whose bounds moved.
    if ("start" in changes || "end" in changes) Object.assign(before, { start: span.start, end: span.end });
    if ("start" in changes || "end" in changes || "fragments" in changes) {
      const pieces = span.fragments.length > 1 || (changes.fragments || []).length > 1;
      if (pieces) {
        delete before.start;
        delete before.end;
        before.fragments = structuredClone(span.fragments);
      }
    }
    return {
      title: `change ${span.label} ${span.text}`,
      forward: [{ op: "patchSpan", cid, changes }],
      backward: [{ op: "patchSpan", cid, changes: before }],
    };
  }

  /** Change the span's pieces (fragments.js gives them ordered, apart and not touching). */
  setPieces(cid, fragments) {
    const span = this.spans.get(cid);
    const what = fragments.length > span.fragments.length ? "add a piece to" : "change the pieces of";
    return { ...this.patchSpan(cid, { fragments }), title: `${what} ${span.label} ${span.text}` };
  }

  deleteSpan(cid) {
    const span = this.spans.get(cid);
    const backward = [{ op: "addSpan", cid, label: span.label, start: span.start, end: span.end, text: span.text,
                        entity: span.entity, attributes: span.attributes }];
    if (span.fragments.length > 1) backward[0].fragments = structuredClone(span.fragments);
    for (const relation of this.relationsOf(cid)) backward.push({ op: "addRelation", ...relation });
    for (const stance of this.stances.values()) {
      if (stance.holder_span === cid) backward.push({ op: "addStance", ...structuredClone(stance) });
      else if (stance.evidence.includes(cid)) {
        backward.push({ op: "patchStance", cid: stance.cid, changes: { evidence: [...stance.evidence] } });
      }
    }
    return { title: `delete ${span.label} ${span.text}`, forward: [{ op: "deleteSpan", cid }], backward };
  }

  addRelation(type, from, to) {
    const cid = newUuid();
    return {
      title: `link ${type}`,
      forward: [{ op: "addRelation", cid, type, from, to }],
      backward: [{ op: "deleteRelation", cid }],
    };
  }

  deleteRelation(cid) {
    const relation = this.relations.get(cid);
    return { title: `unlink ${relation.type}`, forward: [{ op: "deleteRelation", cid }],
             backward: [{ op: "addRelation", ...relation }] };
  }

  /** Set (a value) or clear (null) some of the layer's article-level answers. */
  setArticleLabels(changes) {
    const before = {};
    for (const name of Object.keys(changes)) before[name] = structuredClone(this.articleLabels[name] ?? null);
    return { title: `answer ${Object.keys(changes).join(", ")}`, forward: [{ op: "setArticleLabels", changes }],
             backward: [{ op: "setArticleLabels", changes: before }] };
  }

  addStance(fields) {
    const cid = newUuid();
    return { title: "add stance", cid, forward: [{ op: "addStance", cid, ...fields }], backward: [{ op: "deleteStance", cid }] };
  }

  patchStance(cid, changes) {
    const stance = this.stances.get(cid);
    const before = {};
    for (const key of Object.keys(changes)) before[key] = structuredClone(stance[key]);
    return { title: "change stance", forward: [{ op: "patchStance", cid, changes }],
             backward: [{ op: "patchStance", cid, changes: before }] };
  }

  deleteStance(cid) {
    const stance = this.stances.get(cid);
    return { title: "delete stance", forward: [{ op: "deleteStance", cid }],
             backward: [{ op: "addStance", ...structuredClone(stance) }] };
  }

  // Applying ops here ----------------------------------------------------------------------

  /** Whether the items an op refers to are here (a re-applied op may refer to something gone). */
  canApply(op) {
    const has = (map, cid) => cid === null || cid === undefined || map.has(cid);
    switch (op.op) {
      case "acceptSuggestions": return canAccept(this, op);
      case "setArticleLabels": return true;
      case "addSpan": return !this.spans.has(op.cid);
      case "patchSpan": case "deleteSpan": return this.spans.has(op.cid);
      case "addRelation": return !this.relations.has(op.cid) && this.spans.has(op.from) && this.spans.has(op.to);
      case "deleteRelation": return this.relations.has(op.cid);
      case "addStance":
        return !this.stances.has(op.cid) && has(this.spans, op.holder_span) && op.evidence.every((c) => this.spans.has(c));
      case "patchStance":
        return this.stances.has(op.cid) && has(this.spans, op.changes.holder_span)
          && (op.changes.evidence || []).every((c) => this.spans.has(c));
      case "deleteStance": return this.stances.has(op.cid);
      default: return false;
    }
  }

  /**
   * Whether the layer as loaded already holds what the op does: its create is stored (the item
   * is here under its client id), its delete is done, its change is made. Re-applying such an
   * op after a reload is a no-op, not a change to list as unsaved.
   */
  holds(op) {
    if (op.op === "acceptSuggestions") return holdsAccepted(this, op);
    if (op.op === "setArticleLabels") {
      return Object.entries(op.changes).every(([name, value]) => same(value ?? null, this.articleLabels[name] ?? null));
    }
    const item = this[kindOf(op)].get(op.cid);
    if (isCreate(op)) return Boolean(item);
    if (op.op.startsWith("delete")) return !item;
    if (!item) return false;
    const sorted = (cids) => [...cids].sort();
    return Object.entries(op.changes).every(([key, value]) => (key === "evidence"
      ? same(sorted(value), sorted(item.evidence)) : same(value ?? null, item[key] ?? null)));
  }

  /**
   * Give a create op its client_id before it is first sent, and keep it on the op, so a retry,
   * a re-apply or a backup sends the same one. An item made here already has a UUID cid; a
   * re-created imported item ("s12", after undoing its delete) gets a fresh UUID, and the alias
   * keeps the item's cid when the server hands it back under that client id.
   */
  stamp(op) {
    if (!isCreate(op)) return op;
    if (!op.client_id) op.client_id = UUID.test(op.cid) ? op.cid : newUuid();
    if (op.client_id !== op.cid) this.aliases.set(op.client_id, op.cid);
    return op;
  }

  apply(op) {
    if (kindOf(op) === "spans" && op.cid !== undefined) this.spanLog.push(op.cid);
    switch (op.op) {
      case "addSpan": {
        const fragments = fragmentsOf(op);
        this.spans.set(op.cid, { cid: op.cid, label: op.label, start: op.start, end: op.end, fragments,
                                 text: piecesText(this.text, fragments), entity: op.entity ?? null,
                                 attributes: structuredClone(op.attributes || {}),
                                 // Made (or made again) here: only re-anchoring a corrected text flags a span.
                                 needs_review: false });
        break;
      }
      case "patchSpan": {
        const span = this.spans.get(op.cid);
        Object.assign(span, structuredClone(op.changes));
        // The pieces decide the bounds; bounds alone move the first piece's start and the last piece's
        // end, as the server does (the whole span for a one-piece span).
        if ("fragments" in op.changes) [span.start, span.end] = outerBounds(span.fragments);
        else if ("start" in op.changes || "end" in op.changes) {
          span.fragments = span.fragments.map(([a, b]) => [a, b]);
          span.fragments[0][0] = span.start;
          span.fragments[span.fragments.length - 1][1] = span.end;
        }
        span.text = piecesText(this.text, span.fragments);
        break;
      }
      case "deleteSpan":
        // What the server cascades: the span's relations and the stances it holds; evidence links.
        this.spans.delete(op.cid);
        for (const relation of [...this.relations.values()]) {
          if (relation.from === op.cid || relation.to === op.cid) this.relations.delete(relation.cid);
        }
        for (const stance of [...this.stances.values()]) {
          if (stance.holder_span === op.cid) this.stances.delete(stance.cid);
          else stance.evidence = stance.evidence.filter((c) => c !== op.cid);
        }
        break;
      case "addRelation":
        this.relations.set(op.cid, { cid: op.cid, type: op.type, from: op.from, to: op.to });
        break;
      case "deleteRelation":
        this.relations.delete(op.cid);
        break;
      case "addStance":
        this.stances.set(op.cid, { cid: op.cid, holder_span: op.holder_span ?? null, holder_entity: op.holder_entity ?? null,
                                   target: op.target, polarity: op.polarity, explicit: op.explicit !== false,
                                   evidence: [...(op.evidence || [])] });
        break;
      case "patchStance":
        Object.assign(this.stances.get(op.cid), structuredClone(op.changes));
        break;
      case "deleteStance":
        this.stances.delete(op.cid);
        break;
      case "acceptSuggestions":
        for (const made of madeBy(op)) this.apply(made);
        break;
      case "setArticleLabels":
        for (const [name, value] of Object.entries(op.changes)) {
          if (value === null || value === undefined) delete this.articleLabels[name];
          else this.articleLabels[name] = structuredClone(value);
        }
        break;
    }
  }

  // Server ids (the sending module reports what the API answered) ------------------------

  /** The server id of the item `cid`; an item whose create is not confirmed yet has none. */
  serverId(cid) {
    const id = this.ids.get(cid);
    if (id === undefined) throw new Error("it refers to an item whose own change was not saved");
    return id;
  }

  /** The API stored the item `cid` (or answered a retry with the stored one) under server id `id`. */
  recordId(cid, id) {
    this.ids.set(cid, id);
    this.idLog.push(cid);
  }

  /** The API answered an accept of suggestions: the server ids of the items it made (accepting.js). */
  recordAccepted(op, answer) {
    recordAccepted(this, op, answer);
  }

  /** The server deleted the item (a span's relations and held stances went with it, already gone here). */
  forget(cid) {
    this.ids.delete(cid);
    this.idLog.push(cid);
  }

  /** A human description of an op, for the save list and the conflict message. */
  describe(op) {
    const spanText = (cid) => {
      const span = this.spans.get(cid);
      return span ? `${span.label} “${span.text.slice(0, 40)}”` : "a span";
    };
    switch (op.op) {
      case "addSpan": return `Add ${op.label} “${op.text.slice(0, 40)}”`;
      case "patchSpan":
        if ("fragments" in op.changes) return `Change the pieces of ${spanText(op.cid)} (${op.changes.fragments.length})`;
        return `Change ${spanText(op.cid)} (${Object.keys(op.changes).join(", ")})`;
      case "deleteSpan": return `Delete ${spanText(op.cid)}`;
      case "addRelation": return `Link ${spanText(op.from)} ${op.type} ${spanText(op.to)}`;
      case "deleteRelation": return `Remove a ${this.relations.get(op.cid)?.type || ""} link`;
      case "addStance": return `Add stance (${op.polarity} → ${op.target})`;
      case "patchStance": return `Change a stance (${Object.keys(op.changes).join(", ")})`;
      case "deleteStance": return "Delete a stance";
      case "acceptSuggestions": return describeAccepted(op);
      case "setArticleLabels": return `Answer ${Object.keys(op.changes).join(", ")}`;
      default: return op.op;
    }
  }
}
