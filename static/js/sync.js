// Saving: every change goes through here. It is applied to the store at
// once, queued for the API, and kept in the undo history. The save indicator
// shows saved / saving / error / conflict / unsaved. Unsent changes are also
// kept in a per-tab backup in localStorage (backups.js) until the server has
// them, so a crash or a closed tab does not lose them silently: the next visit
// offers them back.
//
// A version conflict (another tab wrote to the layer first) stops the queue,
// reloads the layer from the API and lists the changes that were not saved,
// with "Re-apply" (on top of the latest version) and "Discard". Listed changes
// count as pending: the indicator says so and closing the tab warns.

import { WriteQueue } from "./api.js";
import { Backups } from "./backups.js";
import { fill, h } from "./dom.js";
import { sendOp } from "./sending.js";

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
    this.unsaved = null; // ops listed in the banner as not saved
    this.descriptions = new WeakMap(); // op -> its description while the items it names were on screen
    this.backups = new Backups(ctx.store.layerId); // its key is settled by start()
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
    await this.backups.open();
    // From here on nothing awaits: the backups are read before this page's first write to its key.
    this.offerSaved();
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
    this.queue.push({ op, send: (version) => sendOp(this.ctx.api, store, op, version) });
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
    // Changes made while the layer was reloading were made on the old version: they join the list
    // (to be re-applied on top of the new one) instead of going out behind the reload's back.
    const during = this.queue.jobs.splice(0).map((job) => job.op);
    for (const op of during) if (!this.descriptions.has(op)) this.descriptions.set(op, store.describe(op));
    this.unsaved = [...(this.unsaved || []), ...during];
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
    if (!this.backups.key) return; // the tab's id is not settled yet; the queue holds the changes meanwhile
    this.backups.save([...(this.unsaved || []), ...this.queue.jobs.map((job) => job.op)], this.ctx.store.ids);
  }

  /**
   * Changes earlier pages could not save (this tab's own backup, those of tabs no longer open,
   * the previous version's; see backups.js), offered once; adopted backups move into this tab's key.
   */
  offerSaved() {
    if (!this.ctx.editable) return;
    const { ops: offered, adopted } = this.backups.collect(this.ctx.store);
    const seen = new Set((this.unsaved || []).map((op) => JSON.stringify(op)));
    const fresh = offered.filter((op) => {
      const json = JSON.stringify(op);
      return !seen.has(json) && seen.add(json);
    });
    if (fresh.some((op) => !this.ctx.store.holds(op))) {
      this.offer([...(this.unsaved || []), ...fresh], [h("strong", null, "Unsaved changes from an earlier visit. ")]);
    }
    this.persist(); // this tab's key now holds the adopted changes, so the old keys can go
    this.backups.remove(adopted);
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
