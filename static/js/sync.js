// Saving: every change goes through here. It is applied to the store at
// once, queued for the API, and kept in the undo history. The save indicator
// shows saved / saving / error / conflict / unsaved. Unsent changes are also
// kept in localStorage until the server has them, so a crash or a closed tab
// does not lose them silently: the next visit offers them back.
//
// A version conflict (another tab wrote to the layer first) stops the queue,
// reloads the layer from the API and lists the changes that were not saved,
// with "Re-apply" (on top of the latest version) and "Discard". Listed changes
// count as pending: the indicator says so and closing the tab warns.
//
// Backups are per tab (`annotate:unsaved:<layer>:<tab>`), so one tab's
// success never clears another tab's unsaved work. The tab id lives in
// sessionStorage, so a reload of the same tab finds its own backup. Each tab
// holds a Web Lock named after its id for as long as it is open; a tab that
// opens the layer also offers the backups of tabs that are gone (their lock
// is free) and adopts them. Offering a backup twice is harmless: creates carry
// a client_id and the server answers a repeated one with the stored item.

import { WriteQueue } from "./api.js";
import { fill, h } from "./dom.js";
import { kindOf, newUuid } from "./store.js";

const SAVE_TEXT = {
  saved: "All changes saved",
  saving: "Saving…",
  error: "Not saved",
  conflict: "Changed elsewhere",
};

const TAB_KEY = "annotate:tab";
const lockName = (tab) => `annotate:tab:${tab}`;
// How long a tab waits for its own tab lock before deciding another tab holds it. A reload
// releases the old page's lock as that page goes; a duplicated tab copies sessionStorage, so
// the original tab, still open, holds the lock and the copy must take a new id.
const LOCK_WAIT_MS = 1000;

/** Hold the tab's lock until the page goes; false if it is not free within `wait` ms. */
function holdLock(tab, wait) {
  return new Promise((resolve) => {
    navigator.locks.request(lockName(tab), { signal: AbortSignal.timeout(wait) }, () => {
      resolve(true);
      return new Promise(() => {}); // never settles: the lock is released when the page goes
    }).catch(() => resolve(false));
  });
}

/** This tab's id: the one in sessionStorage unless another open tab holds it (a duplicated tab). */
async function claimTabId() {
  let tab = null;
  try {
    tab = sessionStorage.getItem(TAB_KEY);
  } catch {
    tab = null; // storage disabled: a new id each time, backups are still offered as orphans
  }
  if (!navigator.locks) return tab || remember(newUuid());
  if (tab && await holdLock(tab, LOCK_WAIT_MS)) return tab;
  tab = remember(newUuid());
  await holdLock(tab, LOCK_WAIT_MS);
  return tab;
}

function remember(tab) {
  try {
    sessionStorage.setItem(TAB_KEY, tab);
  } catch {
    // storage disabled: this page keeps its id in memory
  }
  return tab;
}

/** Ids of the tabs open now (they hold or await their lock), or null when the browser has no Web Locks. */
async function liveTabs() {
  if (!navigator.locks) return null;
  const { held = [], pending = [] } = await navigator.locks.query();
  const prefix = lockName("");
  // A tab waiting for its lock (just reloaded, see LOCK_WAIT_MS) is open too.
  const names = [...held, ...pending].map((lock) => lock.name).filter((name) => name.startsWith(prefix));
  return new Set(names.map((name) => name.slice(prefix.length)));
}

export class Sync {
  constructor(ctx, { onReload }) {
    this.ctx = ctx;
    this.onReload = onReload;
    this.done = [];
    this.undone = [];
    this.idleWaiters = [];
    this.unsaved = null; // ops listed in the banner as not saved
    this.descriptions = new WeakMap(); // op -> its description while the items it names were on screen
    this.storageKey = null; // set by start() once the tab's id is settled
    this.indicator = document.querySelector("[data-save-state]");
    this.bannerEl = document.querySelector("[data-banner]");
    const store = ctx.store;
    this.queue = new WriteQueue({
      getVersion: () => store.version,
      setVersion: (version) => { store.version = version; },
      onState: (state) => this.showState(state),
      onSent: () => { this.persist(); this.ctx.decorate(); },
      onRejected: (job, error) => this.rejected(job, error),
      onConflict: (jobs) => this.conflict(jobs.map((job) => job.op)),
    });
    window.addEventListener("beforeunload", (event) => {
      if ((this.queue.pending || this.unsaved?.length) && !this.leaving) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    // Back online: send now rather than at the end of a backoff of up to 30 s.
    window.addEventListener("online", () => this.retryNow());
  }

  /** Settle the tab's id (its backup key), then offer what earlier pages could not save. */
  async start() {
    let tab = null;
    let alive = null;
    try {
      tab = await claimTabId();
      alive = await liveTabs();
    } catch {
      tab = tab || newUuid(); // locks refused (a sandboxed frame): as without Web Locks
    }
    this.storageKey = `annotate:unsaved:${this.ctx.store.layerId}:${tab}`;
    // From here on nothing awaits: the backups are read before this page's first write to its key.
    this.offerSaved(alive);
    this.persist();
  }

  // History ---------------------------------------------------------------------------

  perform(change) {
    this.run(change.forward);
    this.done.push(change);
    this.undone = [];
  }

  undo() {
    const change = this.done.pop();
    if (!change) return this.ctx.hint("Nothing to undo.");
    this.run(change.backward);
    this.undone.push(change);
    this.ctx.hint(`Undone: ${change.title.slice(0, 70)}`);
    this.onReload();
  }

  redo() {
    const change = this.undone.pop();
    if (!change) return this.ctx.hint("Nothing to redo.");
    this.run(change.forward);
    this.done.push(change);
    this.ctx.hint(`Redone: ${change.title.slice(0, 70)}`);
    this.onReload();
  }

  canUndo() {
    return this.done.length > 0 && this.ctx.editable;
  }

  canRedo() {
    return this.undone.length > 0 && this.ctx.editable;
  }

  run(ops) {
    for (const op of ops) {
      if (!this.ctx.store.canApply(op)) continue;
      this.ctx.store.apply(op);
      this.enqueue(op);
    }
  }

  enqueue(op) {
    const store = this.ctx.store;
    store.stamp(op); // its client_id, kept on the op for retries, re-applies and backups
    this.queue.push({ op, send: (version) => store.send(this.ctx.api, op, version) });
    this.persist();
  }

  // Saving state ----------------------------------------------------------------------

  showState(queueState) {
    this.lastState = queueState;
    const { pending, error, retryIn } = queueState;
    let state = queueState.state;
    const unsaved = this.unsaved?.length || 0;
    // Changes listed as not saved are pending too: never "All changes saved" while the banner lists some.
    if (state === "saved" && unsaved) state = "unsaved";
    this.indicator.dataset.saveState = state;
    let text = SAVE_TEXT[state];
    if (state === "saving" && pending > 1) text = `Saving ${pending} changes…`;
    if (state === "unsaved") text = `${unsaved} change${unsaved === 1 ? "" : "s"} not saved`;
    if (state === "error") {
      const why = error.kind === "denied" ? "you may be logged out (log in again in another tab)" : error.message;
      text = `Not saved (${pending}): ${why}${retryIn ? ` — retrying in ${Math.round(retryIn / 1000)} s` : ""}`;
    }
    this.indicator.querySelector("[data-save-text]").textContent = text;
    this.indicator.querySelector('[data-action="retry"]').hidden = state !== "error";
    if (queueState.state === "saved") {
      this.persist();
      if (this.needsResync) this.resync();
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** Show the indicator again after the list of unsaved changes changed. */
  refreshState() {
    this.showState(this.lastState || { state: "saved", pending: 0 });
  }

  retryNow() {
    this.queue.retryNow();
  }

  /** Resolves once every queued change is saved; rejects when saving is stuck. */
  flush(timeout = 15000) {
    if (this.unsaved?.length) {
      return Promise.reject(new Error("some changes are listed as not saved; re-apply or discard them first"));
    }
    if (!this.queue.pending) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.idleWaiters.push(resolve);
      setTimeout(() => reject(new Error("some changes are not saved yet; wait for “All changes saved”")), timeout);
    });
  }

  rejected(job, error) {
    this.ctx.toast(`Not saved: ${this.ctx.store.describe(job.op)} — ${error.message}`);
    this.needsResync = true; // the page shows a change the server refused: reload the layer once the queue is empty
  }

  async resync() {
    this.needsResync = false;
    try {
      await this.reload();
    } catch (error) {
      this.ctx.toast(`Could not reload the layer: ${error.message}`);
    }
  }

  async reload() {
    const layer = await this.ctx.api.request("GET", `annotations/${this.ctx.store.layerId}/`);
    this.ctx.store.load(layer);
    this.done = [];
    this.undone = [];
    this.onReload();
  }

  // Conflicts and unsaved changes -----------------------------------------------------------

  describe(op) {
    return this.descriptions.get(op) || this.ctx.store.describe(op);
  }

  async conflict(ops) {
    const store = this.ctx.store;
    // Described now, while the items they name are still on screen.
    for (const op of ops) this.descriptions.set(op, store.describe(op));
    this.unsaved = [...(this.unsaved || []), ...ops]; // added to any list not dealt with yet
    this.persist();
    this.banner([h("strong", null, "This article was changed in another tab or window. "),
      "Reloading the latest saved version…"], { kind: "conflict" });
    for (let attempt = 0; ; attempt++) {
      try {
        await this.reload();
        break;
      } catch (error) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** attempt, 15000)));
      }
    }
    this.queue.resume();
    this.offer(this.unsaved, [h("strong", null, "This article was changed in another tab or window. "),
      `The latest saved version (version ${store.version}) is loaded, with the other change. `]);
  }

  /** Show unsaved changes with Re-apply / Discard; those the server already holds are not changes. */
  offer(ops, intro) {
    ops = ops.filter((op) => !this.ctx.store.holds(op));
    this.unsaved = ops.length ? ops : null;
    this.persist();
    this.refreshState();
    if (!ops.length) return this.banner([...intro, "None of your changes was lost."], { kind: "conflict", dismiss: true });
    this.banner([...intro,
      `${ops.length} change${ops.length === 1 ? " of yours was" : "s of yours were"} not saved:`,
      h("ul", { class: "unsaved", "data-unsaved": true }, ops.map((op) => h("li", null, this.describe(op)))),
      h("div", { class: "row" },
        h("button", { type: "button", class: "btn btn-primary btn-small", "data-action": "reapply",
                      onclick: () => this.reapply() }, "Re-apply my changes"),
        h("button", { type: "button", class: "btn btn-small", "data-action": "discard",
                      onclick: () => this.discard() }, "Discard them"))], { kind: "conflict" });
  }

  async reapply() {
    if (this.reapplying) return;
    this.reapplying = true;
    const store = this.ctx.store;
    try {
      // On top of the latest version: another tab may have written since the list was made,
      // and re-applying on a stale version would only conflict again. With changes in flight
      // the page is not reloaded under them; a conflict then lists these again.
      if (!this.queue.pending) await this.reload();
    } catch {
      // the server cannot be reached: re-apply on what is here; the queue retries until it answers
    } finally {
      this.reapplying = false;
    }
    const skipped = [];
    for (const op of this.unsaved || []) {
      if (store.holds(op)) continue; // the server has it already (a lost reply, a backup offered twice)
      if (store.canApply(op)) {
        store.apply(op);
        this.enqueue(op);
      } else skipped.push(this.describe(op));
    }
    this.unsaved = null;
    this.persist();
    this.refreshState();
    this.onReload();
    this.banner(skipped.length
      ? [`Re-applied your changes, except ${skipped.length} that refer to something no longer there: `, skipped.join("; ")]
      : ["Re-applied your changes; they are being saved."], { kind: "info", dismiss: true });
  }

  discard() {
    this.unsaved = null;
    this.persist();
    this.refreshState();
    this.banner(null);
  }

  /** Keep this tab's unsent changes (and the server ids they refer to) until the server has them. */
  persist() {
    if (!this.storageKey) return; // the tab's id is not settled yet; the queue holds the changes meanwhile
    const ops = [...(this.unsaved || []), ...this.queue.jobs.map((job) => job.op)];
    try {
      if (!ops.length) return localStorage.removeItem(this.storageKey);
      localStorage.setItem(this.storageKey, JSON.stringify({ ops, ids: [...this.ctx.store.ids] }));
    } catch {
      // storage full or disabled: the queue still holds the changes in this page
    }
  }

  /**
   * Changes earlier pages could not save: this tab's own backup, those of tabs no longer open
   * (or, without Web Locks, of every other tab), and the single backup of the previous version
   * (`annotate:unsaved:<layer>`). Adopted backups move into this tab's key.
   */
  offerSaved(alive) {
    if (!this.ctx.editable) return;
    const legacy = `annotate:unsaved:${this.ctx.store.layerId}`; // also the prefix of the per-tab keys
    const offered = [];
    const adopted = [];
    for (const key of Object.keys(localStorage)) {
      if (key !== legacy && !key.startsWith(`${legacy}:`)) continue;
      const tab = key.slice(legacy.length + 1); // "" for the legacy key
      if (key !== this.storageKey && alive && alive.has(tab)) continue; // an open tab's own work
      let saved = null;
      try {
        saved = JSON.parse(localStorage.getItem(key) || "null");
      } catch {
        saved = null;
      }
      const ops = remap(saved?.ops || [], new Map(saved?.ids || []), this.ctx.store);
      const spent = ops.every((op) => this.ctx.store.holds(op));
      // An orphan's or the old version's backup is adopted; without Locks another tab's backup
      // stays where it is (that tab may be open) unless the server already holds all of it.
      if (key !== this.storageKey && (alive || key === legacy || spent)) adopted.push(key);
      offered.push(...ops);
    }
    const seen = new Set((this.unsaved || []).map((op) => JSON.stringify(op)));
    const fresh = offered.filter((op) => {
      const json = JSON.stringify(op);
      return !seen.has(json) && seen.add(json);
    });
    if (fresh.some((op) => !this.ctx.store.holds(op))) {
      this.offer([...(this.unsaved || []), ...fresh], [h("strong", null, "Unsaved changes from an earlier visit. ")]);
    }
    this.persist(); // this tab's key now holds the adopted changes, so the old keys can go
    for (const key of adopted) localStorage.removeItem(key);
  }

  banner(children, { kind = "info", dismiss = false } = {}) {
    if (!children) {
      this.bannerEl.hidden = true;
      this.bannerEl.replaceChildren();
      return;
    }
    this.bannerEl.dataset.kind = kind;
    // fill() skips a missing dismiss button (replaceChildren would append the text "null").
    fill(this.bannerEl, h("div", { class: "banner-body" }, children),
      dismiss && h("button", { type: "button", class: "icon-button", "aria-label": "Dismiss",
                               onclick: () => this.banner(null) }, "×"));
    this.bannerEl.hidden = false;
  }
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
