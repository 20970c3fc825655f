// Discontinuous spans: a span's pieces (fragments.js), the store holding them (one piece added,
// removed, undone, a split span deleted and re-created), what goes to the API (sending.js) and a
// stale write of pieces offered again after a reload. Offsets are Python's code points, written out
// (not derived from the code under test), over a text with an emoji, 𝕏 and Arabic.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, WriteQueue } from "../../static/js/api.js";
import {
  describePieces, fragmentsOf, normalize, outerBounds, piecesText, withOuterBound, withPiece, withoutPiece,
} from "../../static/js/fragments.js";
import { CodePointText } from "../../static/js/offsets.js";
import { sendOp } from "../../static/js/sending.js";
import { Store } from "../../static/js/store.js";
import { PROJECT, fakeApi, settle } from "./fixtures.mjs";

// In Python: "Hassan Bellouan" 0–15, "🌍 that" 21–27, "“التعاون الدولي ضروري”" 28–50, "التعاون" 29–36,
// "ضروري" 44–49, "France 𝕏" 52–60, "backs the plan" 61–75; len() is 76 (78 UTF-16 units).
const MIXED = "Hassan Bellouan said 🌍 that “التعاون الدولي ضروري”. France 𝕏 backs the plan.";
const ARABIC_QUOTE = "“التعاون الدولي ضروري”";

function apiSpan(id, label, fragments, { clientId = null } = {}) {
  const text = new CodePointText(MIXED);
  const [start, end] = outerBounds(fragments);
  return { id, client_id: clientId, label, start, end, fragments, text: piecesText(text, fragments),
           entity: null, entity_name: null, attributes: {} };
}

function makeStore(spans, version = 3) {
  return new Store({ article: { text: MIXED }, project: PROJECT, entities: [],
                     layer: { id: 7, version, status: "in_progress", spans, relations: [], stances: [] } });
}

/** The fields of a span these tests are about (the store keeps others, such as needs_review). */
const shape = ({ label, start, end, fragments, text }) => ({ label, start, end, fragments, text });

/** What Sync.run does: apply the ops the store can apply. */
function run(store, ops) {
  for (const op of ops) if (store.canApply(op)) store.apply(op);
}

test("pieces: ordered, merged when they overlap or touch, inside adds nothing, the last one stays", () => {
  assert.deepEqual(normalize([[52, 60], [0, 15], [10, 20], [20, 27]]), [[0, 27], [52, 60]]);
  assert.deepEqual(withPiece([[0, 15]], [52, 60]), { fragments: [[0, 15], [52, 60]], merged: false, inside: false });
  assert.deepEqual(withPiece([[0, 15], [52, 60]], [28, 50]),
    { fragments: [[0, 15], [28, 50], [52, 60]], merged: false, inside: false });
  // Touching the first piece (15 is its end) and overlapping the second: one piece.
  assert.deepEqual(withPiece([[0, 15], [52, 60]], [15, 21]), { fragments: [[0, 21], [52, 60]], merged: true, inside: false });
  assert.deepEqual(withPiece([[0, 15], [52, 60]], [14, 55]), { fragments: [[0, 60]], merged: true, inside: false });
  assert.equal(withPiece([[0, 15], [52, 60]], [53, 58]).inside, true);
  assert.deepEqual(withoutPiece([[0, 15], [28, 50], [52, 60]], 1), [[0, 15], [52, 60]]);
  assert.deepEqual(withoutPiece([[0, 15], [52, 60]], 0), [[52, 60]]);
  assert.equal(withoutPiece([[0, 15]], 0), null);
  assert.deepEqual(withOuterBound([[0, 15], [52, 60]], "end", 75), [[0, 15], [52, 75]]);
  assert.deepEqual(withOuterBound([[0, 15], [52, 60]], "start", 7), [[7, 15], [52, 60]]);
  assert.equal(withOuterBound([[0, 15], [52, 60]], "end", 52), null);
  assert.deepEqual(fragmentsOf({ start: 3, end: 9, fragments: null }), [[3, 9]]);
});

test("the pieces' text by code points, past an emoji, 𝕏 and in Arabic: joined by one space as the API keeps it", () => {
  const text = new CodePointText(MIXED);
  assert.equal(piecesText(text, [[0, 15], [28, 50]]), `Hassan Bellouan ${ARABIC_QUOTE}`);
  assert.equal(piecesText(text, [[21, 27], [52, 60]]), "🌍 that France 𝕏");
  assert.equal(describePieces(text, [[29, 36], [44, 49]]), "التعاون … ضروري");
});

test("a piece added to a span after an emoji and in Arabic; undo and redo restore the pieces exactly", () => {
  const store = makeStore([apiSpan(1, "QUOTE", [[21, 27]])]);
  const cid = "s1";
  assert.deepEqual(store.spans.get(cid).fragments, [[21, 27]]); // from the API's fragments
  const add = store.setPieces(cid, withPiece(store.spans.get(cid).fragments, [28, 50]).fragments);
  run(store, add.forward);
  assert.deepEqual(shape(store.spans.get(cid)), { label: "QUOTE", start: 21, end: 50, fragments: [[21, 27], [28, 50]],
    text: `🌍 that ${ARABIC_QUOTE}` });
  assert.deepEqual(add.forward, [{ op: "patchSpan", cid, changes: { fragments: [[21, 27], [28, 50]] } }]);
  const again = store.setPieces(cid, withPiece(store.spans.get(cid).fragments, [52, 60]).fragments);
  run(store, again.forward);
  assert.equal(store.spans.get(cid).text, `🌍 that ${ARABIC_QUOTE} France 𝕏`);
  run(store, again.backward);
  run(store, add.backward);
  assert.deepEqual(shape(store.spans.get(cid)), { label: "QUOTE", start: 21, end: 27, fragments: [[21, 27]],
    text: "🌍 that" });
  run(store, add.forward);
  run(store, again.forward);
  assert.deepEqual(store.spans.get(cid).fragments, [[21, 27], [28, 50], [52, 60]]);
  assert.equal(store.spans.get(cid).end, 60);
});

test("removing the last but one piece leaves an ordinary span; moving its bounds then is a one-piece change", () => {
  const store = makeStore([apiSpan(1, "QUOTE", [[0, 15], [28, 50]])]);
  const remove = store.setPieces("s1", withoutPiece(store.spans.get("s1").fragments, 0));
  run(store, remove.forward);
  assert.deepEqual(shape(store.spans.get("s1")), { label: "QUOTE", start: 28, end: 50, fragments: [[28, 50]],
    text: ARABIC_QUOTE });
  const move = store.patchSpan("s1", { start: 29, end: 49 });
  run(store, move.forward);
  assert.deepEqual(store.spans.get("s1").fragments, [[29, 49]]);
  run(store, move.backward);
  run(store, remove.backward);
  assert.deepEqual(store.spans.get("s1").fragments, [[0, 15], [28, 50]]);
  assert.equal(store.spans.get("s1").text, `Hassan Bellouan ${ARABIC_QUOTE}`);
});

test("a split span's bounds moved by their pieces, and undone to the pieces it had", () => {
  const store = makeStore([apiSpan(1, "QUOTE", [[0, 15], [28, 50]])]);
  const change = store.setPieces("s1", withOuterBound(store.spans.get("s1").fragments, "end", 51));
  assert.deepEqual(change.backward, [{ op: "patchSpan", cid: "s1", changes: { fragments: [[0, 15], [28, 50]] } }]);
  run(store, change.forward);
  assert.equal(store.spans.get("s1").end, 51);
  run(store, change.backward);
  assert.deepEqual(store.spans.get("s1").fragments, [[0, 15], [28, 50]]);
});

test("bounds alone move a split span's first start and last end, as the API does; undo restores the pieces", () => {
  const store = makeStore([apiSpan(1, "QUOTE", [[2, 13], [28, 54]])]);
  const change = store.patchSpan("s1", { start: 7, end: 50 });
  run(store, change.forward);
  assert.deepEqual(store.spans.get("s1").fragments, [[7, 13], [28, 50]]);
  run(store, change.backward);
  assert.deepEqual([store.spans.get("s1").fragments, store.spans.get("s1").start], [[[2, 13], [28, 54]], 2]);
});

test("a change of pieces goes to the API as a PATCH of fragments by server id, with the version", async () => {
  const store = makeStore([apiSpan(12, "QUOTE", [[0, 15]])]);
  const api = fakeApi(() => ({ annotation_version: 4 }));
  const op = store.setPieces("s12", [[0, 15], [28, 50]]).forward[0];
  await sendOp(api, store, op, 3);
  assert.deepEqual(api.requests, [{ method: "PATCH", path: "annotations/7/spans/12/", version: 3,
                                    body: { fragments: [[0, 15], [28, 50]] } }]);
});

test("undoing a split span's delete posts it by its pieces, with the joined text and a fresh client_id", async () => {
  const store = makeStore([apiSpan(12, "QUOTE", [[21, 27], [28, 50]])]);
  const change = store.deleteSpan("s12");
  run(store, change.forward);
  run(store, change.backward);
  assert.deepEqual(store.spans.get("s12").fragments, [[21, 27], [28, 50]]);
  const api = fakeApi(() => ({ id: 30, annotation_version: 5 }));
  const op = store.stamp(change.backward[0]);
  await sendOp(api, store, op, 4);
  const { body } = api.requests[0];
  assert.equal(body.client_id, op.client_id);
  assert.notEqual(body.client_id, "s12");
  assert.deepEqual({ ...body, client_id: undefined }, { client_id: undefined, label: "QUOTE",
    fragments: [[21, 27], [28, 50]], text: `🌍 that ${ARABIC_QUOTE}`, entity: null, attributes: {} });
  assert.equal(store.ids.get("s12"), 30);
  // An ordinary span is still posted by its bounds.
  const plain = store.stamp(store.addSpan("SOURCE", 0, 15).forward[0]);
  await sendOp(api, store, plain, 5);
  assert.deepEqual([api.requests[1].body.start, api.requests[1].body.end, api.requests[1].body.fragments], [0, 15, undefined]);
});

test("a stale write of pieces is handed back, and re-applied on the reloaded layer unless it holds it already", async () => {
  const store = makeStore([apiSpan(12, "QUOTE", [[0, 15]], { clientId: "c0ffee00-0000-4000-8000-000000000001" })]);
  const cid = "c0ffee00-0000-4000-8000-000000000001";
  const api = fakeApi(() => {
    throw new ApiError("conflict", 409, { code: "stale_version" }, "stale");
  });
  const handed = [];
  const queue = new WriteQueue({
    getVersion: () => store.version, setVersion: (v) => { store.version = v; }, onState: () => {},
    onRejected: () => assert.fail("not refused"), onConflict: (jobs) => handed.push(...jobs.map((job) => job.op)),
  });
  const change = store.setPieces(cid, [[0, 15], [28, 50]]);
  run(store, change.forward);
  queue.push({ op: change.forward[0], send: (version) => sendOp(api, store, change.forward[0], version) });
  await settle();
  assert.deepEqual(handed, change.forward);
  assert.equal(store.describe(handed[0]), "Change the pieces of QUOTE “Hassan Bellouan “التعاون الدولي ضروري”” (2)");

  // Another tab changed the label meanwhile: the reloaded layer has one piece, so the change is offered again.
  const other = apiSpan(12, "CLAIM", [[0, 15]], { clientId: cid });
  store.load({ id: 7, version: 4, status: "in_progress", spans: [other], relations: [], stances: [] });
  assert.equal(store.holds(handed[0]), false);
  assert.ok(store.canApply(handed[0]));
  store.apply(handed[0]);
  assert.deepEqual(store.spans.get(cid).fragments, [[0, 15], [28, 50]]);
  assert.equal(store.spans.get(cid).label, "CLAIM");

  // The other tab had made the same pieces: nothing to offer.
  store.load({ id: 7, version: 5, status: "in_progress", relations: [], stances: [],
               spans: [apiSpan(12, "QUOTE", [[0, 15], [28, 50]], { clientId: cid })] });
  assert.equal(store.holds(handed[0]), true);
});
