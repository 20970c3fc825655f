// The article's sources: its SOURCE spans grouped by canonical source, with their mentions.

import { fill, h, quote } from "../dom.js";
import { keyedChildren, shownItems } from "../keyed.js";

const PAGE = 60; // source groups listed before "Show more"
import { describe } from "./entities.js";

export function renderSources(el, ctx) {
  const { store } = ctx;
  const sources = store.orderedSpans().filter((span) => span.label === "SOURCE");
  const byEntity = new Map();
  const unlinked = [];
  for (const span of sources) {
    if (span.entity) {
      if (!byEntity.has(span.entity)) byEntity.set(span.entity, []);
      byEntity.get(span.entity).push(span);
    } else unlinked.push(span);
  }
  const mention = (span) => h("button", {
    type: "button", class: "chip chip-button", style: { "--c": store.label("SOURCE").color },
    onclick: () => ctx.select(span.cid, { scroll: true }),
    onmouseenter: () => ctx.hover([span.cid]), onmouseleave: () => ctx.hover([]),
  }, quote(span.text, 32));

  // Kept by key (keyed.js): a group shows its source's name and description and its mentions' texts.
  const groups = [...byEntity].map(([id, spans]) => ({ id, spans, entity: store.entities.get(id) || { name: store.entityName(id) } }));
  const keyOf = (group) => [group.id, group.entity?.name, group.entity && describe(group.entity),
                            ...group.spans.map((span) => `${span.cid}:${span.text}`)].join("|");
  const build = ({ id, spans, entity }) => (id === null
    ? h("li", { class: "source source-unlinked" },
      h("div", { class: "source-head" }, h("strong", null, "Not linked yet"),
        h("span", { class: "muted small" }, "click one to link it")),
      h("div", { class: "chips" }, spans.map(mention)))
    : h("li", { class: "source", "data-source-entity": id,
                onmouseenter: () => ctx.hover(spans.map((s) => s.cid)), onmouseleave: () => ctx.hover([]) },
      h("div", { class: "source-head" }, h("strong", { dir: "auto" }, entity.name),
        h("span", { class: "muted small" }, `${spans.length} mention${spans.length === 1 ? "" : "s"}`)),
      describe(entity) && h("div", { class: "muted small" }, describe(entity)),
      h("div", { class: "chips" }, spans.map(mention))));
  ctx.setCount("sources", byEntity.size);
  if (!groups.length && !unlinked.length) {
    fill(el, h("p", { class: "muted small" }, "No sources yet. Select a name and press the SOURCE key."));
    return;
  }
  let list = el.querySelector(":scope > ul.sourcelist");
  if (!list) fill(el, list = h("ul", { class: "sourcelist" }));
  // The mentions not linked yet stay listed last whatever is shown of the linked sources: they are the work left.
  const shown = shownItems(list, groups, PAGE, () => renderSources(el, ctx));
  keyedChildren(list, unlinked.length ? [...shown, { id: null, spans: unlinked }] : shown, keyOf, build);
}
