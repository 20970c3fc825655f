// Every relation of the layer, hover to see both ends in the text.

import { fill, h, labelChip, quote } from "../dom.js";
import { keyedChildren, shownItems } from "../keyed.js";

const PAGE = 100; // relations listed before "Show more"

export function renderRelations(el, ctx) {
  const { store } = ctx;
  const end = (cid) => {
    const span = store.spans.get(cid);
    return h("button", { type: "button", class: "linklike relation-end", onclick: () => ctx.select(cid, { scroll: true }) },
      labelChip(span.label, store.label(span.label).color), " ", h("span", { dir: "auto" }, quote(span.text, 34)));
  };
  const relations = [...store.relations.values()].filter((r) => store.spans.has(r.from) && store.spans.has(r.to))
    .sort((a, b) => store.spans.get(a.from).start - store.spans.get(b.from).start);
  ctx.setCount("relations", relations.length);
  if (!relations.length) {
    fill(el, h("p", { class: "muted small" }, ctx.editable
      ? "No links yet. Click a quote, press a, then click its source (cue → quote and claim → source work the same way)."
      : "No links."));
    return;
  }
  let list = el.querySelector(":scope > ul.relations");
  if (!list) fill(el, list = h("ul", { class: "itemlist relations" }));
  // Kept by key (keyed.js): an item shows its type and both ends' label and text.
  const endKey = (cid) => `${store.spans.get(cid).label}:${store.spans.get(cid).text}`;
  const shown = shownItems(list, relations, PAGE, () => renderRelations(el, ctx));
  keyedChildren(list, shown, (r) => `${r.cid}|${r.type}|${r.from}|${r.to}|${endKey(r.from)}|${endKey(r.to)}|${ctx.editable}`,
    (relation) => h("li", {
      class: "item relation", dataset: { relationType: relation.type },
      onmouseenter: () => ctx.hover([relation.from, relation.to]), onmouseleave: () => ctx.hover([]),
    }, end(relation.from), h("span", { class: "relation-type" }, `${relation.type} →`), end(relation.to),
    ctx.editable && h("button", { type: "button", class: "icon-button", title: "Remove this link", "aria-label": "Remove link",
                                  onclick: () => ctx.deleteRelation(relation.cid) }, "×")));
}
