// api.js: what an API answer means (Api.request) and the write queue: one change at a time,
// each with the version the previous answer gave; retries with backoff on network failures and
// 5xx, "Retry now", a stop on a stale version, refused changes dropped and reported.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { Api, ApiError, BACKOFF_MS, WriteQueue } from "../../static/js/api.js";
import { fakeClock, settle, until } from "./fixtures.mjs";

// Api.request ------------------------------------------------------------------------------

const realFetch = globalThis.fetch;
afterEach(() => { globalThis.fetch = realFetch; });

/** Answer every fetch with `status` and `body` (an object is sent as JSON); record the calls. */
function serve(status, body = null, statusText = "") {
  const calls = [];
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    const text = body === null ? "" : typeof body === "string" ? body : JSON.stringify(body);
    return new Response(text || null, { status, statusText });
  };
  return calls;
}

async function failure(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("the request succeeded");
}

test("a write sends JSON with the CSRF token and the layer version as If-Match", async () => {
  const calls = serve(201, { id: 5, annotation_version: 4 });
  const api = new Api("/api/v1/", "the-token");
  const answer = await api.request("POST", "annotations/7/spans/", { body: { label: "CUE" }, version: 3 });
  assert.deepEqual(answer, { id: 5, annotation_version: 4 });
  const [{ url, init }] = calls;
  assert.equal(url, "/api/v1/annotations/7/spans/");
  assert.equal(init.method, "POST");
  assert.equal(init.headers["If-Match"], '"3"');
  assert.equal(init.headers["X-CSRFToken"], "the-token");
  assert.equal(init.headers["Content-Type"], "application/json");
  assert.equal(init.body, '{"label":"CUE"}');
  assert.equal(init.credentials, "same-origin");
});

test("a read sends neither the CSRF token nor a version; an empty answer is {}", async () => {
  const calls = serve(204);
  assert.deepEqual(await new Api("/api/v1/", "t").request("GET", "annotations/7/"), {});
  assert.equal(calls[0].init.headers["X-CSRFToken"], undefined);
  assert.equal(calls[0].init.headers["If-Match"], undefined);
});

test("each failing answer has its kind, and only transient ones are retryable", async () => {
  const cases = [
    [409, { code: "stale_version", detail: "The layer changed." }, "conflict", false],
    [409, { detail: "Something else." }, "invalid", false],
    [400, { end: ["is past the end of the text (512 code points), got 600"] }, "invalid", false],
    [401, { detail: "Not logged in." }, "denied", true],
    [403, { detail: "CSRF Failed." }, "denied", true],
    [404, { detail: "Not found." }, "missing", false],
    [500, null, "server", true],
    [503, "<html>maintenance</html>", "server", true],
  ];
  for (const [status, body, kind, retryable] of cases) {
    serve(status, body);
    const error = await failure(new Api("/", "t").request("PATCH", "x/", { body: {}, version: 1 }));
    assert.ok(error instanceof ApiError);
    assert.deepEqual([error.status, error.kind, error.retryable], [status, kind, retryable], `HTTP ${status}`);
  }
});

test("the error message names the field, or the status when the body is not JSON", async () => {
  serve(400, { end: ["is past the end of the text (512 code points), got 600"], non_field_errors: ["Bad."] });
  let error = await failure(new Api("/", "t").request("POST", "x/", { body: {} }));
  assert.equal(error.message, "end: is past the end of the text (512 code points), got 600; Bad.");
  serve(502, "<html>Bad Gateway</html>", "Bad Gateway");
  error = await failure(new Api("/", "t").request("POST", "x/", { body: {} }));
  assert.equal(error.message, "502 Bad Gateway");
});

test("a fetch that fails (no network, connection reset) is a retryable network error", async () => {
  globalThis.fetch = async () => { throw new TypeError("Failed to fetch"); };
  const error = await failure(new Api("/", "t").request("DELETE", "x/", { version: 2 }));
  assert.deepEqual([error.kind, error.status, error.retryable], ["network", 0, true]);
});

// WriteQueue -------------------------------------------------------------------------------

const network = () => new ApiError("network", 0, null, "The server could not be reached.");
const server = () => new ApiError("server", 500, null, "500 Internal Server Error");
const stale = () => new ApiError("conflict", 409, { code: "stale_version" }, "stale");

/** A queue on a fake clock, recording what it reports; the layer starts at version 3. */
function makeQueue() {
  const clock = fakeClock();
  const seen = { states: [], sent: [], rejected: [], conflicts: [] };
  let version = 3;
  const queue = new WriteQueue({
    getVersion: () => version,
    setVersion: (v) => { version = v; },
    onState: (state) => seen.states.push(state),
    onSent: (job, answer) => seen.sent.push([job.op, answer]),
    onRejected: (job, error) => seen.rejected.push([job.op, error]),
    onConflict: (jobs, error) => seen.conflicts.push([jobs.map((j) => j.op), error]),
    timers: clock,
  });
  return { queue, clock, seen, version: () => version, last: () => seen.states.at(-1) };
}

/** A job whose sends answer, in turn, from `answers`: an Error is thrown, a function is awaited. */
function job(name, ...answers) {
  const versions = [];
  return {
    op: name,
    versions, // the version each send was given
    async send(version) {
      versions.push(version);
      const answer = answers.shift();
      if (answer instanceof Error) throw answer;
      return typeof answer === "function" ? answer() : answer;
    },
  };
}

test("changes are sent one at a time, in order, each with the version the previous answer gave", async () => {
  const { queue, seen, version, last } = makeQueue();
  let answerFirst;
  const first = job("A", () => new Promise((resolve) => { answerFirst = resolve; }));
  const second = job("B", { annotation_version: 5 });
  queue.push(first);
  queue.push(second);
  await settle();
  assert.deepEqual(first.versions, [3]);
  assert.deepEqual(second.versions, [], "sent before the first change was answered");
  assert.deepEqual([last().state, last().pending], ["saving", 2]);
  answerFirst({ id: 1, annotation_version: 4 });
  await until(() => !queue.pending);
  assert.deepEqual(second.versions, [4]);
  assert.equal(version(), 5);
  assert.deepEqual(seen.sent.map(([op]) => op), ["A", "B"]);
  assert.equal(last().state, "saved");
});

test("a network failure or a 5xx keeps the change and retries it, waiting longer each time", async () => {
  const { queue, clock, seen, version, last } = makeQueue();
  const change = job("A", network(), server(), network(), { annotation_version: 4 });
  queue.push(change);
  for (const wait of [1000, 2000, 4000]) {
    await until(() => clock.pending);
    assert.deepEqual([last().state, last().pending, last().retryIn], ["error", 1, wait]);
    clock.fire();
  }
  await until(() => !queue.pending);
  assert.deepEqual(clock.delays, [1000, 2000, 4000]);
  assert.deepEqual(change.versions, [3, 3, 3, 3]);
  assert.equal(version(), 4);
  assert.deepEqual([last().state, last().error], ["saved", null]);
  assert.deepEqual(seen.rejected, []);
  // After a success the backoff starts again from the first wait.
  queue.push(job("B", network(), { annotation_version: 5 }));
  await until(() => clock.pending);
  assert.equal(clock.delays.at(-1), 1000);
});

test("the wait between retries stops growing at 30 s", async () => {
  const { queue, clock } = makeQueue();
  queue.push(job("A", ...Array.from({ length: 8 }, network), {}));
  for (let i = 0; i < 8; i++) {
    await until(() => clock.pending);
    clock.fire();
  }
  await until(() => !queue.pending);
  assert.deepEqual(clock.delays, [...BACKOFF_MS, 30000, 30000]);
});

test("Retry now sends at once instead of waiting", async () => {
  const { queue, clock, last } = makeQueue();
  const change = job("A", network(), { annotation_version: 4 });
  queue.push(change);
  await until(() => clock.pending);
  queue.retryNow();
  await until(() => !queue.pending);
  assert.equal(clock.cleared, 1, "the waiting timer was not cancelled");
  assert.equal(clock.pending, 0);
  assert.deepEqual(change.versions, [3, 3]);
  assert.equal(last().state, "saved");
});

test("a stale version stops the queue and hands every unsent change to onConflict", async () => {
  const { queue, seen, version, last } = makeQueue();
  const [a, b, c] = [job("A", { annotation_version: 4 }), job("B", stale()), job("C", {})];
  for (const change of [a, b, c]) queue.push(change);
  await until(() => seen.conflicts.length);
  assert.deepEqual(seen.conflicts[0][0], ["B", "C"]);
  assert.equal(seen.conflicts[0][1].kind, "conflict");
  assert.deepEqual(c.versions, [], "a change after the conflict was sent");
  assert.equal(queue.pending, 0);
  assert.equal(last().state, "conflict");
  assert.equal(version(), 4);
  // Nothing is sent until the page has reloaded the layer and says so.
  const d = job("D", { annotation_version: 5 });
  queue.push(d);
  await settle();
  assert.deepEqual(d.versions, []);
  assert.equal(last().state, "conflict");
  // Resuming sends what is queued at once (the page first takes out what was made during the reload).
  queue.resume();
  await until(() => !queue.pending);
  assert.deepEqual(d.versions, [4]);
  queue.push(job("E", { annotation_version: 6 }));
  await until(() => !queue.pending);
  assert.equal(version(), 6);
  assert.equal(last().state, "saved");
});

test("a refused change (400, 404) is dropped and reported, and the next one is sent", async () => {
  const { queue, clock, seen, last } = makeQueue();
  const invalid = new ApiError("invalid", 400, { end: ["too far"] }, "end: too far");
  const missing = new ApiError("missing", 404, { detail: "Not found." }, "Not found.");
  const next = job("C", { annotation_version: 4 });
  queue.push(job("A", invalid));
  queue.push(job("B", missing));
  queue.push(next);
  await until(() => !queue.pending);
  assert.deepEqual(seen.rejected.map(([op, error]) => [op, error.kind]), [["A", "invalid"], ["B", "missing"]]);
  assert.deepEqual(next.versions, [3]);
  assert.equal(clock.delays.length, 0, "a refused change was retried");
  assert.deepEqual([last().state, last().error], ["saved", null]);
});

test("a change that cannot be sent at all is dropped as invalid", async () => {
  const { queue, seen } = makeQueue();
  queue.push(job("A", new Error("it refers to an item whose own change was not saved")));
  await until(() => seen.rejected.length);
  const [[op, error]] = seen.rejected;
  assert.equal(op, "A");
  assert.ok(error instanceof ApiError);
  assert.deepEqual([error.kind, error.message], ["invalid", "it refers to an item whose own change was not saved"]);
});
