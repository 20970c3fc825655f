// store.js: the layer as the page holds it, the changes (each with its inverse, for undo and
// redo), and what a reload or a re-apply does with them. No network here (see sending.test.mjs).
import assert from "node:assert/strict";
import { test } from "node:test";

import { apiSpan, importedLayer, layer, makeStore, pointsOf, snapshot } from "./fixtures.mjs";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * What Sync.run does with a change's forward or backward ops: apply each op the store can
 * apply (one may refer to an item that is gone). Returns the ops applied (the ones it queues).
 */
function run(store, ops) {
  const applied = [];
  for (const op of ops) {
    if (!store.canApply(op)) continue;
    store.apply(op);
    applied.push(op);
  }
  return applied;
}

/** Sync's history: perform, undo and redo a change. */
function history(store) {
  const done = [];
  const undone = [];
  return {
    perform(change) {
      run(store, change.forward);
      done.push(change);
      undone.length = 0;
      return change;
    },
    undo: () => { const change = done.pop(); run(store, change.backward); undone.push(change); },
    redo: () => { const change = undone.pop(); run(store, change.forward); done.push(change); },
  };
}

test("an added span takes its text by code points; undo removes it, redo brings it back under the same cid", () => {
  const store = makeStore();
  const steps = history(store);
  const before = snapshot(store);
  const [start, end] = pointsOf("said"); // after the emoji: code points, not UTF-16 units
  const change = steps.perform(store.addSpan("CUE", start, end));
  assert.match(change.cid, UUID);
  assert.deepEqual(store.spans.get(change.cid),
    { cid: change.cid, label: "CUE", start, end, fragments: [[start, end]], text: "said", entity: null, attributes: {},
      needs_review: false });
  const added = snapshot(store);
  steps.undo();
  assert.deepEqual(snapshot(store), before);
  steps.redo();
  assert.deepEqual(snapshot(store), added);
});

test("changing a span's bounds, label or attributes is undone exactly, and redone", () => {
  const store = makeStore(importedLayer());
  const steps = history(store);
  const before = snapshot(store);
  steps.perform(store.patchSpan("s1", { end: pointsOf("Hassan")[1] }));
  assert.equal(store.spans.get("s1").text, "Hassan");
  steps.perform(store.patchSpan("s2", { attributes: { quote_type: "direct" } }));
  steps.perform(store.patchSpan("s3", { label: "SOURCE" }));
  const after = snapshot(store);
  steps.undo();
  steps.undo();
  steps.undo();
  assert.deepEqual(snapshot(store), before);
  assert.equal(store.spans.get("s1").text, "Hassan Bellouan");
  steps.redo();
  steps.redo();
  steps.redo();
  assert.deepEqual(snapshot(store), after);
});

test("deleting a span deletes its links and the stances it holds and drops it from evidence, as the server does", () => {
  const store = makeStore(importedLayer());
  store.apply(store.deleteSpan("s1").forward[0]);
  assert.ok(!store.spans.has("s1"));
  assert.deepEqual([...store.relations.keys()], ["r2"]); // r1 pointed at the SOURCE
  assert.deepEqual([...store.stances.keys()], ["t2"]); // t1 was held by it
  assert.deepEqual(store.stances.get("t2").evidence, ["s4"]);
});

test("undoing a span's delete restores its relations, its stances and its place in evidence; redo deletes them again", () => {
  const store = makeStore(importedLayer());
  const steps = history(store);
  const before = snapshot(store);
  const change = steps.perform(store.deleteSpan("s1"));
  assert.deepEqual(change.backward.map((op) => op.op), ["addSpan", "addRelation", "addStance", "patchStance"]);
  const deleted = snapshot(store);
  steps.undo();
  assert.deepEqual(snapshot(store), before); // evidence order included: [s1, s4]
  steps.redo();
  assert.deepEqual(snapshot(store), deleted);
});

test("two deletes undone in turn bring back everything, links between the two spans included", () => {
  const store = makeStore(importedLayer());
  const steps = history(store);
  const before = snapshot(store);
  steps.perform(store.deleteSpan("s1")); // the SOURCE: r1, t1 and its evidence place in t2
  steps.perform(store.deleteSpan("s2")); // the QUOTE: r2 (and r1, already gone)
  assert.equal(store.relations.size, 0);
  steps.undo(); // the QUOTE and r2; r1 cannot come back yet, its SOURCE is still deleted
  assert.deepEqual([...store.relations.keys()], ["r2"]);
  steps.undo();
  assert.deepEqual(snapshot(store), before);
});

test("a stance's add, change and delete are undone and redone", () => {
  const store = makeStore(importedLayer());
  const steps = history(store);
  const before = snapshot(store);
  const add = steps.perform(store.addStance({ holder_span: "s1", holder_entity: null, target: "Western Sahara",
                                              polarity: "oppose", explicit: true, evidence: ["s4"] }));
  steps.perform(store.patchStance(add.cid, { polarity: "support", evidence: ["s4", "s2"] }));
  steps.perform(store.deleteStance("t2"));
  const after = snapshot(store);
  assert.deepEqual(store.stances.get(add.cid).evidence, ["s4", "s2"]);
  steps.undo();
  assert.deepEqual(store.stances.get("t2"), before.stances.t2);
  steps.undo();
  assert.equal(store.stances.get(add.cid).polarity, "oppose");
  assert.deepEqual(store.stances.get(add.cid).evidence, ["s4"]);
  steps.undo();
  assert.deepEqual(snapshot(store), before);
  steps.redo();
  steps.redo();
  steps.redo();
  assert.deepEqual(snapshot(store), after);
});

test("an op that refers to an item no longer there is not applied", () => {
  const store = makeStore(importedLayer());
  const relink = { op: "addRelation", cid: "x", type: "ATTRIBUTED_TO", from: "s2", to: "s1" };
  store.apply(store.deleteSpan("s1").forward[0]);
  assert.equal(store.canApply(relink), false);
  assert.equal(store.canApply({ op: "patchSpan", cid: "s1", changes: { label: "QUOTE" } }), false);
  assert.equal(store.canApply({ op: "patchStance", cid: "t2", changes: { evidence: ["s1"] } }), false);
  assert.equal(store.canApply({ op: "addSpan", cid: "s2" }), false); // already there
  assert.equal(store.canApply({ op: "deleteSpan", cid: "s3" }), true);
});

test("holds: a create stored under its client id, a delete done or a change made is already in the layer", () => {
  const cid = "0b6f5c1e-8a31-4d6a-9c2e-3f1d2a4b5c6d";
  const store = makeStore(layer({ spans: [apiSpan(9, "CUE", "said", { clientId: cid }), apiSpan(4, "SOURCE", "Hassan")],
    stances: [{ id: 1, client_id: null, holder_span: 4, holder_entity: null, target: "T", polarity: "support",
                explicit: true, evidence: [9, 4] }] }));
  assert.ok(store.holds({ op: "addSpan", cid }));
  assert.ok(!store.holds({ op: "addSpan", cid: "1a2b3c4d-0000-4000-8000-000000000000" }));
  assert.ok(store.holds({ op: "deleteSpan", cid: "s77" }));
  assert.ok(!store.holds({ op: "deleteSpan", cid: "s4" }));
  assert.ok(store.holds({ op: "patchSpan", cid, changes: { label: "CUE", entity: null } }));
  assert.ok(!store.holds({ op: "patchSpan", cid, changes: { label: "SOURCE" } }));
  assert.ok(store.holds({ op: "patchStance", cid: "t1", changes: { evidence: ["s4", cid] } })); // order aside
  assert.ok(!store.holds({ op: "patchStance", cid: "t1", changes: { evidence: ["s4"] } }));
  assert.ok(!store.holds({ op: "patchSpan", cid: "s5", changes: { label: "CUE" } })); // not there
});

test("a reload keys items by client id, keeps imported items' cids and the server ids this page knew", () => {
  const store = makeStore(importedLayer());
  const made = store.addSpan("CUE", ...pointsOf("embodied"));
  store.apply(made.forward[0]);
  store.stamp(made.forward[0]);
  // The create's reply was lost; the server stored it as span 20, and a reload brings it back.
  const reloaded = importedLayer();
  reloaded.spans.push(apiSpan(20, "CUE", "embodied", { clientId: made.cid }));
  reloaded.version = 4;
  store.load(reloaded);
  assert.equal(store.version, 4);
  assert.deepEqual([...store.spans.keys()], ["s1", "s2", "s3", "s4", made.cid]);
  assert.equal(store.ids.get(made.cid), 20);
  assert.equal(store.ids.get("s1"), 1);
  assert.equal(store.cidOf("spans", 20), made.cid);
  assert.equal(store.cidOf("spans", 99), "s99");
  assert.deepEqual(store.stances.get("t2").evidence, ["s1", "s4"]);
});

test("stamp: a create keeps its client id for every send; a re-created imported item gets a fresh UUID", () => {
  const store = makeStore(importedLayer());
  const made = store.addSpan("CUE", ...pointsOf("embodied")).forward[0];
  assert.equal(store.stamp(made).client_id, made.cid);

  const steps = history(store);
  const deleted = steps.perform(store.deleteSpan("s1"));
  steps.undo();
  const recreate = deleted.backward[0];
  assert.equal(recreate.cid, "s1");
  store.stamp(recreate);
  const clientId = recreate.client_id;
  assert.match(clientId, UUID);
  store.stamp(recreate); // a retry or a re-apply stamps it again: the same id
  assert.equal(recreate.client_id, clientId);
  assert.ok(!store.stamp({ op: "patchSpan", cid: "s2", changes: {} }).client_id);

  // The server stored the re-created span as 40 under that client id: the page still calls it s1.
  const reloaded = importedLayer();
  reloaded.spans[0] = { ...reloaded.spans[0], id: 40, client_id: clientId };
  reloaded.relations[0].to_span = 40;
  store.load(reloaded);
  assert.ok(store.spans.has("s1"));
  assert.equal(store.ids.get("s1"), 40);
  assert.equal(store.relations.get("r1").to, "s1");
});
