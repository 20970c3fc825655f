// Modes of the article text: linking two spans (select one, press a, click
// the other) and picking stance evidence. The relation type is chosen from
// the project's relation types by the labels of the two ends; clicked the
// other way round (the source, then its quote) it is turned around; when
// several types fit equally, the user is asked.

import { h } from "./dom.js";

export class Linking {
  constructor(ctx, { hintEl, defaultHint, perform }) {
    Object.assign(this, { ctx, hintEl, defaultHint, perform });
  }

  startMode(mode) {
    this.endMode();
    this.ctx.ui.mode = mode;
    document.body.dataset.mode = mode.kind;
    this.ctx.hint(mode.hint, { sticky: true });
    this.ctx.decorate();
  }

  endMode() {
    const mode = this.ctx.ui.mode;
    this.ctx.ui.mode = null;
    delete document.body.dataset.mode;
    document.querySelector("[data-type-chooser]")?.remove();
    if (mode && mode.onEnd) mode.onEnd();
    this.defaultHint();
    this.ctx.decorate();
  }

  startLink() {
    const { ui, store } = this.ctx;
    const from = ui.selected && store.spans.get(ui.selected);
    if (!from) return this.ctx.hint("Click the span to link first (a quote, a cue or a claim), then press a.");
    this.startMode({ kind: "link", from: from.cid,
                     hint: `Linking ${from.label} “${from.text.slice(0, 40)}”: click the span it points to. Esc cancels.` });
  }

  /** The relation types that fit, best first: exact label matches before "any label" ends. */
  fittingTypes(from, to) {
    const score = (t) => (t.from_label ? 1 : 0) + (t.to_label ? 1 : 0);
    const types = this.ctx.store.typesFor(from.label, to.label).sort((a, b) => score(b) - score(a));
    return types.filter((t) => score(t) === score(types[0]));
  }

  /** A click in link mode: `stack` is the spans under it, innermost first. */
  finishLink(stack) {
    const { ui, store } = this.ctx;
    const from = store.spans.get(ui.mode.from);
    const candidates = stack.filter((cid) => cid !== from.cid).map((cid) => store.spans.get(cid));
    if (!candidates.length) return this.ctx.hint("Click another span (or Esc to cancel).", { sticky: true });
    for (const to of candidates) {
      let types = this.fittingTypes(from, to);
      let [a, b] = [from, to];
      if (!types.length) {
        types = this.fittingTypes(to, from);
        [a, b] = [to, from];
      }
      if (!types.length) continue;
      if (types.length === 1) return this.link(types[0].name, a, b);
      return this.chooseType(types, a, b);
    }
    this.endMode();
    this.ctx.toast(`No relation type links ${from.label} and ${candidates[0].label} in this project.`);
  }

  link(type, from, to) {
    const { store } = this.ctx;
    this.endMode();
    const exists = [...store.relations.values()].some((r) => r.type === type && r.from === from.cid && r.to === to.cid);
    if (exists) return this.ctx.hint(`Already linked: ${from.label} ${type} ${to.label}.`);
    this.perform(store.addRelation(type, from.cid, to.cid));
    this.ctx.hint(`Linked ${from.label} “${from.text.slice(0, 30)}” ${type} ${to.label} “${to.text.slice(0, 30)}”.`);
  }

  chooseType(types, from, to) {
    this.endMode();
    const chooser = h("div", { class: "type-chooser", "data-type-chooser": true, role: "dialog" },
      h("span", null, `Which link from ${from.label} to ${to.label}?`),
      types.map((t) => h("button", { type: "button", class: "btn btn-small", title: t.description,
                                     onclick: () => { chooser.remove(); this.link(t.name, from, to); } }, t.name)),
      h("button", { type: "button", class: "btn btn-small", onclick: () => chooser.remove() }, "Cancel"));
    this.hintEl.after(chooser);
  }
}
