// The project's guidelines: a small Markdown subset (headings, lists,
// paragraphs, **bold**, *italic*, `code`) built as DOM nodes. Every piece of
// text is a text node, so the guidelines cannot inject markup whatever they hold.

import { h } from "../dom.js";

const INLINE = /(\*\*[^*]+\*\*|\*[^*\s][^*]*\*|`[^`]+`)/g;

function inline(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    const token = match[0];
    if (token.startsWith("**")) parts.push(h("strong", null, token.slice(2, -2)));
    else if (token.startsWith("`")) parts.push(h("code", null, token.slice(1, -1)));
    else parts.push(h("em", null, token.slice(1, -1)));
    last = match.index + token.length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

export function renderMarkdown(source) {
  const out = [];
  let list = null;
  let paragraph = [];
  const flush = () => {
    if (paragraph.length) out.push(h("p", { dir: "auto" }, inline(paragraph.join(" "))));
    paragraph = [];
  };
  for (const raw of (source || "").split("\n")) {
    const line = raw.trimEnd();
    const heading = line.match(/^(#{1,6})\s+(.*)$/);
    const item = line.match(/^\s*(?:[-*+]|\d+[.)])\s+(.*)$/);
    if (heading) {
      flush();
      list = null;
      out.push(h(`h${Math.min(heading[1].length + 2, 6)}`, { dir: "auto" }, inline(heading[2])));
    } else if (item) {
      flush();
      if (!list) {
        list = h("ul");
        out.push(list);
      }
      list.append(h("li", { dir: "auto" }, inline(item[1])));
    } else if (!line.trim()) {
      flush();
      list = null;
    } else if (list && /^\s+/.test(raw)) {
      list.lastElementChild.append(" ", ...inline(line.trim()));
    } else {
      list = null;
      paragraph.push(line.trim());
    }
  }
  flush();
  return out.length ? out : [h("p", { class: "muted" }, "This project has no guidelines yet.")];
}
