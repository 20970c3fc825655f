// The selected span: its label, text, bounds and pieces (a split quote), its attributes, its
// canonical source (SOURCE spans), its links, and the other spans under the
// same spot. Every control calls back into the workspace (ctx), which makes
// the change, saves it and re-renders.

import { fill, h, labelChip, quote } from "../dom.js";
import { EntityPicker, describe } from "./entities.js";
import { describePieces } from "../fragments.js";

// Span attributes the guidelines ask for, by label (the interchange format's keys).
const ATTRIBUTES = {
  CLAIM: [
    { key: "check_worthy", title: "Check-worthy", options: [[true, "yes"], [false, "no"]] },
    { key: "claim_type", title: "Claim", options: [["factual", "factual"], ["opinion", "opinion"]] },
  ],
  QUOTE: [
    { key: "quote_type", title: "Quote", options: [["direct", "direct"], ["indirect", "indirect"], ["mixed", "mixed"]] },
  ],
};

export function renderInspector(el, ctx) {
  const { store, ui } = ctx;
  const span = ui.selected && store.spans.get(ui.selected);
  if (!span) {
    fill(el, h("h2", { class: "panel-title" }, "Selected span"),
      h("p", { class: "muted" }, ctx.editable
        ? "Nothing selected. Click a highlighted span to edit it, or select text and press a label's key."
        : "Click a highlighted span to see it."));
    return;
  }
  const label = store.label(span.label);
  const editable = ctx.editable;
  const serverId = store.ids.get(span.cid);
  const parts = [
    h("div", { class: "inspector-head" },
      labelChip(span.label, label.color),
      h("span", { class: "muted small" }, `${span.start}–${span.end}${serverId ? ` · #${serverId}` : " · saving…"}`),
      h("span", { class: "spacer" }),
      editable && h("button", { type: "button", class: "btn btn-small", title: "Link to another span (a)",
                                 "data-action": "link", onclick: () => ctx.startLink() }, "Link… ", h("kbd", null, "a")),
      editable && h("button", { type: "button", class: "btn btn-small btn-danger", title: "Delete (Delete key)",
                                 "data-action": "delete-span", onclick: () => ctx.deleteSpan(span.cid) }, "Delete")),
    h("blockquote", { class: "span-text", dir: "auto", "data-inspector-text": true },
      describePieces(store.text, span.fragments)),
  ];
  if (span.needs_review) parts.push(flaggedField(span, ctx));
  // The span's open threads (panels/threads.js): the marker lives here, the text's rendering is render.js's.
  const discussed = serverId && ctx.openThreadsOn ? ctx.openThreadsOn("span", serverId) : 0;
  if (discussed) {
    parts.push(h("p", { class: "small", "data-inspector-threads": discussed },
      `💬 ${discussed} open thread${discussed === 1 ? "" : "s"} on this span: see Threads.`));
  }
  if (span.fragments.length > 1) parts.push(piecesField(span, ctx));

  if (editable) {
    parts.push(h("div", { class: "field" }, h("span", { class: "field-label" }, "Label"),
      h("div", { class: "chips" }, [...store.labels.values()].map((l) => h("button", {
        type: "button", class: "chip chip-button", style: { "--c": l.color }, "aria-pressed": String(l.name === span.label),
        "data-relabel": l.name, onclick: () => ctx.relabel(span.cid, l.name),
      }, l.name)))));
    parts.push(h("div", { class: "field" }, h("span", { class: "field-label" }, "Bounds (by word)"),
      h("div", { class: "row bounds" },
        boundButton("◂", "start earlier", "[", () => ctx.moveBound("start", -1)),
        h("span", { class: "small muted" }, "start"),
        boundButton("▸", "start later", "]", () => ctx.moveBound("start", 1)),
        h("span", { class: "spacer" }),
        boundButton("◂", "end earlier", "{", () => ctx.moveBound("end", -1)),
        h("span", { class: "small muted" }, "end"),
        boundButton("▸", "end later", "}", () => ctx.moveBound("end", 1)),
        ui.pending && span.fragments.length === 1 && h("button", {
          type: "button", class: "btn btn-small", onclick: () => ctx.boundsFromSelection() }, "Use selected text"),
        ui.pending && h("button", {
          type: "button", class: "btn btn-small", "data-action": "add-piece", onclick: () => ctx.addPiece(span.cid),
          title: `Add the selected text to this span as another piece (Alt+${label.hotkey})` }, "Add as a piece"))));
  }

  for (const spec of ATTRIBUTES[span.label] || []) {
    const current = span.attributes[spec.key];
    parts.push(h("div", { class: "field" }, h("span", { class: "field-label" }, spec.title),
      h("div", { class: "segmented", role: "group", "aria-label": spec.title }, spec.options.map(([value, text]) =>
        h("button", {
          type: "button", "aria-pressed": String(current === value), disabled: !editable,
          dataset: { attr: spec.key, value: String(value) },
          onclick: () => ctx.setAttribute(span.cid, spec.key, current === value ? undefined : value),
        }, text)))));
  }

  if (span.label === "SOURCE") parts.push(sourceField(span, ctx));

  const links = store.relationsOf(span.cid);
  if (links.length) {
    parts.push(h("div", { class: "field" }, h("span", { class: "field-label" }, "Links"),
      h("ul", { class: "itemlist" }, links.map((relation) => {
        const outgoing = relation.from === span.cid;
        const other = store.spans.get(outgoing ? relation.to : relation.from);
        return h("li", { class: "item", onmouseenter: () => ctx.hover([other.cid]), onmouseleave: () => ctx.hover([]) },
          h("span", { class: "muted small" }, outgoing ? `${relation.type} →` : `← ${relation.type}`),
          h("button", { type: "button", class: "linklike", onclick: () => ctx.select(other.cid, { scroll: true }) },
            labelChip(other.label, store.label(other.label).color), " ", quote(other.text, 40)),
          editable && h("button", { type: "button", class: "icon-button", title: "Remove this link", "aria-label": "Remove link",
                                     onclick: () => ctx.deleteRelation(relation.cid) }, "×"));
      }))));
  }

  const others = ui.lastStack.filter((cid) => cid !== span.cid && store.spans.has(cid));
  if (others.length) {
    parts.push(h("div", { class: "field" }, h("span", { class: "field-label" }, "Also here (press . to cycle)"),
      h("div", { class: "chips" }, others.map((cid) => {
        const other = store.spans.get(cid);
        return h("button", { type: "button", class: "chip chip-button", style: { "--c": store.label(other.label).color },
                             onclick: () => ctx.select(cid) }, `${other.label} ${quote(other.text, 24)}`);
      }))));
  }
  fill(el, h("h2", { class: "panel-title" }, "Selected span"), ...parts);
}

/** A split span's pieces in order, each with its code point offsets and (when editable) a remove button. */
function piecesField(span, ctx) {
  const { store } = ctx;
  return h("div", { class: "field" }, h("span", { class: "field-label" }, `Pieces (${span.fragments.length})`),
    h("ol", { class: "itemlist", "data-pieces": true }, span.fragments.map(([start, end], index) =>
      h("li", { class: "item", "data-piece": index, "data-start": start, "data-end": end },
        h("span", { dir: "auto", class: "piece-text" }, quote(store.text.slice(start, end), 60).slice(1, -1)),
        h("span", { class: "muted small" }, ` ${start}–${end}`),
        ctx.editable && h("button", {
          type: "button", class: "icon-button", title: "Remove this piece from the span", "aria-label": "Remove piece",
          "data-action": "remove-piece", onclick: () => ctx.removePiece(span.cid, index) }, "×")))));
}

/** A span re-anchoring flagged: the text it covered before the article was corrected, and a Confirm button
 * (it stays where it is and takes the corrected text there; to fix it instead, move its bounds or pieces). */
function flaggedField(span, ctx) {
  return h("div", { class: "field flagged-span", "data-flagged": true },
    h("span", { class: "field-label" }, "Needs review: the article's text was corrected here"),
    h("p", { class: "small" }, "It covered: ", h("q", { dir: "auto", "data-old-text": true }, span.text)),
    ctx.editable && h("button", {
      type: "button", class: "btn btn-small btn-primary", "data-action": "confirm-span",
      title: "Keep this span where it is now, with the corrected text (or move its bounds first)",
      onclick: () => ctx.confirmSpan(span.cid) }, "Confirm"));
}

function boundButton(text, title, key, onclick) {
  return h("button", { type: "button", class: "btn btn-small btn-icon", title: `Move the ${title} (${key})`,
                       "aria-label": `Move the ${title}`, onclick }, text);
}

function sourceField(span, ctx) {
  const { store, ui } = ctx;
  const field = h("div", { class: "field source-field" }, h("span", { class: "field-label" }, "Canonical source"));
  if (span.entity) {
    const entity = store.entities.get(span.entity) || { name: store.entityName(span.entity) };
    field.append(h("div", { class: "entity-card", "data-linked-entity": span.entity },
      h("strong", null, entity.name), h("span", { class: "muted small" }, describe(entity)),
      ctx.editable && h("button", { type: "button", class: "btn btn-small", onclick: () => ctx.linkEntity(span.cid, null) }, "Unlink")));
    return field;
  }
  if (!ctx.editable) {
    field.append(h("p", { class: "muted small" }, "Not linked."));
    return field;
  }
  // Keep one picker per span so a re-render does not wipe what is being typed.
  if (!ui.picker || ui.picker.cid !== span.cid) {
    ui.picker = { cid: span.cid, picker: new EntityPicker(ctx, {
      query: span.text, label: "Link to a canonical source",
      onPick: (entity) => ctx.linkEntity(span.cid, entity.id) }) };
  }
  const usedHere = [...new Set([...store.spans.values()].map((s) => s.entity).filter(Boolean))];
  if (usedHere.length) {
    field.append(h("div", { class: "chips" }, h("span", { class: "muted small" }, "In this article:"),
      usedHere.map((id) => h("button", { type: "button", class: "chip chip-button chip-entity",
                                         onclick: () => ctx.linkEntity(span.cid, id) }, store.entityName(id)))));
  }
  field.append(ui.picker.picker.el);
  return field;
}
