// The layer as the workspace holds it, and the changes made to it.
//
// Items are keyed by a client id (cid) that never changes: "s<id>" for items
// loaded from the server, "n…" for items made here. The server id of a cid is
// in `ids` once its creation is confirmed. Undo can delete and re-create an
// item (the server gives it a new id) while everything that refers to it —
// relations, stances, queued writes, the undo stack — keeps using the cid.
//
// A change is a plain "op" object: applied here at once (the page never waits
// for the network) and sent through the WriteQueue in order.

import { CodePointText } from "./offsets.js";

let counter = 0;
const newCid = () => `n${Date.now().toString(36)}${(counter++).toString(36)}`;

export class Store {
  constructor(initial) {
    this.text = new CodePointText(initial.article.text);
    this.project = initial.project;
    this.labels = new Map(initial.project.labels.map((label) => [label.name, label]));
    this.relationTypes = initial.project.relation_types;
    this.entities = new Map(initial.entities.map((entity) => [entity.id, entity]));
    this.layerId = initial.layer.id;
    this.ids = new Map(); // cid -> server id
    this.listeners = new Set();
    this.load(initial.layer);
  }

  onChange(listener) {
    this.listeners.add(listener);
  }

  changed() {
    for (const listener of this.listeners) listener();
  }

  /** Replace the items with the server's layer; known server ids keep their cids. */
  load(layer) {
    const cidOf = new Map([...this.ids].map(([cid, id]) => [id, cid]));
    const cid = (id) => (id === null || id === undefined ? null : cidOf.get(id) || `s${id}`);
    this.version = layer.version;
    this.status = layer.status;
    this.ids = new Map();
    this.spans = new Map();
    this.relations = new Map();
    this.stances = new Map();
    for (const span of layer.spans) {
      const key = cid(span.id);
      this.ids.set(key, span.id);
      if (span.entity && span.entity_name && !this.entities.has(span.entity)) {
        this.entities.set(span.entity, { id: span.entity, name: span.entity_name, type: "", description: "" });
      }
      this.spans.set(key, {
        cid: key, label: span.label, start: span.start, end: span.end, text: span.text,
        entity: span.entity, attributes: span.attributes || {},
      });
    }
    for (const relation of layer.relations) {
      const key = cid(relation.id);
      this.ids.set(key, relation.id);
      this.relations.set(key, { cid: key, type: relation.type, from: cid(relation.from_span), to: cid(relation.to_span) });
    }
    for (const stance of layer.stances) {
      const key = cid(stance.id);
      this.ids.set(key, stance.id);
      if (stance.holder_entity && !this.entities.has(stance.holder_entity)) {
        this.entities.set(stance.holder_entity, { id: stance.holder_entity, name: stance.holder_entity_name, type: "", description: "" });
      }
      this.stances.set(key, {
        cid: key, holder_span: cid(stance.holder_span), holder_entity: stance.holder_entity, target: stance.target,
        polarity: stance.polarity, explicit: stance.explicit, evidence: stance.evidence.map(cid),
      });
    }
    this.changed();
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
    const cid = newCid();
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
    if ("start" in changes || "end" in changes) Object.assign(before, { start: span.start, end: span.end });
    return {
      title: `change ${span.label} ${span.text}`,
      forward: [{ op: "patchSpan", cid, changes }],
      backward: [{ op: "patchSpan", cid, changes: before }],
    };
  }

  deleteSpan(cid) {
    const span = this.spans.get(cid);
    const backward = [{ op: "addSpan", cid, label: span.label, start: span.start, end: span.end, text: span.text,
                        entity: span.entity, attributes: span.attributes }];
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
    const cid = newCid();
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

  addStance(fields) {
    const cid = newCid();
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

  apply(op) {
    switch (op.op) {
      case "addSpan":
        this.spans.set(op.cid, { cid: op.cid, label: op.label, start: op.start, end: op.end,
                                 text: this.text.slice(op.start, op.end), entity: op.entity ?? null,
                                 attributes: structuredClone(op.attributes || {}) });
        break;
      case "patchSpan": {
        const span = this.spans.get(op.cid);
        Object.assign(span, structuredClone(op.changes));
        span.text = this.text.slice(span.start, span.end);
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
    }
  }

  // Sending ops to the API ----------------------------------------------------------------

  serverId(cid) {
    const id = this.ids.get(cid);
    if (id === undefined) throw new Error("it refers to an item whose own change was not saved");
    return id;
  }

  async send(api, op, version) {
    const base = `annotations/${this.layerId}/`;
    const id = (cid) => (cid === null || cid === undefined ? null : this.serverId(cid));
    const write = (method, path, body) => api.request(method, base + path, { body, version });
    switch (op.op) {
      case "addSpan": {
        const answer = await write("POST", "spans/", { label: op.label, start: op.start, end: op.end, text: op.text,
                                                        entity: op.entity ?? null, attributes: op.attributes || {} });
        this.ids.set(op.cid, answer.id);
        return answer;
      }
      case "patchSpan":
        return write("PATCH", `spans/${id(op.cid)}/`, { ...op.changes });
      case "deleteSpan": {
        const answer = await write("DELETE", `spans/${id(op.cid)}/`);
        this.forget(op.cid);
        return answer;
      }
      case "addRelation": {
        const answer = await write("POST", "relations/", { type: op.type, from_span: id(op.from), to_span: id(op.to) });
        this.ids.set(op.cid, answer.id);
        return answer;
      }
      case "deleteRelation": {
        const answer = await write("DELETE", `relations/${id(op.cid)}/`);
        this.ids.delete(op.cid);
        return answer;
      }
      case "addStance": {
        const answer = await write("POST", "stances/", {
          holder_span: id(op.holder_span), holder_entity: op.holder_entity ?? null, target: op.target,
          polarity: op.polarity, explicit: op.explicit !== false, evidence: (op.evidence || []).map(id) });
        this.ids.set(op.cid, answer.id);
        return answer;
      }
      case "patchStance": {
        const changes = { ...op.changes };
        if ("holder_span" in changes) changes.holder_span = id(changes.holder_span);
        if ("evidence" in changes) changes.evidence = changes.evidence.map(id);
        return write("PATCH", `stances/${id(op.cid)}/`, changes);
      }
      case "deleteStance": {
        const answer = await write("DELETE", `stances/${id(op.cid)}/`);
        this.ids.delete(op.cid);
        return answer;
      }
      default:
        throw new Error(`unknown change ${op.op}`);
    }
  }

  /** The server deleted the span (and cascaded its relations and held stances, already gone here). */
  forget(spanCid) {
    this.ids.delete(spanCid);
  }

  /** A human description of an op, for the save list and the conflict message. */
  describe(op) {
    const spanText = (cid) => {
      const span = this.spans.get(cid);
      return span ? `${span.label} “${span.text.slice(0, 40)}”` : "a span";
    };
    switch (op.op) {
      case "addSpan": return `Add ${op.label} “${op.text.slice(0, 40)}”`;
      case "patchSpan": return `Change ${spanText(op.cid)} (${Object.keys(op.changes).join(", ")})`;
      case "deleteSpan": return `Delete ${spanText(op.cid)}`;
      case "addRelation": return `Link ${spanText(op.from)} ${op.type} ${spanText(op.to)}`;
      case "deleteRelation": return `Remove a ${this.relations.get(op.cid)?.type || ""} link`;
      case "addStance": return `Add stance (${op.polarity} → ${op.target})`;
      case "patchStance": return `Change a stance (${Object.keys(op.changes).join(", ")})`;
      case "deleteStance": return "Delete a stance";
      default: return op.op;
    }
  }
}
