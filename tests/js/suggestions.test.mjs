// suggestions.js and accepting.js: the recommenders' suggestions as the workspace holds them. Tab's
// order, the ghosts' nesting and their offsets in the DOM's units, and what accepting and rejecting
// do to the suggestions and to the layer (the store, the op sent, undo, a reload, a retried answer).
import assert from "node:assert/strict";
import { test } from "node:test";

import { WriteQueue } from "../../static/js/api.js";
import { sendOp } from "../../static/js/sending.js";
import { Suggestions, acceptChange, ghostPieces, levels, recommenderMessage, step } from "../../static/js/suggestions.js";
import { TEXT, apiSpan, fakeApi, fakeClock, importedLayer, layer, makeStore, pointsOf, until } from "./fixtures.mjs";

/** A suggested span as GET articles/<id>/suggestions/ lists it. */
function suggested(id, label, fragment, { score = 0.9, recommender = "attribution" } = {}) {
  const [start, end] = pointsOf(fragment);
  return { id, label, start, end, text: fragment, score, recommender, version: "1", entity: null, attributes: {},
           key: `span|${label}|${start}|${end}` };
}

function answer({ spans = [], relations = [], stances = [], ends = {} } = {}) {
  return { spans, relations, stances, ends };
}

function loaded(items) {
  const suggestions = new Suggestions();
  suggestions.load(answer(items));
  return suggestions;
}

/** What Sync does with a change: apply each op the store can apply. */
function run(store, ops) {
  for (const op of ops) if (store.canApply(op)) store.apply(op);
}

const QUOTE = "“this position is embodied by the institutions”";

test("Tab goes through the ghosts in text order, outer before inner, and wraps; Shift+Tab goes back", () => {
  const store = makeStore();
  const suggestions = loaded({ spans: [
    suggested(3, "CUE", "said"),
    suggested(1, "QUOTE", QUOTE),
    suggested(2, "STANCE_EVIDENCE", "institutions"),
    suggested(4, "SOURCE", "Hassan Bellouan"),
  ] });
  const ordered = suggestions.visible(store);
  assert.deepEqual(ordered.map((s) => s.id), [4, 3, 1, 2]);
  const tabs = [];
  let current = null;
  for (let i = 0; i < 5; i++) tabs.push((current = step(ordered, current, 1)).id);
  assert.deepEqual(tabs, [4, 3, 1, 2, 4]);
  assert.equal(step(ordered, null, -1).id, 2);
  assert.equal(step(ordered, ordered[0], -1).id, 2);
  // The current one was accepted: the next Tab goes on from where it was.
  const gone = ordered[1];
  assert.equal(step(ordered.filter((s) => s !== gone), gone, 1).id, 1);
  assert.equal(step(ordered.filter((s) => s !== gone), gone, -1).id, 4);
  assert.equal(step([], null, 1), null);
});

test("a ghost the layer holds already (same label and offsets) is not shown; counts go by label", () => {
  const store = makeStore(layer({ spans: [apiSpan(1, "QUOTE", QUOTE)] }));
  const suggestions = loaded({ spans: [suggested(1, "QUOTE", QUOTE), suggested(2, "SOURCE", "Hassan Bellouan"),
                                       suggested(3, "CUE", "said"), suggested(4, "SOURCE", "Bellouan")] });
  assert.deepEqual(suggestions.visible(store).map((s) => s.id), [2, 4, 3]);
  assert.deepEqual([...suggestions.counts(store)], [["SOURCE", 2], ["CUE", 1]]);
});

test("overlapping ghosts never share a nesting level; an inner one sits inside its outer ones", () => {
  const spans = [suggested(1, "QUOTE", QUOTE), suggested(2, "STANCE_EVIDENCE", "institutions"),
                 suggested(3, "CLAIM", "position is embodied"), suggested(4, "SOURCE", "Hassan")];
  const level = levels(spans);
  assert.equal(level.get(2), 0);
  assert.equal(level.get(3), 0); // apart from 2: both inside 1
  assert.equal(level.get(1), 1);
  assert.equal(level.get(4), 0);
});

test("a ghost's offsets become UTF-16 positions in the rendered text nodes, past an emoji and Arabic", () => {
  const text = "Bellouan 🌍 قال “التعاون 𝕏 ضروري” today";
  const chars = Array.from(text);
  // The text split into nodes as render.js may split it (an own span "قال" in the middle).
  const said = chars.indexOf("ق");
  const cut = [0, said, said + 3, chars.length];
  const nodes = cut.slice(0, -1).map((start, i) => ({ start, data: chars.slice(start, cut[i + 1]).join("") }));
  const [start, end] = [chars.indexOf("“"), chars.indexOf("”") + 1];
  const pieces = ghostPieces(nodes, start, end);
  assert.equal(pieces.length, 1);
  const [index, from, to] = pieces[0];
  assert.equal(nodes[index].data.slice(from, to), "“التعاون 𝕏 ضروري”");
  // Across nodes: from the emoji to the end of "قال".
  const across = ghostPieces(nodes, chars.indexOf("🌍"), chars.indexOf("ل") + 1);
  assert.deepEqual(across.map(([i, a, b]) => nodes[i].data.slice(a, b)), ["🌍 ", "قال"]);
  assert.equal(across[0][2] - across[0][1], 3); // the emoji is two units
});

test("accepting applies the spans at once, sends the ids with the layer version and records the server ids", async () => {
  const store = makeStore();
  const suggestions = loaded({ spans: [suggested(11, "QUOTE", QUOTE), suggested(12, "SOURCE", "Hassan Bellouan")] });
  const change = acceptChange(store, suggestions, { spans: [11] });
  suggestions.decided({ spans: [11] }, "accepted");
  run(store, change.forward);
  const [op] = change.forward;
  const quote = [...store.spans.values()].find((s) => s.label === "QUOTE");
  assert.equal(quote.text, QUOTE);
  assert.equal(quote.cid, op.spans[0].cid);
  assert.deepEqual(suggestions.visible(store).map((s) => s.id), [12]);
  const [start, end] = pointsOf(QUOTE);
  const api = fakeApi(() => ({ spans: [{ id: 40, client_id: "6a1e0c1b-0000-5000-8000-000000000001", label: "QUOTE",
                                          start, end, text: QUOTE, entity: null, attributes: {} }],
                                relations: [], stances: [], annotation_version: 4 }));
  const sent = await sendOp(api, store, op, 3);
  assert.deepEqual(api.requests, [{ method: "POST", path: "annotations/7/suggestions/accept/", version: 3,
                                    body: { spans: [11], relations: [], stances: [] } }]);
  assert.equal(sent.annotation_version, 4);
  assert.equal(store.ids.get(quote.cid), 40);
  // A reload keys the item by the same cid (its client id is aliased).
  store.load(layer({ version: 4, spans: [{ ...apiSpan(40, "QUOTE", QUOTE), client_id: "6a1e0c1b-0000-5000-8000-000000000001" }] }));
  assert.ok(store.spans.has(quote.cid));
});

test("undoing an accept deletes what it made and nothing it reused; redo makes it again", () => {
  const store = makeStore(importedLayer()); // holds SOURCE "Hassan Bellouan" as s1
  const suggestions = loaded({
    spans: [suggested(12, "CUE", "embodied")],
    relations: [{ id: 5, type: "ATTRIBUTED_TO", from: 13, to: 14, score: 0.8, recommender: "attribution", version: "1" }],
    ends: { 13: suggested(13, "QUOTE", "position is embodied"), 14: suggested(14, "SOURCE", "Hassan Bellouan") },
  });
  const before = new Set(store.spans.keys());
  const change = acceptChange(store, suggestions, { relations: [5] });
  const [op] = change.forward;
  assert.deepEqual(op.spans.map((s) => [s.label, Boolean(s.held)]), [["QUOTE", false], ["SOURCE", true]]);
  assert.equal(op.spans[1].cid, "s1");
  run(store, change.forward);
  const relation = store.relations.get(op.relations[0].cid);
  assert.equal(relation.to, "s1");
  assert.equal(store.spans.get(relation.from).text, "position is embodied");
  run(store, change.backward);
  assert.deepEqual(new Set(store.spans.keys()), before);
  assert.ok(!store.relations.has(op.relations[0].cid));
  assert.ok(store.canApply(op));
  run(store, change.forward);
  assert.ok(store.relations.has(op.relations[0].cid));
});

test("after a reload the layer holds an accept by content, so it is not offered or applied twice", () => {
  const store = makeStore();
  const suggestions = loaded({ spans: [suggested(11, "QUOTE", QUOTE)] });
  const [op] = acceptChange(store, suggestions, { spans: [11] }).forward;
  assert.ok(!store.holds(op));
  // The page was closed before the answer; the server made the span under its own client id.
  const fresh = makeStore(layer({ spans: [{ ...apiSpan(40, "QUOTE", QUOTE), client_id: "0b5e8f8e-1111-5111-8111-111111111111" }] }));
  assert.ok(fresh.holds(op));
  assert.equal(fresh.describe(op), `Accept suggested QUOTE “${QUOTE.slice(0, 40)}”`);
});

test("an accept that failed on the network is retried with the same body and version; the replay is recorded once", async () => {
  const store = makeStore();
  const suggestions = loaded({ spans: [suggested(11, "QUOTE", QUOTE), suggested(12, "SOURCE", "Hassan Bellouan")] });
  const change = acceptChange(store, suggestions, { spans: [11, 12] });
  run(store, change.forward);
  const [op] = change.forward;
  const items = op.spans.map((s, i) => ({ id: 50 + i, client_id: null, label: s.label, start: s.start, end: s.end,
                                          text: s.text, entity: null, attributes: {} }));
  let tries = 0;
  const { ApiError } = await import("../../static/js/api.js");
  const api = fakeApi(() => {
    tries++;
    if (tries === 1) throw new ApiError("network", 0, null, "The server could not be reached.");
    return { spans: items, relations: [], stances: [], annotation_version: 5 };
  });
  const clock = fakeClock();
  let version = 3;
  const queue = new WriteQueue({ getVersion: () => version, setVersion: (v) => { version = v; }, onState: () => {},
                                 onConflict: () => {}, onRejected: () => {}, timers: clock });
  queue.push({ op, send: (v) => sendOp(api, store, op, v) });
  await until(() => clock.pending === 1);
  clock.fire();
  await until(() => queue.pending === 0);
  assert.deepEqual(api.requests.map((r) => [r.path, r.version, r.body]), [
    ["annotations/7/suggestions/accept/", 3, { spans: [11, 12], relations: [], stances: [] }],
    ["annotations/7/suggestions/accept/", 3, { spans: [11, 12], relations: [], stances: [] }],
  ]);
  assert.equal(version, 5);
  assert.deepEqual(op.spans.map((s) => store.ids.get(s.cid)), [50, 51]);
});

test("rejecting a span takes its suggested links with it; accepting keeps them, pointing at the span as an end", () => {
  const relation = { id: 5, type: "ATTRIBUTED_TO", from: 11, to: 12, score: 0.8, recommender: "attribution", version: "1" };
  const stance = { id: 6, target: "T", polarity: "favor", holder: 12, holder_entity: null, evidence: [11], explicit: true,
                   score: 0.7, recommender: "attribution", version: "1" };
  const items = { spans: [suggested(11, "QUOTE", QUOTE), suggested(12, "SOURCE", "Hassan Bellouan")],
                  relations: [relation], stances: [stance] };
  const rejected = loaded(items);
  rejected.decided({ spans: [12] }, "rejected");
  assert.deepEqual(rejected.links(), { relations: [], stances: [] });
  assert.deepEqual([...rejected.spans.keys()], [11]);
  rejected.restore({ spans: [items.spans[1]], relations: [relation], stances: [stance] });
  assert.equal(rejected.links().relations.length, 1);

  const accepted = loaded(items);
  accepted.decided({ spans: [12] }, "accepted");
  assert.equal(accepted.links().relations.length, 1);
  assert.equal(accepted.span(12).text, "Hassan Bellouan");
  assert.ok(!accepted.spans.has(12));
});

test("a refresh answers new rows for the same proposals: the current one stays current", () => {
  const suggestions = loaded({ spans: [suggested(11, "QUOTE", QUOTE)] });
  suggestions.current = suggestions.spans.get(11);
  suggestions.load(answer({ spans: [suggested(31, "QUOTE", QUOTE), suggested(32, "CUE", "said")] }));
  assert.equal(suggestions.current.id, 31);
  assert.ok(TEXT.includes(suggestions.current.text));
});

test("a failed recommender is named once in its message", () => {
  assert.equal(recommenderMessage({ recommender: "mymodel",
                                    message: "Recommender mymodel (http://127.0.0.1:9/predict): could not connect: Connection refused." }),
               "mymodel (http://127.0.0.1:9/predict): could not connect: Connection refused.");
  assert.equal(recommenderMessage({ recommender: "tagger", message: "not trained yet" }), "tagger: not trained yet");
});

test("accepting a stance brings its holder and evidence spans; the answer's ids land on the right cids", async () => {
  const store = makeStore();
  const suggestions = loaded({
    spans: [suggested(11, "SOURCE", "Hassan Bellouan"), suggested(12, "STANCE_EVIDENCE", "institutions")],
    stances: [{ id: 7, target: "Western Sahara", polarity: "favor", holder: 11, holder_entity: null, evidence: [12],
                explicit: true, score: 0.6, recommender: "attribution", version: "1" }],
  });
  const change = acceptChange(store, suggestions, { stances: [7] });
  run(store, change.forward);
  const [op] = change.forward;
  const [source, evidence] = op.spans.map((s) => s.cid);
  const stance = store.stances.get(op.stances[0].cid);
  assert.deepEqual([stance.holder_span, stance.evidence, stance.polarity], [source, [evidence], "favor"]);
  const span = (id, s) => ({ id, client_id: null, label: s.label, start: s.start, end: s.end, text: s.text,
                              entity: null, attributes: {} });
  const api = fakeApi(() => ({
    spans: [span(61, op.spans[1]), span(60, op.spans[0])],
    relations: [],
    stances: [{ id: 9, client_id: null, holder_span: 60, holder_entity: null, target: "Western Sahara",
                polarity: "favor", explicit: true, evidence: [61] }],
    annotation_version: 6,
  }));
  await sendOp(api, store, op, 5);
  assert.deepEqual(api.requests[0].body, { spans: [], relations: [], stances: [7] });
  assert.deepEqual([store.ids.get(source), store.ids.get(evidence), store.ids.get(op.stances[0].cid)], [60, 61, 9]);
  run(store, change.backward);
  assert.equal(store.stances.size, 0);
  assert.equal(store.spans.size, 0);
});
