// Stances: holder → polarity → target, explicit or implicit, with evidence
// spans picked from the text. The form is built once and kept (so nothing
// typed or chosen is lost when the rest of the page re-renders); only its
// option lists and the stance list are refreshed.

import { fill, h, labelChip, quote } from "../dom.js";
import { keyedChildren, shownItems } from "../keyed.js";

const PAGE = 100; // stances listed before "Show more"
import { EntityPicker } from "./entities.js";

export class StancePanel {
  constructor(el, ctx) {
    this.el = el;
    this.ctx = ctx;
    this.editing = null; // cid of the stance being edited, or null for a new one
    this.evidence = [];
    this.list = h("ul", { class: "itemlist stances" });
    this.form = this.buildForm();
    fill(el, this.list, ctx.editable ? this.form : null);
  }

  evidenceSet() {
    return new Set(this.ctx.ui.mode && this.ctx.ui.mode.kind === "evidence" ? this.evidence : []);
  }

  holderName(stance) {
    const { store } = this.ctx;
    if (stance.holder_span && store.spans.has(stance.holder_span)) {
      const span = store.spans.get(stance.holder_span);
      return span.entity ? store.entityName(span.entity) : quote(span.text, 30);
    }
    return stance.holder_entity ? store.entityName(stance.holder_entity) : "?";
  }

  render() {
    const { store, project } = this.ctx;
    const stances = [...store.stances.values()];
    this.ctx.setCount("stances", stances.length);
    const polarity = (name) => project.polarities.find((p) => p.name === name) || { color: "#999" };
    // Kept by key (keyed.js): an item shows its holder, polarity, target, explicitness and evidence count.
    const keyOf = (stance) => [stance.cid, this.holderName(stance), stance.polarity, stance.target, stance.explicit,
                               stance.evidence.length, this.ctx.editable].join("|");
    const shown = shownItems(this.list, stances, PAGE, () => this.render());
    keyedChildren(this.list, shown, keyOf, (stance) => h("li", {
      class: "item stance", "data-stance": stance.cid,
      onmouseenter: () => this.ctx.hover([stance.holder_span, ...stance.evidence].filter(Boolean)),
      onmouseleave: () => this.ctx.hover([]),
    }, h("div", { class: "stance-line" },
      h("strong", { dir: "auto" }, this.holderName(stance)), h("span", { class: "arrow" }, "→"),
      labelChip(stance.polarity, polarity(stance.polarity).color), h("span", { class: "arrow" }, "→"),
      h("span", { dir: "auto" }, stance.target)),
    h("div", { class: "muted small" }, `${stance.explicit ? "explicit" : "implicit"} · `,
      stance.evidence.length ? `${stance.evidence.length} evidence span${stance.evidence.length === 1 ? "" : "s"}`
        : h("span", { class: "warn" }, "no evidence")),
    this.ctx.editable && h("div", { class: "item-actions" },
      h("button", { type: "button", class: "btn btn-small", onclick: () => this.edit(stance.cid) }, "Edit"),
      h("button", { type: "button", class: "icon-button", title: "Delete this stance", "aria-label": "Delete stance",
                    onclick: () => this.ctx.deleteStance(stance.cid) }, "×"))));
    if (!stances.length) this.list.replaceChildren(h("li", { class: "muted small" }, "No stances yet."));
    if (this.ctx.editable) this.refreshForm();
  }

  buildForm() {
    const { project } = this.ctx;
    const holder = h("select", { class: "input", name: "holder", "data-stance-holder": true, required: true });
    const target = h("select", { class: "input", name: "target", "data-stance-target": true, required: true },
      h("option", { value: "" }, "— choose a target —"),
      project.stance_targets.map((t) => h("option", { value: t.name }, t.name)));
    const polarities = h("div", { class: "segmented", role: "radiogroup", "aria-label": "Polarity" },
      project.polarities.map((p, i) => h("label", { class: "seg-radio", style: { "--c": p.color } },
        h("input", { type: "radio", name: "polarity", value: p.name, checked: i === 0 }), p.name)));
    const explicit = h("div", { class: "segmented", role: "radiogroup", "aria-label": "Explicit or implicit" },
      h("label", { class: "seg-radio" }, h("input", { type: "radio", name: "explicit", value: "true", checked: true }), "explicit"),
      h("label", { class: "seg-radio" }, h("input", { type: "radio", name: "explicit", value: "false" }), "implicit"));
    this.evidenceChips = h("div", { class: "chips", "data-stance-evidence": true });
    this.pickButton = h("button", { type: "button", class: "btn btn-small", "data-action": "pick-evidence",
                                    onclick: () => this.togglePicking() }, "Pick from text");
    for (const event of ["focus", "mousedown", "keydown"]) holder.addEventListener(event, () => this.refreshHolders());
    this.holderPicker = new EntityPicker(this.ctx, { label: "…or find a canonical source", onPick: (entity) => {
      this.refreshForm();
      this.refreshHolders();
      holder.value = `e:${entity.id}`;
    } });
    this.title = h("h3", { class: "form-title" }, "Add a stance");
    this.submitButton = h("button", { type: "submit", class: "btn btn-primary btn-small", "data-action": "save-stance" }, "Add stance");
    this.cancelButton = h("button", { type: "button", class: "btn btn-small", hidden: true, onclick: () => this.reset() }, "Cancel");
    this.error = h("p", { class: "field-error", hidden: true });
    const form = h("form", { class: "stance-form stack", "data-stance-form": true },
      this.title,
      h("label", { class: "field" }, h("span", { class: "field-label" }, "Holder"), h("div", { class: "row" }, holder,
        h("button", { type: "button", class: "btn btn-small", title: "Use the selected span as holder",
                      onclick: () => this.useSelected() }, "Selected span"))),
      h("details", { class: "subtle" }, h("summary", null, "Holder not in the text?"), this.holderPicker.el),
      h("label", { class: "field" }, h("span", { class: "field-label" }, "Target"), target),
      h("div", { class: "field" }, h("span", { class: "field-label" }, "Polarity"), polarities),
      h("div", { class: "field" }, h("span", { class: "field-label" }, "Stated"), explicit),
      h("div", { class: "field" }, h("span", { class: "field-label" }, "Evidence"), this.evidenceChips,
        h("div", { class: "row" }, this.pickButton,
          h("button", { type: "button", class: "btn btn-small", onclick: () => this.addSelected() }, "Add selected span"))),
      this.error,
      h("div", { class: "row" }, this.submitButton, this.cancelButton));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    return form;
  }

  /**
   * Rebuild the evidence chips, and the holder options (spans come and go) a moment later or as soon
   * as the form is used, keeping the choices: on a long article the holder options are thousands,
   * and building them on every change would cost more than the change itself.
   */
  refreshForm() {
    const { store } = this.ctx;
    this.holdersStale = true;
    clearTimeout(this.holdersTimer);
    this.holdersTimer = setTimeout(() => this.refreshHolders(), 250);
    this.evidence = this.evidence.filter((cid) => store.spans.has(cid));
    this.evidenceChips.replaceChildren(...this.evidence.map((cid) => {
      const span = store.spans.get(cid);
      return h("span", { class: "chip", style: { "--c": store.label(span.label).color } }, quote(span.text, 28),
        h("button", { type: "button", class: "chip-x", "aria-label": "Remove evidence",
                      onclick: () => this.toggleEvidence(cid) }, "×"));
    }));
    if (!this.evidence.length) this.evidenceChips.append(h("span", { class: "muted small" }, "none yet"));
  }

  /** The holder options as the layer has them now (rebuilt only when one of them changed). */
  refreshHolders() {
    if (!this.holdersStale) return;
    this.holdersStale = false;
    clearTimeout(this.holdersTimer);
    const { store } = this.ctx;
    const select = this.form.elements.holder;
    const value = select.value;
    const spans = store.orderedSpans();
    const sources = spans.filter((s) => s.label === "SOURCE");
    const others = spans.filter((s) => s.label !== "SOURCE" && s.label !== "STANCE_EVIDENCE");
    const spanText = (s) => `${s.entity ? store.entityName(s.entity) + " — " : ""}${quote(s.text, 40)}`;
    const key = [...sources, null, ...others].map((s) => (s ? `${s.cid}:${spanText(s)}` : "|")).join("\n")
      + [...store.entities.values()].map((e) => `${e.id}:${e.name}`).join("\n");
    if (key === this.holderKey) return;
    this.holderKey = key;
    const spanOption = (s) => h("option", { value: `s:${s.cid}` }, spanText(s));
    select.replaceChildren(h("option", { value: "" }, "— choose a holder —"),
      sources.length && h("optgroup", { label: "SOURCE spans" }, sources.map(spanOption)),
      others.length && h("optgroup", { label: "Other spans" }, others.map(spanOption)),
      store.entities.size && h("optgroup", { label: "Canonical sources" },
        [...store.entities.values()].map((e) => h("option", { value: `e:${e.id}` }, e.name))));
    if ([...select.options].some((o) => o.value === value)) select.value = value;
  }

  useSelected() {
    const cid = this.ctx.ui.selected;
    if (!cid) return this.ctx.hint("Click a span in the text first.");
    this.refreshHolders();
    this.form.elements.holder.value = `s:${cid}`;
  }

  addSelected() {
    const cid = this.ctx.ui.selected;
    if (!cid) return this.ctx.hint("Click a span in the text first.");
    if (!this.evidence.includes(cid)) this.toggleEvidence(cid);
  }

  toggleEvidence(cid) {
    this.evidence = this.evidence.includes(cid) ? this.evidence.filter((c) => c !== cid) : [...this.evidence, cid];
    this.refreshForm();
    this.ctx.decorate();
  }

  togglePicking() {
    const { ui } = this.ctx;
    if (ui.mode && ui.mode.kind === "evidence") return this.ctx.endMode();
    this.ctx.startMode({ kind: "evidence", onPick: (cid) => this.toggleEvidence(cid),
                         hint: "Picking evidence: click spans in the text to add or remove them; Esc or “Done” ends.",
                         onEnd: () => { this.pickButton.textContent = "Pick from text"; this.pickButton.setAttribute("aria-pressed", "false"); } });
    this.pickButton.textContent = "Done picking";
    this.pickButton.setAttribute("aria-pressed", "true");
  }

  edit(cid) {
    const stance = this.ctx.store.stances.get(cid);
    this.editing = cid;
    this.evidence = [...stance.evidence];
    this.refreshForm();
    this.refreshHolders();
    const f = this.form.elements;
    f.holder.value = stance.holder_span ? `s:${stance.holder_span}` : `e:${stance.holder_entity}`;
    f.target.value = stance.target;
    f.polarity.value = stance.polarity;
    f.explicit.value = String(stance.explicit);
    this.title.textContent = "Edit stance";
    this.submitButton.textContent = "Save stance";
    this.cancelButton.hidden = false;
    this.form.scrollIntoView({ block: "nearest" });
  }

  reset() {
    this.editing = null;
    this.evidence = [];
    this.form.reset();
    this.title.textContent = "Add a stance";
    this.submitButton.textContent = "Add stance";
    this.cancelButton.hidden = true;
    this.error.hidden = true;
    if (this.ctx.ui.mode && this.ctx.ui.mode.kind === "evidence") this.ctx.endMode();
    this.refreshForm();
  }

  save() {
    this.refreshHolders(); // a holder deleted meanwhile is no longer an option
    const f = this.form.elements;
    const problems = [];
    if (!f.holder.value) problems.push("choose a holder");
    if (!f.target.value) problems.push("choose a target");
    if (problems.length) {
      this.error.textContent = `To save the stance, ${problems.join(" and ")}.`;
      this.error.hidden = false;
      return;
    }
    const [kind, ref] = [f.holder.value.slice(0, 1), f.holder.value.slice(2)];
    const fields = {
      holder_span: kind === "s" ? ref : null, holder_entity: kind === "e" ? Number(ref) : null,
      target: f.target.value, polarity: f.polarity.value, explicit: f.explicit.value === "true", evidence: [...this.evidence],
    };
    if (this.editing && this.ctx.store.stances.has(this.editing)) this.ctx.patchStance(this.editing, fields);
    else this.ctx.addStance(fields);
    this.reset();
  }
}
