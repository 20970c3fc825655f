// Discussion threads on the article and on a layer's items (docs/ui.md, "Threads"). Used by the workspace
// (the annotator's own layer, or gold) and by the review page (every layer it shows). Talks to the API only:
// GET/POST articles/<id>/threads/, POST threads/<id>/comments/, PATCH threads/<id>/ {resolved}.
//
// Threads are discussion, not annotation: nothing here goes through the layer's write queue or its version.
// A post carries a client_id kept until it succeeds, so pressing Send again after a network failure
// applies once (the server answers the first thread or comment, 200 + Idempotent-Replayed).

import { h, fill, quote } from "../dom.js";

const uuid = () => (crypto.randomUUID ? crypto.randomUUID()
  : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
    (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)));

const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

/**
 * root: the panel's element. options:
 *  - api: an Api (api.js); article: the article's id;
 *  - layers: [{id, name}] the layers one may start a thread on (the first is the default);
 *  - anchors(): [{kind, id, label}] the items one may anchor a new thread to now (besides the article);
 *  - onShow(thread): called when a thread's anchor is clicked (the workspace selects the span);
 *  - onCount(n): the number of open threads, after every load;
 *  - onError(message).
 */
export class ThreadsPanel {
  constructor(root, { api, article, layers, anchors = () => [], onShow = () => {}, onCount = () => {},
    onError = () => {} }) {
    Object.assign(this, { root, api, article, layers, anchors, onShow, onCount, onError });
    this.threads = [];
    this.showResolved = false;
    this.drafts = new Map(); // "new" or a thread id -> {body, client_id}: kept until the post succeeds
  }

  async load() {
    try {
      this.threads = await this.api.request("GET", `articles/${this.article}/threads/`);
    } catch (error) {
      this.onError(`Threads could not be loaded: ${error.message}`);
    }
    this.render();
  }

  /** Threads (open ones) anchored to one item: the inspector's and the markers' question. */
  openOn(kind, id) {
    return this.threads.filter((t) => !t.resolved && t.anchor.kind === kind && t.anchor.id === id);
  }

  /** What is typed but not sent survives a re-render (the workspace re-renders its panels on every change). */
  keepDrafts() {
    const typed = (key, el) => {
      if (!el) return;
      const draft = this.drafts.get(key);
      if (el.value) this.drafts.set(key, { body: el.value, client_id: draft?.body === el.value ? draft.client_id : null });
      else this.drafts.delete(key);
    };
    typed("new", this.root.querySelector("[data-thread-body]"));
    for (const el of this.root.querySelectorAll("[data-thread] [data-thread-reply]")) {
      typed(Number(el.closest("[data-thread]").dataset.thread), el);
    }
  }

  render() {
    this.keepDrafts();
    const open = this.threads.filter((t) => !t.resolved);
    this.onCount(open.length);
    const shown = this.showResolved ? this.threads : open;
    const resolvedCount = this.threads.length - open.length;
    fill(this.root,
      this.renderNew(),
      shown.length ? h("ol", { class: "threads", "data-threads": "" }, shown.map((t) => this.renderThread(t)))
        : h("p", { class: "muted small", "data-no-threads": "" }, "No open threads."),
      resolvedCount ? h("label", { class: "small" },
        h("input", { type: "checkbox", checked: this.showResolved, "data-show-resolved": "",
          onchange: (e) => { this.showResolved = e.target.checked; this.render(); } }),
        ` Show ${resolvedCount} resolved`) : null);
  }

  renderNew() {
    const anchors = [{ kind: "article", id: this.article, label: "The article" }, ...this.anchors()];
    // The selected item's threads stand out (the panel's marker: the text's rendering is render.js's).
    this.current = anchors.length > 1 && anchors[1].selected ? anchors[1] : null;
    const draft = this.drafts.get("new") || {};
    const anchorSelect = h("select", { name: "anchor", "data-thread-anchor": "", "aria-label": "About" },
      anchors.map((a, i) => h("option", { value: String(i) }, a.label)));
    if (anchors.length > 1) anchorSelect.value = "1"; // the selected item, when there is one, comes first
    const layerSelect = this.layers.length > 1
      ? h("select", { name: "layer", "data-thread-layer": "", "aria-label": "Layer" },
        this.layers.map((l) => h("option", { value: String(l.id) }, l.name)))
      : null;
    const body = h("textarea", { name: "body", rows: 2, maxlength: 10000, required: true, dir: "auto",
      placeholder: "Start a thread… @name mentions a member", "data-thread-body": "" });
    body.value = draft.body || "";
    const form = h("form", { class: "thread-new", "data-thread-new": "", onsubmit: async (event) => {
      event.preventDefault();
      const anchor = anchors[Number(anchorSelect.value)];
      const layer = layerSelect ? Number(layerSelect.value) : this.layers[0]?.id;
      await this.post("new", body.value, (client_id) => this.api.request("POST", `articles/${this.article}/threads/`, {
        body: { annotation: layer, anchor: { kind: anchor.kind, id: anchor.id }, body: body.value, client_id } }));
    } }, h("div", { class: "thread-new-row" }, anchorSelect, layerSelect), body,
    h("button", { type: "submit", class: "btn btn-small", "data-thread-start": "" }, "Start thread"));
    return form;
  }

  renderThread(thread) {
    const anchor = thread.anchor;
    const about = anchor.kind === "article" ? "The article" : `${anchor.kind} ${anchor.text}`;
    const layer = this.layers.length > 1 ? this.layers.find((l) => l.id === thread.annotation) : null;
    const reply = h("textarea", { rows: 1, maxlength: 10000, required: true, dir: "auto", placeholder: "Reply…",
      "data-thread-reply": "" });
    reply.value = this.drafts.get(thread.id)?.body || "";
    const current = this.current && this.current.kind === anchor.kind && this.current.id === anchor.id;
    return h("li", { class: `thread${thread.resolved ? " is-resolved" : ""}${current ? " is-current" : ""}`, dataset: { thread: thread.id,
      anchorKind: anchor.kind, anchorId: anchor.id } },
    h("div", { class: "thread-head" },
      h("button", { type: "button", class: "link thread-anchor", disabled: anchor.gone || anchor.kind === "article",
        title: anchor.gone ? "This item has been deleted since the thread was opened." : "Show it",
        onclick: () => this.onShow(thread) }, anchor.gone ? h("s", null, about) : about),
      anchor.gone ? h("span", { class: "badge", "data-anchor-gone": "" }, "gone") : null,
      layer ? h("span", { class: "small muted" }, ` · ${layer.name}`) : null,
      h("button", { type: "button", class: "btn btn-small", "data-thread-toggle": "",
        onclick: () => this.setResolved(thread, !thread.resolved) }, thread.resolved ? "Reopen" : "Resolve")),
    h("ol", { class: "comments" }, thread.comments.map((c) => h("li", { class: "comment", dataset: { comment: c.id } },
      h("div", { class: "small muted" }, h("strong", null, c.author), ` · ${when(c.created_at)}`),
      h("p", { dir: "auto", class: "comment-body" }, c.body)))),
    thread.resolved ? h("p", { class: "small muted" }, `Resolved by ${thread.resolved_by}`) : null,
    h("form", { class: "thread-reply", onsubmit: async (event) => {
      event.preventDefault();
      await this.post(thread.id, reply.value, (client_id) => this.api.request("POST",
        `threads/${thread.id}/comments/`, { body: { body: reply.value, client_id } }));
    } }, reply, h("button", { type: "submit", class: "btn btn-small", "data-thread-send": "" }, "Reply")));
  }

  async post(key, body, send) {
    const draft = this.drafts.get(key);
    // The same text again (a retry after a failure) keeps its client_id; edited text is a new post.
    const client_id = draft && draft.body === body && draft.client_id ? draft.client_id : uuid();
    this.drafts.set(key, { body, client_id });
    let answer;
    try {
      answer = await send(client_id);
    } catch (error) {
      this.onError(`Not sent: ${error.message}`);
      return;
    }
    this.drafts.delete(key);
    const at = this.threads.findIndex((t) => t.id === answer.id);
    const { unmatched_mentions: unmatched, comment, ...thread } = answer;
    if (at >= 0) this.threads[at] = thread;
    else this.threads.push(thread);
    if (unmatched?.length) {
      this.onError(`Not mentioned (no member of that name may see this layer): ${unmatched.map((n) => "@" + n).join(", ")}`);
    }
    this.render();
  }

  async setResolved(thread, resolved) {
    try {
      const answer = await this.api.request("PATCH", `threads/${thread.id}/`, { body: { resolved } });
      this.threads[this.threads.findIndex((t) => t.id === thread.id)] = answer;
    } catch (error) {
      this.onError(`Not changed: ${error.message}`);
      return;
    }
    this.render();
  }
}

/**
 * The anchors of a workspace store: the selected span first, then its relations and the stances it holds
 * or is evidence of. Not every item of the layer: a long article has thousands of relations and stances,
 * an "About" list of them all is unusable and rebuilding it on every change and selection was most of a
 * change's time (bench/README.md, ui_bench). A relation or stance is discussed by selecting one of its spans.
 */
export function storeAnchors(store, selected) {
  const anchors = [];
  if (!selected || !store.spans.has(selected)) return anchors;
  const text = (cid) => quote(store.spans.get(cid)?.text || "", 30);
  if (store.ids.has(selected)) {
    anchors.push({ kind: "span", id: store.ids.get(selected), label: `Selected span ${text(selected)}`, selected: true });
  }
  for (const r of store.relationsOf(selected)) {
    if (store.ids.has(r.cid)) anchors.push({ kind: "relation", id: store.ids.get(r.cid), label: `Relation ${text(r.from)} ${r.type} ${text(r.to)}` });
  }
  for (const [cid, s] of store.stances) {
    if ((s.holder_span === selected || s.evidence.includes(selected)) && store.ids.has(cid)) {
      anchors.push({ kind: "stance", id: store.ids.get(cid), label: `Stance ${s.polarity} ${s.target}` });
    }
  }
  return anchors;
}
