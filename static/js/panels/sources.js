// The article's sources: its SOURCE spans grouped by canonical source, with their mentions.

import { fill, h, quote } from "../dom.js";
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

  const items = [...byEntity].map(([id, spans]) => {
    const entity = store.entities.get(id) || { name: store.entityName(id) };
    return h("li", { class: "source", "data-source-entity": id,
                     onmouseenter: () => ctx.hover(spans.map((s) => s.cid)), onmouseleave: () => ctx.hover([]) },
      h("div", { class: "source-head" }, h("strong", { dir: "auto" }, entity.name),
        h("span", { class: "muted small" }, `${spans.length} mention${spans.length === 1 ? "" : "s"}`)),
      describe(entity) && h("div", { class: "muted small" }, describe(entity)),
      h("div", { class: "chips" }, spans.map(mention)));
  });
  if (unlinked.length) {
    items.push(h("li", { class: "source source-unlinked" },
      h("div", { class: "source-head" }, h("strong", null, "Not linked yet"),
        h("span", { class: "muted small" }, "click one to link it")),
      h("div", { class: "chips" }, unlinked.map(mention))));
  }
  ctx.setCount("sources", byEntity.size);
  fill(el, items.length ? h("ul", { class: "sourcelist" }, items)
    : h("p", { class: "muted small" }, "No sources yet. Select a name and press the SOURCE key."));
}
