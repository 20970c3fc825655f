// Finding or creating the canonical source (entity) a SOURCE span or a stance
// holder refers to: type-ahead over GET /projects/<slug>/entities/?search=,
// and an inline form that POSTs a new one (name, type, role). What the user
// typed stays in the form when a request fails.

import { describeErrors } from "../api.js";
import { debounce, h } from "../dom.js";

export class EntityPicker {
  constructor(ctx, { onPick, query = "", label = "Find a canonical source" }) {
    this.ctx = ctx;
    this.onPick = onPick;
    this.input = h("input", { type: "search", class: "input", placeholder: "Name or alias…", value: query,
                              "aria-label": label, "data-entity-search": true, autocomplete: "off" });
    this.results = h("ul", { class: "picker-results", role: "listbox" });
    this.form = this.createForm();
    this.el = h("div", { class: "picker" }, h("label", { class: "field-label" }, label), this.input, this.results, this.form);
    const search = debounce(() => this.search(), 180);
    this.input.addEventListener("input", search);
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        const first = this.results.querySelector("button");
        if (first) first.click();
      }
    });
    if (query) this.search();
  }

  async search() {
    const q = this.input.value.trim();
    const { api, initial } = this.ctx;
    this.seq = (this.seq || 0) + 1;
    const seq = this.seq;
    if (!q) {
      this.results.replaceChildren();
      return;
    }
    let found = [];
    try {
      const page = await api.request("GET", `projects/${initial.project.slug}/entities/?page_size=8&search=${encodeURIComponent(q)}`);
      found = page.results || [];
    } catch (error) {
      if (seq === this.seq) this.results.replaceChildren(h("li", { class: "field-error" }, `Search failed: ${error.message}`));
      return;
    }
    if (seq !== this.seq) return; // a newer search is on its way
    const items = found.map((entity) => h("li", null, h("button", {
      type: "button", class: "picker-item", dataset: { entityId: entity.id },
      onclick: () => this.pick(entity),
    }, h("strong", null, entity.name), h("span", { class: "muted small" }, describe(entity)))));
    items.push(h("li", null, h("button", { type: "button", class: "picker-item picker-create", "data-entity-create": true,
                                           onclick: () => this.openForm(q) }, `+ New source “${q}”…`)));
    this.results.replaceChildren(...items);
  }

  pick(entity) {
    this.ctx.store.entities.set(entity.id, entity);
    this.results.replaceChildren();
    this.input.value = "";
    this.form.hidden = true;
    this.onPick(entity);
  }

  createForm() {
    const types = this.ctx.initial.entity_types;
    const form = h("form", { class: "picker-form stack", hidden: true, "data-entity-form": true },
      h("label", null, "Name", h("input", { class: "input", name: "name", required: true, maxlength: 300 })),
      h("label", null, "Type", h("select", { class: "input", name: "type" },
        types.map((t) => h("option", { value: t.value, selected: t.value === "person" }, t.label)))),
      h("label", null, "Role or affiliation",
        h("input", { class: "input", name: "description", maxlength: 500, placeholder: "e.g. expert in international relations" })),
      h("p", { class: "field-error", hidden: true }),
      h("div", { class: "row" },
        h("button", { type: "submit", class: "btn btn-primary btn-small" }, "Create and link"),
        h("button", { type: "button", class: "btn btn-small", onclick: () => { form.hidden = true; } }, "Cancel")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.create();
    });
    return form;
  }

  openForm(name) {
    this.form.hidden = false;
    this.form.elements.name.value = name;
    this.results.replaceChildren();
    this.form.elements.description.focus();
  }

  async create() {
    const { api, initial } = this.ctx;
    const form = this.form;
    const error = form.querySelector(".field-error");
    const body = { name: form.elements.name.value.trim(), type: form.elements.type.value,
                   description: form.elements.description.value.trim() };
    try {
      const entity = await api.request("POST", `projects/${initial.project.slug}/entities/`, { body });
      form.reset();
      error.hidden = true;
      this.pick(entity);
    } catch (failure) {
      error.textContent = `Not created: ${describeErrors(failure.body) || failure.message}`;
      error.hidden = false; // the form keeps what was typed
    }
  }
}

export function describe(entity) {
  return [entity.type, entity.description].filter(Boolean).join(" · ");
}
