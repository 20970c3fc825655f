// backups.js: per-tab backups of unsaved changes. Tabs are simulated with one shared
// localStorage and Web Locks, and a sessionStorage each (a duplicated tab gets a copy).
import assert from "node:assert/strict";
import { test } from "node:test";

import { Backups } from "../../static/js/backups.js";
import { FakeLocks, FakeStorage, apiSpan, importedLayer, makeStore, pointsOf } from "./fixtures.mjs";

const LAYER = 7;
const key = (tab) => `annotate:unsaved:${LAYER}:${tab}`;
const lock = (tab) => `annotate:tab:${tab}`;

/** A browser: localStorage and Web Locks shared by its tabs, tab ids "tab-1", "tab-2", … */
function browser({ locks = new FakeLocks() } = {}) {
  let n = 0;
  const local = new FakeStorage();
  return {
    local,
    locks,
    /** Open the layer in a tab (a new one, or one with this sessionStorage: a reload, a duplicate). */
    async open(session = new FakeStorage()) {
      const backups = new Backups(LAYER, { env: { local, session, locks }, newId: () => `tab-${++n}`, lockWait: 20 });
      await backups.open();
      return Object.assign(backups, { session });
    },
  };
}

const addOp = (cid, fragment = "said") => {
  const [start, end] = pointsOf(fragment);
  return { op: "addSpan", cid, client_id: cid, label: "CUE", start, end, text: fragment, entity: null, attributes: {} };
};
const U1 = "11111111-1111-4111-8111-111111111111";
const U2 = "22222222-2222-4222-8222-222222222222";

test("each tab has its own backup key, and one tab's success never clears another's backup", async () => {
  const b = browser();
  const first = await b.open();
  const second = await b.open();
  assert.deepEqual([first.key, second.key], [key("tab-1"), key("tab-2")]);
  first.save([addOp(U1)], new Map([["s1", 1]]));
  second.save([addOp(U2)], new Map());
  second.save([], new Map()); // the second tab's changes are all saved
  assert.equal(b.local.getItem(key("tab-2")), null);
  assert.deepEqual(JSON.parse(b.local.getItem(key("tab-1"))), { ops: [addOp(U1)], ids: [] });
});

test("a backup keeps only the server ids of the cids its ops name, not the layer's", async () => {
  const b = browser();
  const tab = await b.open();
  const layerIds = new Map(Array.from({ length: 3000 }, (_, i) => [`s${i}`, i]));
  tab.save([
    { op: "patchSpan", cid: "s5", changes: { label: "QUOTE" } },
    { op: "addRelation", cid: U1, client_id: U1, type: "ATTRIBUTED_TO", from: "s7", to: "s5" },
    { op: "patchStance", cid: "t1", changes: { holder_span: "s9", evidence: ["s11", U2] } },
  ], layerIds);
  const saved = JSON.parse(b.local.getItem(key("tab-1")));
  assert.deepEqual(saved.ids, [["s5", 5], ["s7", 7], ["s9", 9], ["s11", 11]]);
});

test("nothing is written before the tab's id is settled", () => {
  const local = new FakeStorage();
  const backups = new Backups(LAYER, { env: { local, session: new FakeStorage(), locks: new FakeLocks() } });
  backups.save([addOp(U1)], new Map());
  assert.equal(local.length, 0);
});

test("a reload of the tab keeps its id and offers its own backup", async () => {
  const b = browser();
  const tab = await b.open();
  tab.save([addOp(U1)], new Map());
  setTimeout(() => b.locks.release(lock("tab-1")), 5); // the old page goes while the new one waits
  const reloaded = await b.open(tab.session);
  assert.equal(reloaded.key, tab.key);
  const { ops, adopted } = reloaded.collect(makeStore(importedLayer()));
  assert.deepEqual(ops, [addOp(U1)]);
  assert.deepEqual(adopted, []);
});

test("another open tab's backup is neither offered nor adopted", async () => {
  const b = browser();
  const other = await b.open();
  other.save([addOp(U1)], new Map());
  const tab = await b.open();
  assert.deepEqual(tab.collect(makeStore(importedLayer())), { ops: [], adopted: [] });
  assert.deepEqual([...tab.alive].sort(), ["tab-1", "tab-2"]);
});

test("a closed tab's backup is offered and adopted; removing it leaves the others", async () => {
  const b = browser();
  const closed = await b.open();
  closed.save([addOp(U1)], new Map());
  const open = await b.open();
  open.save([addOp(U2, "embodied")], new Map());
  b.locks.release(lock("tab-1")); // the first tab was closed
  const tab = await b.open();
  const { ops, adopted } = tab.collect(makeStore(importedLayer()));
  assert.deepEqual(ops, [addOp(U1)]);
  assert.deepEqual(adopted, [key("tab-1")]);
  tab.save(ops, new Map()); // as Sync does: its own key holds them first
  tab.remove(adopted);
  assert.deepEqual([...b.local.map.keys()].sort(), [key("tab-2"), key("tab-3")]);
});

test("a duplicated tab takes a new id and leaves its original's backup alone", async () => {
  const b = browser();
  const original = await b.open();
  original.save([addOp(U1)], new Map());
  const duplicate = await b.open(original.session.copy()); // sessionStorage copied, id included
  assert.equal(duplicate.tab, "tab-2");
  assert.equal(duplicate.session.getItem("annotate:tab"), "tab-2");
  assert.equal(original.session.getItem("annotate:tab"), "tab-1");
  assert.deepEqual(duplicate.collect(makeStore(importedLayer())), { ops: [], adopted: [] });
});

test("the previous version's single backup is offered and adopted", async () => {
  const b = browser();
  b.local.setItem(`annotate:unsaved:${LAYER}`, JSON.stringify({ ops: [addOp(U1)], ids: [] }));
  b.local.setItem("annotate:unsaved:8", JSON.stringify({ ops: [addOp(U2)], ids: [] })); // another layer
  b.local.setItem("annotate:unsaved:70:tab-9", JSON.stringify({ ops: [addOp(U2)], ids: [] })); // and another
  const tab = await b.open();
  const { ops, adopted } = tab.collect(makeStore(importedLayer()));
  assert.deepEqual(ops, [addOp(U1)]);
  assert.deepEqual(adopted, [`annotate:unsaved:${LAYER}`]);
});

test("without Web Locks every other tab's backup is offered, and adopted only once the server holds all of it", async () => {
  const b = browser({ locks: null });
  const other = await b.open();
  const spent = await b.open();
  const tab = await b.open();
  assert.equal(tab.alive, null);
  other.save([addOp(U1)], new Map());
  spent.save([addOp(U2)], new Map());
  const layer = importedLayer();
  layer.spans.push(apiSpan(30, "CUE", "said", { clientId: U2 })); // the server has U2's create
  const { ops, adopted } = tab.collect(makeStore(layer));
  assert.deepEqual(ops.map((op) => op.cid), [U1, U2]);
  assert.deepEqual(adopted, [key("tab-2")]);
});

test("without Web Locks a reload still keeps the tab's id", async () => {
  const b = browser({ locks: null });
  const tab = await b.open();
  tab.save([addOp(U1)], new Map());
  const reloaded = await b.open(tab.session);
  assert.equal(reloaded.key, tab.key);
  assert.deepEqual(reloaded.collect(makeStore(importedLayer())), { ops: [addOp(U1)], adopted: [] });
});

test("a backup's ops are renamed to this page's cids", async () => {
  const b = browser();
  const closed = await b.open();
  // The earlier page re-created the imported span s1 (client id U1), the server stored it as 40,
  // then a link to it and a change to it waited. Its ids: s1 -> 40, s2 -> 2.
  closed.save([
    { op: "patchSpan", cid: "s1", changes: { label: "QUOTE" } },
    { op: "addRelation", cid: U2, client_id: U2, type: "ATTRIBUTED_TO", from: "s2", to: "s1" },
  ], new Map([["s1", 40], ["s2", 2]]));
  b.locks.release(lock("tab-1"));
  const layer = importedLayer();
  layer.spans[0] = { ...layer.spans[0], id: 40, client_id: U1 }; // this page knows span 40 by U1
  const tab = await b.open();
  const { ops } = tab.collect(makeStore(layer));
  assert.deepEqual(ops, [
    { op: "patchSpan", cid: U1, changes: { label: "QUOTE" } },
    { op: "addRelation", cid: U2, client_id: U2, type: "ATTRIBUTED_TO", from: "s2", to: U1 },
  ]);
});

test("a re-create in a backup is known by its client id from its create on", async () => {
  const b = browser();
  const closed = await b.open();
  closed.save([
    { ...addOp("s1", "Hassan Bellouan"), client_id: U1, label: "SOURCE" }, // its reply never came
    { op: "addRelation", cid: U2, client_id: U2, type: "ATTRIBUTED_TO", from: "s2", to: "s1" },
  ], new Map([["s2", 2]]));
  b.locks.release(lock("tab-1"));
  const tab = await b.open();
  const { ops } = tab.collect(makeStore(importedLayer()));
  assert.deepEqual(ops.map((op) => [op.cid, op.to]), [[U1, undefined], [U2, U1]]);
});

test("a backup that is not JSON offers nothing and is adopted (so removed)", async () => {
  const b = browser();
  b.local.setItem(key("gone"), "{not json");
  const tab = await b.open();
  assert.deepEqual(tab.collect(makeStore(importedLayer())), { ops: [], adopted: [key("gone")] });
});

test("with storage disabled the tab still gets an id, and saving does not throw", async () => {
  const refuse = () => { throw new Error("SecurityError"); };
  const disabled = { getItem: refuse, setItem: refuse, removeItem: refuse };
  const backups = new Backups(LAYER, { env: { local: disabled, session: disabled, locks: new FakeLocks() },
                                       newId: () => "fresh", lockWait: 20 });
  await backups.open();
  assert.equal(backups.key, key("fresh"));
  backups.save([addOp(U1)], new Map());
  backups.save([], new Map());
});

test("with locks refused (a sandboxed frame) the tab gets an id and behaves as without Web Locks", async () => {
  const refused = { request: async () => { throw new Error("SecurityError"); },
                    query: async () => { throw new Error("SecurityError"); } };
  const b = browser({ locks: refused });
  const tab = await b.open();
  assert.equal(tab.key, key("tab-1"));
  assert.equal(tab.alive, null);
});
