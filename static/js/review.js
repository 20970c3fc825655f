// The review page: start the gold layer, accept or reject items, mark gold adjudicated, send a layer back.
// Every write goes to the REST API with the gold layer's version; the page then reloads, so what is shown
// is always what the server has (the differences are computed there). Keys: j / k move between differing
// items, a accepts the current one, r rejects it.

import { Api } from "./api.js";

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
const state = JSON.parse($("#review-state").textContent);
const api = new Api(state.api, $('meta[name="csrf-token"]').content);
const statusEl = $("[data-review-status]");
const gold = state.gold;
let busy = false;

function say(text, kind = "error") {
  statusEl.hidden = false;
  statusEl.dataset.kind = kind;
  statusEl.textContent = text;
}

async function write(describe, send) {
  if (busy) return;
  busy = true;
  for (const button of $$("[data-action]")) button.disabled = true;
  say(`${describe}…`, "info");
  try {
    await send();
    sessionStorage.setItem("review:focus", current ? current.id : "");
    window.location.reload();
  } catch (error) {
    busy = false;
    for (const button of $$("[data-action]")) button.disabled = false;
    say(error.kind === "conflict"
      ? "The gold layer changed since this page was loaded (another tab or reviewer). Reload to see it."
      : `${describe} failed: ${error.message}`);
  }
}

const actions = {
  "start-gold": (button) => write("Starting the gold layer", () =>
    api.request("POST", `articles/${state.article}/gold/`,
      { body: button.dataset.source ? { source: Number(button.dataset.source) } : {} })),
  accept: (button) => write("Accepting", () =>
    api.request("POST", `annotations/${gold.id}/accept/`,
      { body: { kind: button.dataset.kind, item_id: Number(button.dataset.item) }, version: gold.version })),
  reject: (button) => write("Removing it from gold", () =>
    api.request("DELETE", `annotations/${gold.id}/${button.dataset.kind}s/${button.dataset.item}/`,
      { version: gold.version })),
  adjudicate: () => write("Marking gold adjudicated", () =>
    api.request("POST", `annotations/${gold.id}/adjudicate/`, { body: {}, version: gold.version })),
};

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (button && actions[button.dataset.action]) {
    const row = button.closest("[data-row]");
    if (row) focusRow(row, false);
    actions[button.dataset.action](button);
  }
});

for (const form of $$("[data-return-form]")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const comment = form.elements.comment.value.trim();
    if (!comment) return;
    write("Sending the layer back", () =>
      api.request("POST", `annotations/${form.dataset.layer}/return/`, { body: { comment } }));
  });
}

// Differences only ----------------------------------------------------------------------------------

const onlyDiff = $("[data-only-differences]");
if (onlyDiff) {
  onlyDiff.checked = sessionStorage.getItem("review:only-differences") === "1";
  const apply = () => {
    for (const row of $$("[data-row]")) row.hidden = onlyDiff.checked && row.dataset.differs !== "1";
    sessionStorage.setItem("review:only-differences", onlyDiff.checked ? "1" : "0");
  };
  onlyDiff.addEventListener("change", apply);
  apply();
}

// The current row: from the text, from clicks, and from the keys ---------------------------------------

let current = null;

function focusRow(row, scroll = true) {
  if (current) current.classList.remove("is-current");
  current = row;
  if (!row) return;
  row.classList.add("is-current");
  if (scroll) row.scrollIntoView({ block: "nearest", behavior: "smooth" });
  for (const seg of $$(".seg.is-current")) seg.classList.remove("is-current");
  for (const seg of $$(".seg")) if (seg.dataset.rows.split(" ").includes(row.id)) seg.classList.add("is-current");
}

$("[data-review-text]")?.addEventListener("click", (event) => {
  const seg = event.target.closest(".seg");
  if (!seg) return;
  const ids = seg.dataset.rows.split(" ");
  const rows = ids.map((id) => document.getElementById(id)).filter(Boolean);
  // Several items here: each click moves to the next one.
  const at = rows.indexOf(current);
  focusRow(rows[(at + 1) % rows.length]);
});

$(".items-table")?.addEventListener("click", (event) => {
  const row = event.target.closest("[data-row]");
  if (row && !event.target.closest("button")) focusRow(row);
});

function step(direction) {
  const rows = $$("[data-row]").filter((row) => !row.hidden && row.dataset.differs === "1");
  if (!rows.length) return;
  const at = rows.indexOf(current);
  const next = at < 0 ? (direction > 0 ? 0 : rows.length - 1) : Math.min(Math.max(at + direction, 0), rows.length - 1);
  focusRow(rows[next]);
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.target.closest("input, textarea, select")) return;
  if (event.key === "j") step(1);
  else if (event.key === "k") step(-1);
  else if ((event.key === "a" || event.key === "r") && current) {
    const button = $(`button[data-action="${event.key === "a" ? "accept" : "reject"}"]`, current);
    if (button && !button.disabled) button.click();
  } else return;
  event.preventDefault();
});

const remembered = sessionStorage.getItem("review:focus");
sessionStorage.removeItem("review:focus");
if (remembered && document.getElementById(remembered)) focusRow(document.getElementById(remembered), false);
document.body.dataset.ready = "true";
