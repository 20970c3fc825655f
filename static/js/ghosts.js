// Suggestions drawn as dashed "ghost" boxes over the article text.
//
// They live in an overlay beside the text, never in it: render.js's text nodes and the own spans'
// elements stay exactly as they are (no wrapper, no inserted character, no split fragment), so a
// selection, a click and an offset work as without suggestions. Each box is measured from the text
// nodes' own client rectangles (per line, joined), taken with DOM Ranges in UTF-16 units converted
// from the API's code points (suggestions.js ghostPieces). The overlay lets the pointer through
// (pointer-events: none); hit() answers which ghost is under a point, for hover and clicks.

import { h } from "./dom.js";
import { describeSuggestion, ghostPieces } from "./suggestions.js";

const PAD = 1; // px around the text of an innermost ghost
const STEP = 3; // px more per nesting level, so overlapping outlines stay apart

export class GhostLayer {
  constructor(textEl) {
    this.textEl = textEl;
    this.el = h("div", { class: "ghosts", "aria-hidden": "true", "data-ghosts": true });
    this.tip = h("div", { class: "ghost-tip", role: "tooltip", hidden: true, "data-ghost-tip": true });
    textEl.parentElement.append(this.el, this.tip);
    this.boxes = []; // {id, level, rect: {left, top, right, bottom} relative to the overlay, which scrolls with the text}
    this.ghosts = [];
    this.args = null;
  }

  /** Draw `ghosts` (text order) with their nesting `levels`; `current` is the one Tab reached. */
  render(ghosts, levels, starts, current) {
    this.args = [ghosts, levels, starts, current];
    this.ghosts = ghosts;
    this.boxes = [];
    const base = this.el.getBoundingClientRect();
    const nodes = textNodes(this.textEl, starts);
    const children = [];
    for (const ghost of ghosts) {
      const level = levels.get(ghost.id) || 0;
      const pad = PAD + level * STEP;
      const lines = lineRects(nodes, ghost);
      lines.forEach((r, i) => {
        this.boxes.push({ id: ghost.id, level, rect: { left: r.left - base.left, right: r.right - base.left,
                                                       top: r.top - base.top, bottom: r.bottom - base.top } });
        children.push(h("div", {
          class: `ghost${ghost.id === current?.id ? " is-current" : ""}`,
          dataset: { suggestionId: ghost.id, label: ghost.label, start: ghost.start, end: ghost.end, ...(i ? { fragment: "" } : {}) },
          style: {
            "--c": ghost.color, left: `${r.left - base.left - pad}px`, top: `${r.top - base.top - pad}px`,
            width: `${r.right - r.left + 2 * pad}px`, height: `${r.bottom - r.top + 2 * pad}px`,
          },
        }, i === 0 && ghost.id === current?.id ? h("span", { class: "ghost-caption" }, describeSuggestion(ghost)) : null));
      });
    }
    this.el.replaceChildren(...children);
  }

  /** Measure again (the text re-flowed: a resize, a font that loaded). */
  redraw() {
    if (this.args) this.render(...this.args);
  }

  /** The innermost ghost under the client point (x, y), or null. */
  hit(x, y) {
    const base = this.el.getBoundingClientRect();
    [x, y] = [x - base.left, y - base.top];
    let best = null;
    for (const box of this.boxes) {
      const pad = PAD + box.level * STEP;
      const r = box.rect;
      const inside = x >= r.left - pad && x <= r.right + pad && y >= r.top - pad && y <= r.bottom + pad;
      if (inside && (!best || box.level < best.level)) best = box;
    }
    return best ? this.ghosts.find((g) => g.id === best.id) : null;
  }

  /** Show what a ghost is (label, score, recommender) next to it; null hides the tip. */
  showTip(ghost) {
    if (!ghost) {
      this.tip.hidden = true;
      return;
    }
    const el = this.el.querySelector(`[data-suggestion-id="${ghost.id}"]`);
    if (!el) return;
    this.tip.textContent = `Suggested ${describeSuggestion(ghost)}`;
    this.tip.style.left = `${el.offsetLeft}px`;
    this.tip.style.top = `${el.offsetTop + el.offsetHeight + 4}px`;
    this.tip.hidden = false;
  }

  scrollTo(ghost) {
    const el = this.el.querySelector(`[data-suggestion-id="${ghost.id}"]`);
    if (el) el.scrollIntoView({ block: "center", behavior: "smooth" });
  }
}

/** The article's text nodes with their code point starts (render.js's `starts`), in text order. */
function textNodes(container, starts) {
  const nodes = [];
  if (!starts) return nodes;
  const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const start = starts.get(node);
    if (start !== undefined) nodes.push({ node, start, data: node.data });
  }
  return nodes;
}

/** One rectangle per line the ghost's text covers (client coordinates). */
function lineRects(nodes, ghost) {
  const lines = [];
  for (const [index, from, to] of ghostPieces(nodes, ghost.start, ghost.end)) {
    const range = document.createRange();
    range.setStart(nodes[index].node, from);
    range.setEnd(nodes[index].node, to);
    for (const r of range.getClientRects()) {
      if (r.width < 0.5) continue; // the empty box at a line's end
      const line = lines.find((l) => Math.abs(l.top - r.top) < 3 && Math.abs(l.bottom - r.bottom) < 3);
      if (line) {
        line.left = Math.min(line.left, r.left);
        line.right = Math.max(line.right, r.right);
      } else lines.push({ left: r.left, right: r.right, top: r.top, bottom: r.bottom });
    }
  }
  return lines;
}
