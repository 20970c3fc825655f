// sending.js: an op as the API call it stands for. Creates carry their client_id; the server
// ids they get are recorded, and what refers to an item is sent with its server id.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { Api, ApiError, WriteQueue } from "../../static/js/api.js";
import { sendOp } from "../../static/js/sending.js";
import { fakeApi, fakeClock, importedLayer, makeStore, pointsOf, until } from "./fixtures.mjs";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("a create sends its client_id with the layer version and records the server id", async () => {
  const store = makeStore(importedLayer());
  const api = fakeApi(() => ({ id: 21, annotation_version: 4 }));
  const op = store.stamp(store.addSpan("CUE", ...pointsOf("embodied")).forward[0]);
  const answer = await sendOp(api, store, op, 3);
  const [start, end] = pointsOf("embodied");
  assert.deepEqual(api.requests, [{ method: "POST", path: "annotations/7/spans/", version: 3,
    body: { client_id: op.cid, label: "CUE", start, end, text: "embodied", entity: null, attributes: {} } }]);
  assert.equal(store.ids.get(op.cid), 21);
  assert.equal(answer.annotation_version, 4);
});

test("links, stances and changes name spans by the server ids recorded for them", async () => {
  const store = makeStore(importedLayer());
  const api = fakeApi((method) => (method === "POST" ? { id: 21 } : {}));
  const cue = store.stamp(store.addSpan("CUE", ...pointsOf("embodied")).forward[0]);
  await sendOp(api, store, cue, 3);
  const link = store.stamp(store.addRelation("CUE_OF", cue.cid, "s2").forward[0]);
  await sendOp(api, store, link, 4);
  const stance = store.stamp(store.addStance({ holder_span: "s1", holder_entity: null, target: "T",
                                               polarity: "oppose", evidence: ["s4", cue.cid] }).forward[0]);
  await sendOp(api, store, stance, 5);
  await sendOp(api, store, store.patchStance("t2", { holder_span: "s3", evidence: [cue.cid] }).forward[0], 6);
  await sendOp(api, store, store.patchSpan("s3", { label: "SOURCE" }).forward[0], 7);
  assert.deepEqual(api.requests.slice(1).map(({ method, path, body, version }) => [method, path, body, version]), [
    ["POST", "annotations/7/relations/", { client_id: link.cid, type: "CUE_OF", from_span: 21, to_span: 2 }, 4],
    ["POST", "annotations/7/stances/", { client_id: stance.cid, holder_span: 1, holder_entity: null, target: "T",
                                         polarity: "oppose", explicit: true, evidence: [4, 21] }, 5],
    ["PATCH", "annotations/7/stances/2/", { holder_span: 3, evidence: [21] }, 6],
    ["PATCH", "annotations/7/spans/3/", { label: "SOURCE" }, 7],
  ]);
});

test("a delete is sent by server id, and the id is forgotten once the server answered", async () => {
  const store = makeStore(importedLayer());
  const api = fakeApi(() => ({ annotation_version: 4 }));
  for (const [op, cid] of [["deleteRelation", "r2"], ["deleteStance", "t1"], ["deleteSpan", "s1"]]) {
    await sendOp(api, store, { op, cid }, 3);
    assert.ok(!store.ids.has(cid), cid);
  }
  assert.deepEqual(api.requests.map(({ method, path }) => `${method} ${path}`),
    ["DELETE annotations/7/relations/2/", "DELETE annotations/7/stances/1/", "DELETE annotations/7/spans/1/"]);
});

test("an op naming an item whose own create was not confirmed is not sent", async () => {
  const store = makeStore(importedLayer());
  const api = fakeApi();
  const cue = store.addSpan("CUE", ...pointsOf("embodied")).forward[0]; // never answered
  const link = store.stamp(store.addRelation("CUE_OF", cue.cid, "s2").forward[0]);
  await assert.rejects(sendOp(api, store, link, 3), /an item whose own change was not saved/);
  assert.deepEqual(api.requests, []);
  assert.ok(!store.ids.has(link.cid));
});

test("a create whose first answer failed records nothing, and is sent again with the same client_id", async () => {
  const store = makeStore(importedLayer());
  let fail = true;
  const api = fakeApi(() => {
    if (fail) throw new ApiError("network", 0, null, "The server could not be reached.");
    return { id: 21, annotation_version: 4 };
  });
  const op = store.stamp(store.addSpan("CUE", ...pointsOf("embodied")).forward[0]);
  await assert.rejects(sendOp(api, store, op, 3), ApiError);
  assert.ok(!store.ids.has(op.cid));
  fail = false;
  await sendOp(api, store, op, 3);
  assert.deepEqual(api.requests.map((r) => r.body.client_id), [op.cid, op.cid]);
  assert.equal(store.ids.get(op.cid), 21);
});

// Through the queue and the real Api (fetch faked) -----------------------------------------

const realFetch = globalThis.fetch;
afterEach(() => { globalThis.fetch = realFetch; });

/** fetch answering from `respond(method, path, body)`: a Response, or a thrown network error. */
function serve(respond) {
  const calls = [];
  globalThis.fetch = async (url, init) => {
    const call = { method: init.method, path: url.replace("/api/v1/annotations/7/", ""),
                   body: init.body && JSON.parse(init.body), version: init.headers["If-Match"] };
    calls.push(call);
    return respond(call);
  };
  return calls;
}

const json = (status, body, headers = {}) => new Response(JSON.stringify(body), {
  status, headers: { "Content-Type": "application/json", ...headers } });

function saving(store) {
  const clock = fakeClock();
  const rejected = [];
  const queue = new WriteQueue({
    getVersion: () => store.version,
    setVersion: (version) => { store.version = version; },
    onState: () => {},
    onRejected: (job, error) => rejected.push(error),
    onConflict: () => assert.fail("no conflict here"),
    timers: clock,
  });
  const api = new Api("/api/v1/", "token");
  const enqueue = (op) => {
    store.stamp(op);
    queue.push({ op, send: (version) => sendOp(api, store, op, version) });
  };
  return { queue, clock, enqueue, rejected };
}

test("a reply lost after the server stored the create: the retry's replayed 200 counts as saved", async () => {
  const store = makeStore(importedLayer());
  const { queue, clock, enqueue, rejected } = saving(store);
  let lost = true;
  const calls = serve(({ body }) => {
    if (lost) {
      lost = false; // stored, then the connection dropped
      throw new TypeError("Failed to fetch");
    }
    return json(200, { id: 30, client_id: body.client_id, annotation_version: 4 }, { "Idempotent-Replayed": "true" });
  });
  const op = store.addSpan("CUE", ...pointsOf("embodied")).forward[0];
  store.apply(op);
  enqueue(op);
  await until(() => clock.pending);
  clock.fire();
  await until(() => !queue.pending);
  assert.equal(calls.length, 2);
  assert.deepEqual(calls.map((c) => [c.body.client_id, c.version]), [[op.cid, '"3"'], [op.cid, '"3"']]);
  assert.equal(store.ids.get(op.cid), 30);
  assert.equal(store.version, 4);
  assert.deepEqual(rejected, []);
});

test("undoing the delete of an imported span re-creates it with a fresh UUID, kept for its retries", async () => {
  const store = makeStore(importedLayer());
  const { queue, clock, enqueue, rejected } = saving(store);
  let version = 3;
  let spanTries = 0;
  const calls = serve(({ method, path }) => {
    if (method === "POST" && path === "spans/" && spanTries++ === 0) return json(503, { detail: "Try again." });
    const id = { "spans/": 40, "relations/": 41, "stances/": 42 }[path];
    return json(method === "POST" ? 201 : 200, { ...(id && { id }), annotation_version: ++version });
  });
  const deleted = store.deleteSpan("s1");
  for (const op of deleted.forward) { store.apply(op); enqueue(op); }
  await until(() => !queue.pending);
  assert.ok(!store.ids.has("s1"));
  for (const op of deleted.backward) { // undo: the span, its relation, its stance, its evidence place
    if (!store.canApply(op)) continue;
    store.apply(op);
    enqueue(op);
  }
  await until(() => clock.pending);
  clock.fire(); // the span's create is retried after a 503
  await until(() => !queue.pending);
  assert.deepEqual(rejected, []);
  const sent = calls.map(({ method, path, body, version: v }) => [method, path, body, v]);
  const [spanFirst, spanRetry, relation, stance, evidence] = sent.slice(1);
  assert.deepEqual(sent[0], ["DELETE", "spans/1/", undefined, '"3"']);
  assert.equal(spanFirst[2].client_id, spanRetry[2].client_id, "the retry sent another client_id");
  assert.match(spanFirst[2].client_id, UUID);
  assert.deepEqual([spanRetry[0], spanRetry[1], spanRetry[3]], ["POST", "spans/", '"4"']);
  assert.equal(store.ids.get("s1"), 40);
  assert.deepEqual([relation[1], relation[2].from_span, relation[2].to_span], ["relations/", 2, 40]);
  assert.match(relation[2].client_id, UUID);
  assert.deepEqual([stance[1], stance[2].holder_span, stance[2].evidence], ["stances/", 40, [2]]);
  assert.deepEqual([evidence[0], evidence[1], evidence[2]], ["PATCH", "stances/2/", { evidence: [40, 4] }]);
  assert.deepEqual(sent.map((s) => s[3]), ['"3"', '"4"', '"4"', '"5"', '"6"', '"7"']);
  assert.equal(store.version, 8);
});
