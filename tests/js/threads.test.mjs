// The threads panel's rules that need no page (panels/threads.js): what a new thread may be anchored to in
// the workspace (the selected span first, only items the server knows), and a post that failed keeping its
// client_id when sent again unchanged, so the server applies it once.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ThreadsPanel, storeAnchors } from "../../static/js/panels/threads.js";
import { importedLayer, makeStore } from "./fixtures.mjs";

test("the selected span comes first, then its relations and stances the server has ids for; nothing else", () => {
  const store = makeStore(importedLayer());
  const source = store.cidOf("spans", 1);
  const anchors = storeAnchors(store, source);
  assert.deepEqual(anchors[0], { kind: "span", id: 1, label: "Selected span “Hassan Bellouan”", selected: true });
  // r2 (CUE -> QUOTE) does not touch the SOURCE; t1 is held by it, t2 cites it as evidence.
  assert.deepEqual(anchors.slice(1).map((a) => [a.kind, a.id]), [["relation", 1], ["stance", 1], ["stance", 2]]);
  assert.deepEqual(storeAnchors(store, store.cidOf("spans", 2)).map((a) => [a.kind, a.id]),
    [["span", 2], ["relation", 1], ["relation", 2], ["stance", 1]]); // the QUOTE is t1's evidence
  // Nothing selected: only the article (the panel adds it), however many items the layer holds.
  assert.deepEqual(storeAnchors(store, null), []);
  store.ids.delete(store.cidOf("relations", 1)); // not confirmed by the server yet: nothing to anchor to
  assert.deepEqual(storeAnchors(store, source).map((a) => [a.kind, a.id]), [["span", 1], ["stance", 1], ["stance", 2]]);
});

test("a post sent again unchanged after a failure keeps its client_id; edited text is a new post", async () => {
  const errors = [];
  const panel = new ThreadsPanel(null, { api: null, article: 5, layers: [{ id: 7, name: "mine" }],
    onError: (message) => errors.push(message) });
  panel.render = () => {}; // no page here
  const sent = [];
  const failing = async (id) => { sent.push(id); throw new Error("The server could not be reached."); };
  await panel.post("new", "Who is this?", failing);
  await panel.post("new", "Who is this?", failing);
  await panel.post("new", "Who is this, really?", failing);
  assert.equal(sent[0], sent[1]);
  assert.notEqual(sent[1], sent[2]);
  assert.match(errors[0], /^Not sent: /);

  const thread = { id: 3, resolved: false, anchor: { kind: "article", id: 5 }, comments: [] };
  await panel.post("new", "Who is this, really?", async (id) => {
    sent.push(id);
    return { ...thread, comment: 9, unmatched_mentions: ["zed"] };
  });
  assert.equal(sent[3], sent[2]);
  assert.deepEqual(panel.threads, [thread]); // the answer without the request's own fields
  assert.equal(panel.drafts.has("new"), false);
  assert.match(errors.at(-1), /@zed/);
});
