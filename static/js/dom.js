// Building DOM without HTML strings: every piece of text goes in as a text
// node (or textContent), so titles, article texts, labels, entity names and
// guidelines can never inject markup. Nothing in static/js uses innerHTML.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
    else if (key === "style") for (const [k, v] of Object.entries(value)) el.style.setProperty(k, v);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A short quotation of a span's text for lists and messages. */
export function quote(text, max = 60) {
  const flat = text.replace(/\s+/g, " ").trim();
  const chars = Array.from(flat);
  return `“${chars.length > max ? chars.slice(0, max - 1).join("") + "…" : flat}”`;
}

/** A coloured chip naming a label. */
export function labelChip(name, color) {
  return h("span", { class: "chip", style: { "--c": color || "#999" } }, name);
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
