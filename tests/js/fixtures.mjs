// Shared fakes for the node tests: a layer in the API's shapes, an API that records its
// requests, a clock for the write queue, and the browser's storages and Web Locks.

import { Store } from "../../static/js/store.js";

export const TEXT = "Hassan Bellouan 🌍 said “this position is embodied by the institutions”.";

/** [start, end) of `fragment` in TEXT, in code points. */
export function pointsOf(fragment, text = TEXT) {
  const start = [...text.slice(0, text.indexOf(fragment))].length;
  return [start, start + [...fragment].length];
}

export const PROJECT = {
  slug: "demo",
  labels: [
    { name: "SOURCE", color: "#1f77b4", hotkey: "s" },
    { name: "QUOTE", color: "#ff7f0e", hotkey: "q" },
    { name: "CUE", color: "#2ca02c", hotkey: "u" },
    { name: "STANCE_EVIDENCE", color: "#9467bd", hotkey: "e" },
  ],
  relation_types: [
    { name: "ATTRIBUTED_TO", from_label: "QUOTE", to_label: "SOURCE" },
    { name: "CUE_OF", from_label: "CUE", to_label: "QUOTE" },
  ],
};

/** An API span as the layer's JSON carries it. */
export function apiSpan(id, label, fragment, { clientId = null, entity = null, attributes = {} } = {}) {
  const [start, end] = pointsOf(fragment);
  return { id, client_id: clientId, label, start, end, text: fragment, entity, entity_name: null, attributes };
}

/** A layer as the API answers GET annotations/<id>/: the given items, version 3 unless said. */
export function layer({ spans = [], relations = [], stances = [], version = 3 } = {}) {
  return { id: 7, version, status: "in_progress", spans, relations, stances };
}

export function makeStore(layerData = layer()) {
  return new Store({ article: { text: TEXT }, project: PROJECT, entities: [], layer: structuredClone(layerData) });
}

/**
 * An imported layer (no client ids): SOURCE s1 "Hassan Bellouan", QUOTE s2, CUE s3 "said",
 * STANCE_EVIDENCE s4 "institutions"; QUOTE -> SOURCE (r1), CUE -> QUOTE (r2); a stance held by
 * the SOURCE (t1) and one held by an entity with the SOURCE and s4 as evidence (t2).
 */
export function importedLayer() {
  return layer({
    spans: [
      apiSpan(1, "SOURCE", "Hassan Bellouan"),
      apiSpan(2, "QUOTE", "“this position is embodied by the institutions”"),
      apiSpan(3, "CUE", "said"),
      apiSpan(4, "STANCE_EVIDENCE", "institutions"),
    ],
    relations: [
      { id: 1, client_id: null, type: "ATTRIBUTED_TO", from_span: 2, to_span: 1 },
      { id: 2, client_id: null, type: "CUE_OF", from_span: 3, to_span: 2 },
    ],
    stances: [
      { id: 1, client_id: null, holder_span: 1, holder_entity: null, holder_entity_name: null,
        target: "Western Sahara", polarity: "support", explicit: true, evidence: [2] },
      { id: 2, client_id: null, holder_span: null, holder_entity: 5, holder_entity_name: "Morocco",
        target: "Western Sahara", polarity: "support", explicit: false, evidence: [1, 4] },
    ],
  });
}

/** The store's items as plain data, for comparing one state with another. */
export function snapshot(store) {
  const items = (map) => Object.fromEntries([...map].map(([cid, item]) => [cid, structuredClone(item)]));
  return { spans: items(store.spans), relations: items(store.relations), stances: items(store.stances) };
}

/**
 * An API that records every request and answers from `answer(method, path, body)`, which
 * returns the answer or throws (an ApiError, as Api.request does).
 */
export function fakeApi(answer = () => ({})) {
  const requests = [];
  return {
    requests,
    async request(method, path, { body, version } = {}) {
      requests.push({ method, path, body: structuredClone(body), version });
      return answer(method, path, body);
    },
  };
}

/** The write queue's clock: timers fire only when the test says so. */
export function fakeClock() {
  const timers = new Map();
  let next = 1;
  return {
    delays: [], // every delay asked for, in order
    cleared: 0,
    set(fn, ms) {
      this.delays.push(ms);
      timers.set(next, fn);
      return next++;
    },
    clear(id) {
      if (timers.delete(id)) this.cleared++;
    },
    get pending() {
      return timers.size;
    },
    /** Fire every timer that is waiting. */
    fire() {
      const due = [...timers.values()];
      timers.clear();
      for (const fn of due) fn();
    },
  };
}

/** Let every promise callback that is ready run (the queue awaits between steps). */
export const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Wait until `condition()` holds, letting promises run; fails after `rounds` turns. */
export async function until(condition, rounds = 50) {
  for (let i = 0; i < rounds; i++) {
    if (condition()) return;
    await settle();
  }
  throw new Error("the condition never held");
}

/** The Storage interface (localStorage, sessionStorage) over a Map, in insertion order. */
export class FakeStorage {
  constructor(entries = []) {
    this.map = new Map(entries);
  }

  get length() {
    return this.map.size;
  }

  key(index) {
    return [...this.map.keys()][index] ?? null;
  }

  getItem(key) {
    return this.map.has(key) ? this.map.get(key) : null;
  }

  setItem(key, value) {
    this.map.set(key, String(value));
  }

  removeItem(key) {
    this.map.delete(key);
  }

  /** A copy, as a duplicated tab copies its sessionStorage. */
  copy() {
    return new FakeStorage(this.map);
  }
}

/** Web Locks (navigator.locks) for exclusive locks: held until released, waiting requests abortable. */
export class FakeLocks {
  constructor() {
    this.held = new Set();
    this.waiting = []; // {name, grant}
  }

  request(name, { signal } = {}, callback) {
    return new Promise((resolve, reject) => {
      const grant = () => {
        this.held.add(name);
        Promise.resolve(callback({ name, mode: "exclusive" })).then(resolve, reject);
      };
      if (!this.held.has(name)) return grant();
      // AbortSignal.timeout's timer does not keep node running (a page would stay open): this does.
      const keepAlive = setInterval(() => {}, 1000);
      const entry = { name, grant: () => { clearInterval(keepAlive); grant(); } };
      this.waiting.push(entry);
      signal?.addEventListener("abort", () => {
        clearInterval(keepAlive);
        this.waiting = this.waiting.filter((other) => other !== entry);
        reject(signal.reason);
      });
    });
  }

  /** The page holding the lock went (closed, reloaded): the next waiting request gets it. */
  release(name) {
    this.held.delete(name);
    const next = this.waiting.find((entry) => entry.name === name);
    if (next) {
      this.waiting = this.waiting.filter((entry) => entry !== next);
      next.grant();
    }
  }

  async query() {
    return {
      held: [...this.held].map((name) => ({ name, mode: "exclusive" })),
      pending: this.waiting.map(({ name }) => ({ name, mode: "exclusive" })),
    };
  }
}
