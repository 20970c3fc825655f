// Backups of the changes a tab has not saved yet, in localStorage, per tab:
// `annotate:unsaved:<layer>:<tab>` holds {ops, ids} (the ops, and the server
// ids of the cids they name) until the server has them, so a crash or a closed
// tab does not lose them silently: the next visit offers them back.
//
// Per tab, so that one tab's success never clears another tab's unsaved work.
// The tab's id lives in sessionStorage, so a reload of the same tab finds its
// own backup. Each tab holds a Web Lock named after its id for as long as it is
// open; a tab that opens the layer also offers the backups of tabs that are gone
// (their lock is free) and adopts them. A duplicated tab copies sessionStorage:
// it finds its id's lock held by the original and takes a new id. Without Web
// Locks every other tab's backup is offered. Offering a backup twice is
// harmless: creates carry a client_id and the server answers a repeated one
// with the stored item. The single backup of the previous version,
// `annotate:unsaved:<layer>`, is offered once and adopted.

import { kindOf, newUuid } from "./store.js";

const TAB_KEY = "annotate:tab";
const lockName = (tab) => `annotate:tab:${tab}`;
// How long a tab waits for its own tab lock before deciding another tab holds it. A reload
// releases the old page's lock as that page goes; a duplicated tab copies sessionStorage, so
// the original tab, still open, holds the lock and the copy must take a new id.
const LOCK_WAIT_MS = 1000;

// The browser's storages and locks, looked up when used: reading a disabled storage throws,
// and each use says what happens then.
const BROWSER = {
  get local() { return globalThis.localStorage; },
  get session() { return globalThis.sessionStorage; },
  get locks() { return globalThis.navigator?.locks; },
};

export class Backups {
  /** `env` ({local, session, locks}) and `newId` are the browser's unless given (tests give fakes). */
  constructor(layerId, { env = BROWSER, newId = newUuid, lockWait = LOCK_WAIT_MS } = {}) {
    Object.assign(this, { env, newId, lockWait });
    this.legacyKey = `annotate:unsaved:${layerId}`; // also the prefix of the per-tab keys
    this.tab = null;
    this.key = null; // this tab's backup key, once open() settled the tab's id
    this.alive = null; // ids of the tabs open now, or null without Web Locks
  }

  /** Settle this tab's id (and so its backup key) and see which tabs are open. */
  async open() {
    let tab = null;
    let alive = null;
    try {
      tab = await this.claimTabId();
      alive = await this.liveTabs();
    } catch {
      tab = tab || this.newId(); // locks refused (a sandboxed frame): as without Web Locks
    }
    this.tab = tab;
    this.alive = alive;
    this.key = `${this.legacyKey}:${tab}`;
    return tab;
  }

  /** This tab's id: the one in sessionStorage unless another open tab holds it (a duplicated tab). */
  async claimTabId() {
    let tab = null;
    try {
      tab = this.env.session.getItem(TAB_KEY);
    } catch {
      tab = null; // storage disabled: a new id each time, backups are still offered as orphans
    }
    if (!this.env.locks) return tab || this.remember(this.newId());
    if (tab && await this.holdLock(tab)) return tab;
    tab = this.remember(this.newId());
    await this.holdLock(tab);
    return tab;
  }

  remember(tab) {
    try {
      this.env.session.setItem(TAB_KEY, tab);
    } catch {
      // storage disabled: this page keeps its id in memory
    }
    return tab;
  }

  /** Hold the tab's lock until the page goes; false if it is not free within lockWait ms. */
  holdLock(tab) {
    return new Promise((resolve) => {
      this.env.locks.request(lockName(tab), { signal: AbortSignal.timeout(this.lockWait) }, () => {
        resolve(true);
        return new Promise(() => {}); // never settles: the lock is released when the page goes
      }).catch(() => resolve(false));
    });
  }

  /** Ids of the tabs open now (they hold or await their lock), or null when the browser has no Web Locks. */
  async liveTabs() {
    if (!this.env.locks) return null;
    const { held = [], pending = [] } = await this.env.locks.query();
    const prefix = lockName("");
    // A tab waiting for its lock (just reloaded, see LOCK_WAIT_MS) is open too.
    const names = [...held, ...pending].map((lock) => lock.name).filter((name) => name.startsWith(prefix));
    return new Set(names.map((name) => name.slice(prefix.length)));
  }

  /**
   * Keep this tab's unsent ops and the server ids of the cids they name; no ops, no backup. Only
   * those ids: the store's map holds every item of the layer (thousands on a long article), and
   * the backup is written on every change, so its size follows the unsaved ops, not the layer.
   */
  save(ops, ids) {
    if (!this.key) return; // the tab's id is not settled yet; the page's queue holds the changes meanwhile
    try {
      if (!ops.length) return this.env.local.removeItem(this.key);
      const named = [...new Set(ops.flatMap(cidsNamed))].filter((cid) => ids.has(cid));
      this.env.local.setItem(this.key, JSON.stringify({ ops, ids: named.map((cid) => [cid, ids.get(cid)]) }));
    } catch {
      // storage full or disabled: the queue still holds the changes in this page
    }
  }

  /**
   * The ops earlier pages could not save, with the cids of `store` (the layer as loaded now):
   * this tab's own backup, those of tabs no longer open (or, without Web Locks, of every other
   * tab) and the previous version's. `adopted` lists the other keys to remove once this tab's
   * own backup holds their ops: an orphan's and the previous version's; without Locks another
   * tab's only when the server already holds all of it (that tab may be open).
   */
  collect(store) {
    const local = this.env.local;
    const offered = [];
    const adopted = [];
    const keys = Array.from({ length: local.length }, (_, i) => local.key(i));
    for (const key of keys) {
      if (key !== this.legacyKey && !key.startsWith(`${this.legacyKey}:`)) continue;
      const tab = key.slice(this.legacyKey.length + 1); // "" for the legacy key
      if (key !== this.key && this.alive && this.alive.has(tab)) continue; // an open tab's own work
      let saved = null;
      try {
        saved = JSON.parse(local.getItem(key) || "null");
      } catch {
        saved = null;
      }
      const ops = remap(saved?.ops || [], new Map(saved?.ids || []), store);
      const spent = ops.every((op) => store.holds(op));
      if (key !== this.key && (this.alive || key === this.legacyKey || spent)) adopted.push(key);
      offered.push(...ops);
    }
    return { ops: offered, adopted };
  }

  /** Drop backups this tab adopted (its own backup holds their ops now). */
  remove(keys) {
    for (const key of keys) this.env.local.removeItem(key);
  }
}

/** The cids an op names: its own and the spans it refers to (what remap renames). */
function cidsNamed(op) {
  const cids = [op.cid, op.from, op.to, op.holder_span, ...(op.evidence || [])];
  if (op.changes) cids.push(op.changes.holder_span, ...(op.changes.evidence || []));
  return cids.filter((cid) => cid !== null && cid !== undefined);
}

/**
 * A backup's ops with the cids of this page. A cid the earlier page knew by server id is the
 * cid this page gives that id; a re-created item (a create whose client_id differs from its cid)
 * is known by its client_id from its create on, since that is how the server returns it.
 */
function remap(ops, ids, store) {
  const renamed = new Map();
  const map = (kind, cid) => {
    if (cid === null || cid === undefined) return cid;
    if (renamed.has(cid)) return renamed.get(cid);
    return ids.has(cid) ? store.cidOf(kind, ids.get(cid)) : cid;
  };
  return ops.map((op) => {
    const copy = structuredClone(op);
    copy.cid = map(kindOf(op), op.cid);
    if (op.op.startsWith("add") && op.client_id && op.client_id !== op.cid) {
      copy.cid = op.client_id;
      renamed.set(op.cid, op.client_id);
    }
    for (const key of ["from", "to", "holder_span"]) if (key in copy) copy[key] = map("spans", copy[key]);
    if (copy.evidence) copy.evidence = copy.evidence.map((cid) => map("spans", cid));
    if (copy.changes) {
      if ("holder_span" in copy.changes) copy.changes.holder_span = map("spans", copy.changes.holder_span);
      if (copy.changes.evidence) copy.changes.evidence = copy.changes.evidence.map((cid) => map("spans", cid));
    }
    return copy;
  });
}
