// The article questions in the workspace: the panel's rules (panels/article-labels.js), the store's
// setArticleLabels change with its inverse, and the API call it stands for (sending.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { answerOf, missingRequired } from "../../static/js/panels/article-labels.js";
import { sendOp } from "../../static/js/sending.js";
import { fakeApi, layer, makeStore } from "./fixtures.mjs";

const WORTHY = { name: "CHECK_WORTHY", kind: "single", choices: ["yes", "no"], required: true };
const TOPIC = { name: "TOPIC", kind: "multiple", choices: ["politics", "economy", "security"], required: true };
const REASON = { name: "SKIP_REASON", kind: "text", choices: [], required: false };

test("the required questions without an answer are named in the project's order", () => {
  const questions = [WORTHY, TOPIC, REASON];
  assert.deepEqual(missingRequired(questions, {}), ["CHECK_WORTHY", "TOPIC"]);
  assert.deepEqual(missingRequired(questions, { TOPIC: [], CHECK_WORTHY: "no" }), ["TOPIC"]);
  assert.deepEqual(missingRequired(questions, { TOPIC: ["economy"], CHECK_WORTHY: "no" }), []);
});

test("an answer is what the boxes say, in the question's order, and nothing chosen is no answer", () => {
  assert.equal(answerOf(WORTHY, { choice: "no" }), "no");
  assert.equal(answerOf(WORTHY, { choice: "maybe" }), null);
  assert.deepEqual(answerOf(TOPIC, { ticked: ["security", "politics"] }), ["politics", "security"]);
  assert.equal(answerOf(TOPIC, { ticked: [] }), null);
  assert.equal(answerOf(REASON, { text: "  an advert  " }), "an advert");
  assert.equal(answerOf(REASON, { text: "   " }), null);
});

test("setting answers is a change like any other: applied, undone to what they were, held after a reload", () => {
  const store = makeStore({ ...layer(), article_labels: { CHECK_WORTHY: "yes" } });
  const change = store.setArticleLabels({ CHECK_WORTHY: "no", TOPIC: ["economy"] });
  for (const op of change.forward) store.apply(op);
  assert.deepEqual(store.articleLabels, { CHECK_WORTHY: "no", TOPIC: ["economy"] });
  assert.equal(store.describe(change.forward[0]), "Answer CHECK_WORTHY, TOPIC");
  for (const op of change.backward) store.apply(op);
  assert.deepEqual(store.articleLabels, { CHECK_WORTHY: "yes" });
  // A reload showing the answers stored: re-applying the op is no change to list as unsaved.
  store.load({ ...layer({ version: 4 }), article_labels: { CHECK_WORTHY: "no", TOPIC: ["economy"] } });
  assert.ok(store.holds(change.forward[0]));
  assert.ok(!store.holds(change.backward[0]));
});

test("the change is one PUT of the answers it names, with the layer version; null clears one", async () => {
  const store = makeStore({ ...layer(), article_labels: {} });
  const api = fakeApi(() => ({ annotation_version: 4, article_labels: { TOPIC: ["economy"] } }));
  const [op] = store.setArticleLabels({ TOPIC: ["economy"], SKIP_REASON: null }).forward;
  const answer = await sendOp(api, store, op, 3);
  assert.deepEqual(api.requests, [{ method: "PUT", path: "annotations/7/article-labels/", version: 3,
                                    body: { article_labels: { TOPIC: ["economy"], SKIP_REASON: null } } }]);
  assert.equal(answer.annotation_version, 4);
});
