// Suggestions in the workspace: loading them, asking for fresh ones, the keys, accepting and
// rejecting. The state is suggestions.js, the drawing ghosts.js and panels/suggestions.js.
//
// Only an editable layer shows suggestions (a submitted or skipped one shows none), and only when
// the project has any (a recommender enabled, or some stored for this article). The project's
// suggestion_threshold is sent as min_score.
//
// Accepting goes through the workspace's write path (ctx.perform: the store at once, the write
// queue with the layer version, undo, the conflict banner); rejecting changes no layer, so it is a
// plain request, and the ghost comes back if it fails.
//
// Keys (only outside text fields, and not with Ctrl/Alt/Meta):
//   Tab / Shift+Tab  next / previous suggestion in text order (while there are any, and the focus is
//                    in the text, not on a control: Tab still moves between controls there)
//   Enter            accept the current one;  Shift+Enter  accept every ghost of its label
//   x, Backspace     reject the current one (only while one is current: otherwise Backspace deletes
//                    the selected span and x is a label's key if the project gave it one)
//   g                ask the recommenders for fresh suggestions (unless a label uses g as its key)
//   Esc              leave the current suggestion

import { GhostLayer } from "./ghosts.js";
import { renderSuggestions } from "./panels/suggestions.js";
import { Suggestions, acceptChange, levels, recommenderMessage, step } from "./suggestions.js";

export class Suggesting {
  constructor(ctx, { textEl, panel }) {
    this.ctx = ctx;
    this.store = ctx.store;
    this.textEl = textEl;
    this.panel = panel; // the <details> of the panel
    this.suggestions = new Suggestions();
    const settings = ctx.initial.suggestions || {};
    this.threshold = settings.threshold ?? 0.3;
    this.on = Boolean(ctx.editable && settings.available);
    this.starts = null;
    panel.hidden = !this.on;
    if (!this.on) return;
    this.body = panel.querySelector('[data-panel-body="suggestions"]');
    this.messages = panel.querySelector("[data-suggest-messages]");
    this.status = panel.querySelector("[data-suggest-status]");
    this.suggestButton = panel.querySelector('[data-action="suggest"]');
    this.suggestButton.addEventListener("mousedown", (event) => event.preventDefault());
    this.suggestButton.addEventListener("click", () => this.refreshFromRecommenders());
    this.ghosts = new GhostLayer(textEl);
    textEl.addEventListener("mousemove", (event) => this.ghosts.showTip(this.ghosts.hit(event.clientX, event.clientY)));
    textEl.addEventListener("mouseleave", () => this.ghosts.showTip(null));
    // After the workspace's own click handling: a click on a ghost where no own span is makes it
    // current; any other click in the text leaves it.
    textEl.addEventListener("click", (event) => {
      if (ctx.ui.mode) return; // linking or picking evidence: the click is about own spans
      const onOwn = event.target instanceof Element && event.target.closest(".ann");
      const ghost = onOwn ? null : this.ghosts.hit(event.clientX, event.clientY);
      const selection = window.getSelection();
      if (selection && !selection.isCollapsed) return;
      this.setCurrent(ghost, { scroll: false });
    });
    new ResizeObserver(() => this.ghosts.redraw()).observe(textEl);
    document.fonts?.ready.then(() => this.ghosts.redraw());
  }

  query() {
    return `min_score=${encodeURIComponent(this.threshold)}&layer=${this.store.layerId}`;
  }

  async load() {
    if (!this.on) return;
    try {
      this.suggestions.load(await this.ctx.api.request("GET", `articles/${this.ctx.initial.article.id}/suggestions/?${this.query()}`));
    } catch (error) {
      this.message(`Suggestions could not be loaded: ${error.message}`);
    }
    this.render();
  }

  /** Run the project's recommenders on this article now; the page keeps working meanwhile. */
  async refreshFromRecommenders() {
    if (!this.on || this.asking) return;
    this.asking = true;
    this.suggestButton.disabled = true;
    this.status.textContent = "Asking the recommenders…";
    this.messages.replaceChildren();
    try {
      const answer = await this.ctx.api.request("POST", `articles/${this.ctx.initial.article.id}/suggestions/refresh/?${this.query()}`,
        { body: {} });
      this.suggestions.load(answer);
      for (const error of answer.errors || []) this.message(recommenderMessage(error));
      const n = this.suggestions.visible(this.store).length;
      this.status.textContent = `${n} suggestion${n === 1 ? "" : "s"}${answer.errors?.length ? "; some recommenders failed" : ""}.`;
    } catch (error) {
      this.status.textContent = "";
      this.message(`Could not ask for suggestions: ${error.message}`);
    } finally {
      this.asking = false;
      this.suggestButton.disabled = false;
    }
    this.render();
  }

  /** A message that stays until dismissed or the next Suggest, without blocking anything. */
  message(text) {
    const item = document.createElement("div");
    item.className = "suggest-message";
    item.dataset.suggestMessage = "";
    item.textContent = text;
    const dismiss = document.createElement("button");
    Object.assign(dismiss, { type: "button", className: "icon-button", textContent: "×" });
    dismiss.setAttribute("aria-label", "Dismiss");
    dismiss.addEventListener("click", () => item.remove());
    item.append(dismiss);
    this.messages.append(item);
  }

  // Drawing -----------------------------------------------------------------------------

  /** After every render of the article (render.js gives the text nodes' code point starts). */
  render(starts = this.starts) {
    this.starts = starts;
    if (!this.on) return;
    const visible = this.visible();
    const current = this.currentGhost();
    this.ghosts.render(visible, levels(visible), starts, current);
    renderSuggestions(this.body, this);
  }

  visible() {
    return this.suggestions.visible(this.store).map((s) => ({ ...s, color: this.store.label(s.label).color }));
  }

  /** The current suggestion if it is still a ghost (accepted, rejected or held ones are not). */
  currentGhost() {
    const current = this.suggestions.current;
    return current && this.visible().find((s) => s.id === current.id) || null;
  }

  setCount(n) {
    this.ctx.setCount("suggestions", n);
  }

  setCurrent(ghost, { scroll = true } = {}) {
    const before = this.suggestions.current;
    this.suggestions.current = ghost;
    if (!ghost && !before) return;
    if (ghost) this.ctx.select(null); // one thing at a time: Backspace is about the suggestion now
    this.render();
    if (!ghost) return this.ctx.hint("Tab goes back to the suggestions.");
    if (scroll) this.ghosts.scrollTo(ghost);
    this.ctx.hint(`Suggested ${ghost.label} “${ghost.text.slice(0, 60)}”: Enter accepts, x rejects, `
      + `Shift+Enter accepts every ${ghost.label}, Tab goes on.`, { sticky: true });
  }

  // Deciding ----------------------------------------------------------------------------

  /** Accept suggestions by id ({spans, relations, stances}) into the layer, as one undoable change. */
  accept(chosen) {
    let change;
    try {
      change = acceptChange(this.store, this.suggestions, chosen);
    } catch (error) {
      return this.ctx.toast(`Could not accept: ${error.message}`);
    }
    this.suggestions.decided(chosen, "accepted");
    this.ctx.perform(change); // applies, queues (If-Match: the layer version), records for undo, renders
  }

  async reject(chosen) {
    const taken = {
      spans: (chosen.spans || []).map((id) => this.suggestions.spans.get(id)).filter(Boolean),
      relations: [...this.suggestions.relations.values()],
      stances: [...this.suggestions.stances.values()],
    };
    this.suggestions.decided(chosen, "rejected");
    this.render();
    try {
      await this.ctx.api.request("POST", `annotations/${this.store.layerId}/suggestions/reject/`,
        { body: { spans: [], relations: [], stances: [], ...chosen } });
    } catch (error) {
      this.suggestions.restore(taken); // not recorded: it is still to decide
      this.render();
      this.ctx.toast(`Could not reject: ${error.message}`);
    }
  }

  /** Enter / Backspace / x on the current one: decide it, then go on to the next. */
  decideCurrent(how) {
    const current = this.currentGhost();
    if (!current) return false;
    const next = step(this.visible().filter((s) => s.id !== current.id), current, 1);
    if (how === "accept") this.accept({ spans: [current.id] });
    else this.reject({ spans: [current.id] });
    this.setCurrent(next);
    if (!next) this.ctx.hint("No suggestions left here.");
    return true;
  }

  acceptCurrent() {
    return this.decideCurrent("accept");
  }

  rejectCurrent() {
    return this.decideCurrent("reject");
  }

  /** Every ghost of `label` shown now, named by id (a retry then accepts exactly these). */
  ofLabel(label) {
    return this.visible().filter((s) => s.label === label).map((s) => s.id);
  }

  acceptLabel(label) {
    const ids = this.ofLabel(label);
    if (!ids.length) return;
    this.accept({ spans: ids });
    this.ctx.hint(`Accepted ${ids.length} ${label} suggestion${ids.length === 1 ? "" : "s"}.`);
    // Tab had reached one of them: go on to the next one left.
    if (this.suggestions.current && !this.currentGhost()) this.setCurrent(step(this.visible(), this.suggestions.current, 1));
  }

  rejectLabel(label) {
    const ids = this.ofLabel(label);
    if (!ids.length) return;
    this.reject({ spans: ids });
    this.ctx.hint(`Rejected ${ids.length} ${label} suggestion${ids.length === 1 ? "" : "s"}.`);
  }

  // Keys --------------------------------------------------------------------------------

  /** The workspace's keydown handler asks here first; true when the key was about suggestions. */
  onKey(event) {
    if (!this.on) return false;
    const key = event.key;
    const current = this.currentGhost();
    const inText = event.target === document.body || this.textEl.contains(event.target)
      || event.target === document.documentElement;
    if (key === "Tab" && inText && this.visible().length) {
      event.preventDefault();
      this.setCurrent(step(this.visible(), this.suggestions.current, event.shiftKey ? -1 : 1));
      return true;
    }
    if (key === "Enter" && current && inText) {
      event.preventDefault();
      if (event.shiftKey) this.acceptLabel(current.label);
      else this.acceptCurrent();
      return true;
    }
    if ((key === "x" || key === "Backspace") && current && inText) {
      event.preventDefault();
      this.rejectCurrent();
      return true;
    }
    if (key === "Escape" && current) {
      this.setCurrent(null);
      return true;
    }
    const labelKey = [...this.store.labels.values()].some((l) => l.hotkey && l.hotkey.toLowerCase() === "g");
    if (key === "g" && !labelKey) {
      event.preventDefault();
      this.refreshFromRecommenders();
      return true;
    }
    return false;
  }
}
