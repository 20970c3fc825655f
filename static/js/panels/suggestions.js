// The Suggestions panel: the current suggestion (the one Tab reached) with its score and recommender,
// the count of ghosts per label with "accept all" / "reject all", and the suggested links (relations,
// stances), which have no ghost of their own. Actions go back to suggesting.js (`s`).

import { fill, h, labelChip, quote } from "../dom.js";
import { describeSuggestion } from "../suggestions.js";

// Buttons keep the keyboard in the text: a click does not move the focus to them, so Tab, Enter and x
// keep working on the suggestions after a click here (as the label buttons keep the text selection).
const button = (label, attrs, onclick) => h("button", {
  type: "button", class: "btn btn-small", ...attrs, onclick,
  onmousedown: (event) => event.preventDefault(),
}, label);

export function renderSuggestions(el, s) {
  const { store, suggestions } = s;
  const counts = suggestions.counts(store);
  const { relations, stances } = suggestions.links();
  const total = [...counts.values()].reduce((a, b) => a + b, 0) + relations.length + stances.length;
  s.setCount(total);
  const current = s.currentGhost();
  const spanChip = (id) => {
    const span = suggestions.span(id);
    return span ? [labelChip(span.label, store.label(span.label).color), " ", h("span", { dir: "auto" }, quote(span.text, 30))]
      : "a span";
  };
  const link = (kind, item, body) => h("li", { class: "item suggestion-link", dataset: { suggestionKind: kind, suggestionId: item.id } },
    body, h("span", { class: "muted small" }, describeSuggestion(item)),
    h("span", { class: "row" },
      button("Accept", { "data-action": "accept-suggestion" }, () => s.accept({ [kind]: [item.id] })),
      button("Reject", { "data-action": "reject-suggestion" }, () => s.reject({ [kind]: [item.id] }))));

  fill(el,
    current ? h("div", { class: "suggestion-current", "data-current-suggestion": current.id },
      h("div", { class: "row" }, labelChip(current.label, store.label(current.label).color),
        h("span", { dir: "auto" }, quote(current.text, 60))),
      h("div", { class: "muted small", "data-suggestion-meta": true }, describeSuggestion(current)),
      h("div", { class: "row" },
        button("Accept", { class: "btn btn-small btn-primary", "data-action": "accept-current", title: "Enter" }, () => s.acceptCurrent()),
        button("Reject", { "data-action": "reject-current", title: "x or Backspace" }, () => s.rejectCurrent()),
        button(`Accept all ${current.label}`, { "data-action": "accept-current-label", title: "Shift+Enter" },
          () => s.acceptLabel(current.label))))
      : total ? h("p", { class: "muted small" }, "Tab moves to the next suggestion, Enter accepts it, x rejects it.")
        : h("p", { class: "muted small" }, "No suggestions for this article. Suggest (g) asks the recommenders."),
    counts.size ? h("ul", { class: "itemlist suggestion-counts" }, [...counts].map(([label, n]) => h("li", {
      class: "item", dataset: { suggestionLabel: label },
    }, labelChip(label, store.label(label).color), h("span", { "data-suggestion-count": true }, String(n)),
    h("span", { class: "row suggestion-actions" },
      button("Accept all", { "data-action": "accept-label", title: `Accept every ${label} suggestion shown` },
        () => s.acceptLabel(label)),
      button("Reject all", { "data-action": "reject-label", title: `Reject every ${label} suggestion shown` },
        () => s.rejectLabel(label)))))) : null,
    relations.length ? h("ul", { class: "itemlist" }, relations.map((r) => link("relations", r,
      h("span", { class: "row" }, spanChip(r.from), h("span", { class: "relation-type" }, `${r.type} →`), spanChip(r.to)))))
      : null,
    stances.length ? h("ul", { class: "itemlist" }, stances.map((t) => link("stances", t,
      h("span", { class: "row" }, t.holder ? spanChip(t.holder) : store.entityName(t.holder_entity),
        h("span", null, `${t.polarity} → ${t.target}`))))) : null);
}
