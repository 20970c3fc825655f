// Saving: every change goes through here. It is applied to the store at
// once, queued for the API, and kept in the undo history. The save indicator
// shows saved / saving / error / conflict. Unsent changes are also kept in
// localStorage until the server has them, so a crash or a closed tab does
// not lose them silently: the next visit offers them back.
//
// A version conflict (another tab wrote to the layer first) stops the queue,
// reloads the layer from the API and lists the changes that were not saved,
// with "Re-apply" (on top of the reloaded version) and "Discard".

import { WriteQueue } from "./api.js";
import { h } from "./dom.js";

const SAVE_TEXT = {
  saved: "All changes saved",
  saving: "Saving…",
  error: "Not saved",
  conflict: "Changed elsewhere",
};

export class Sync {
  constructor(ctx, { onReload }) {
    this.ctx = ctx;
    this.onReload = onReload;
    this.done = [];
    this.undone = [];
    this.idleWaiters = [];
    this.storageKey = `annotate:unsaved:${ctx.store.layerId}`;
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
      if (this.queue.pending && !this.leaving) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
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
    this.queue.push({ op, send: (version) => store.send(this.ctx.api, op, version) });
    this.persist();
  }

  // Saving state ----------------------------------------------------------------------

  showState({ state, pending, error, retryIn }) {
    this.indicator.dataset.saveState = state;
    let text = SAVE_TEXT[state];
    if (state === "saving" && pending > 1) text = `Saving ${pending} changes…`;
    if (state === "error") {
      const why = error.kind === "denied" ? "you may be logged out (log in again in another tab)" : error.message;
      text = `Not saved (${pending}): ${why}${retryIn ? ` — retrying in ${Math.round(retryIn / 1000)} s` : ""}`;
    }
    this.indicator.querySelector("[data-save-text]").textContent = text;
    this.indicator.querySelector('[data-action="retry"]').hidden = state !== "error";
    if (state === "saved") {
      this.persist();
      if (this.needsResync) this.resync();
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  retryNow() {
    this.queue.retryNow();
  }

  /** Resolves once every queued change is saved; rejects when saving is stuck. */
  flush(timeout = 15000) {
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

  async conflict(ops) {
    const store = this.ctx.store;
    const described = ops.map((op) => store.describe(op));
    this.unsaved = ops;
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
    this.offer(ops, described, [h("strong", null, "This article was changed in another tab or window. "),
      `The latest saved version (version ${store.version}) is loaded, with the other change. `]);
  }

  /** Show unsaved changes with Re-apply / Discard. */
  offer(ops, described, intro) {
    if (!ops.length) {
      this.unsaved = null;
      this.persist();
      return this.banner([...intro, "None of your changes was lost."], { kind: "conflict", dismiss: true });
    }
    this.unsaved = ops;
    this.persist();
    this.banner([...intro,
      `${ops.length} change${ops.length === 1 ? " of yours was" : "s of yours were"} not saved:`,
      h("ul", { class: "unsaved", "data-unsaved": true }, described.map((text) => h("li", null, text))),
      h("div", { class: "row" },
        h("button", { type: "button", class: "btn btn-primary btn-small", "data-action": "reapply",
                      onclick: () => this.reapply() }, "Re-apply my changes"),
        h("button", { type: "button", class: "btn btn-small", "data-action": "discard",
                      onclick: () => this.discard() }, "Discard them"))], { kind: "conflict" });
  }

  reapply() {
    const store = this.ctx.store;
    const skipped = [];
    for (const op of this.unsaved || []) {
      if (store.canApply(op)) {
        store.apply(op);
        this.enqueue(op);
      } else skipped.push(store.describe(op));
    }
    this.unsaved = null;
    this.persist();
    this.onReload();
    this.banner(skipped.length
      ? [`Re-applied your changes, except ${skipped.length} that refer to something no longer there: `, skipped.join("; ")]
      : ["Re-applied your changes; they are being saved."], { kind: "info", dismiss: true });
  }

  discard() {
    this.unsaved = null;
    this.persist();
    this.banner(null);
  }

  /** Keep unsent changes (and the server ids they refer to) until the server has them. */
  persist() {
    const ops = [...(this.unsaved || []), ...this.queue.jobs.map((job) => job.op)];
    try {
      if (!ops.length) return localStorage.removeItem(this.storageKey);
      localStorage.setItem(this.storageKey, JSON.stringify({ ops, ids: [...this.ctx.store.ids] }));
    } catch {
      // storage full or disabled: the queue still holds the changes in this page
    }
  }

  /** Changes a previous visit could not save: offer them back. */
  offerSaved() {
    let saved = null;
    try {
      saved = JSON.parse(localStorage.getItem(this.storageKey) || "null");
    } catch {
      saved = null;
    }
    if (!saved || !saved.ops || !saved.ops.length || !this.ctx.editable) return;
    // Items the earlier page knew by server id are "s<id>" here.
    const ids = new Map(saved.ids || []);
    const map = (cid) => (cid && ids.has(cid) ? `s${ids.get(cid)}` : cid);
    const ops = saved.ops.map((op) => remap(op, map));
    this.offer(ops, ops.map((op) => this.ctx.store.describe(op)),
      [h("strong", null, "Unsaved changes from an earlier visit. ")]);
  }

  banner(children, { kind = "info", dismiss = false } = {}) {
    if (!children) {
      this.bannerEl.hidden = true;
      this.bannerEl.replaceChildren();
      return;
    }
    this.bannerEl.dataset.kind = kind;
    this.bannerEl.replaceChildren(h("div", { class: "banner-body" }, children),
      dismiss ? h("button", { type: "button", class: "icon-button", "aria-label": "Dismiss",
                              onclick: () => this.banner(null) }, "×") : null);
    this.bannerEl.hidden = false;
  }
}

function remap(op, map) {
  const copy = structuredClone(op);
  for (const key of ["cid", "from", "to", "holder_span"]) if (key in copy) copy[key] = map(copy[key]);
  if (copy.evidence) copy.evidence = copy.evidence.map(map);
  if (copy.changes) {
    if ("holder_span" in copy.changes) copy.changes.holder_span = map(copy.changes.holder_span);
    if (copy.changes.evidence) copy.changes.evidence = copy.changes.evidence.map(map);
  }
  return copy;
}
