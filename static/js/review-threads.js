// The review page's threads (panels/threads.js): every layer the page shows, replies, resolve and reopen;
// new threads on the article, in the layer the reviewer picks.

import { Api } from "./api.js";
import { h } from "./dom.js";
import { ThreadsPanel } from "./panels/threads.js";

const root = document.querySelector("[data-threads-panel]");
const state = JSON.parse(document.querySelector("#review-state").textContent);
const api = new Api(state.api, document.querySelector('meta[name="csrf-token"]').content);

function say(message) {
  root.prepend(h("p", { class: "small error", role: "alert", "data-threads-error": "" }, message));
}

if (root && state.thread_layers.length) {
  const panel = new ThreadsPanel(root, { api, article: state.article, layers: state.thread_layers, onError: say });
  await panel.load();
  root.dataset.ready = "true";
} else if (root) {
  root.append(h("p", { class: "muted small" }, "No layer to discuss yet."));
}
