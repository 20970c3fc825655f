// job-progress.js: what a job's answer means for the admin's progress bar, and the polling loop
// (stops at a final status, retries failed polls with backoff, stops for good on a lost job).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  follow, isFinal, jobFetcher, LostJob, MAX_BACKOFF_MS, progressView, retryDelay,
} from "../../static/js/job-progress.js";

const job = (status, done = 0, total = null, message = "") => ({ status, progress: { done, total, message } });

test("done, failed and cancelled are final; queued and running are not", () => {
  assert.deepEqual(["queued", "running", "done", "failed", "cancelled"].map(isFinal),
    [false, false, true, true, true]);
});

test("a running job with a total fills the bar in proportion and says how far", () => {
  assert.deepEqual(progressView(job("running", 3, 10, "writing 10 record(s)")),
    { value: 3, max: 10, text: "3 / 10 – writing 10 record(s)" });
  assert.equal(progressView(job("running", 12, 10)).value, 10);  // never past the end
});

test("a job without a total yet has an indeterminate bar", () => {
  assert.deepEqual(progressView(job("queued")), { value: null, max: null, text: "" });
  assert.deepEqual(progressView(job("running", 0, null, "starting")), { value: null, max: null, text: "starting" });
  assert.deepEqual(progressView(job("running", 40, null, "reading")), { value: null, max: null, text: "40 – reading" });
});

test("a done job's bar is full, with or without a total", () => {
  assert.deepEqual(progressView(job("done", 2, 5)), { value: 5, max: 5, text: "2 / 5" });
  assert.deepEqual(progressView(job("done")), { value: 1, max: 1, text: "" });
  assert.deepEqual(progressView({ status: "done" }), { value: 1, max: 1, text: "" });
});

test("a failed job keeps where it stopped", () => {
  assert.deepEqual(progressView(job("failed", 4, 9, "importing")), { value: 4, max: 9, text: "4 / 9 – importing" });
});

/** A fetchJob answering each of `answers` in turn (an Error is thrown), and a sleep that records its waits. */
function script(answers) {
  const waits = [];
  let calls = 0;
  return {
    waits,
    calls: () => calls,
    fetchJob: async () => {
      const answer = answers[Math.min(calls++, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return answer;
    },
    sleep: async (ms) => { waits.push(ms); },
  };
}

test("follow polls every interval until the job ends, and shows every answer", async () => {
  const s = script([job("queued"), job("running", 1, 2), job("running", 2, 2), job("done", 2, 2)]);
  const seen = [];
  const last = await follow({ fetchJob: s.fetchJob, sleep: s.sleep, intervalMs: 1000,
                              onUpdate: (j) => seen.push(j.status) });
  assert.equal(last.status, "done");
  assert.deepEqual(seen, ["queued", "running", "running", "done"]);
  assert.deepEqual(s.waits, [1000, 1000, 1000]);  // no wait after the final answer
});

test("a failed poll is retried with a doubling delay, and a good answer resets it", async () => {
  const s = script([new Error("HTTP 502"), new Error("offline"), job("running"), new Error("HTTP 500"),
                    job("cancelled")]);
  const failures = [];
  const last = await follow({ fetchJob: s.fetchJob, sleep: s.sleep, intervalMs: 1000,
                              onError: (error, n) => failures.push([error.message, n]) });
  assert.equal(last.status, "cancelled");
  assert.deepEqual(failures, [["HTTP 502", 1], ["offline", 2], ["HTTP 500", 1]]);
  assert.deepEqual(s.waits, [2000, 4000, 1000, 2000]);
});

test("the retry delay stops growing at its cap", () => {
  assert.equal(retryDelay(1000, 1), 2000);
  assert.equal(retryDelay(1000, 10), MAX_BACKOFF_MS);
});

test("a lost job stops the polling for good", async () => {
  const s = script([job("running"), new LostJob(404, "gone")]);
  await assert.rejects(follow({ fetchJob: s.fetchJob, sleep: s.sleep }), (error) => error.status === 404);
  assert.equal(s.calls(), 2);
});

test("jobFetcher reads the job with the session's cookie; 403 and 404 are a lost job, 5xx a retry", async () => {
  const calls = [];
  const answering = (status, body) => async (url, init) => {
    calls.push({ url, init });
    return new Response(JSON.stringify(body), { status });
  };
  assert.deepEqual(await jobFetcher("/api/v1/jobs/5/", answering(200, job("running")))(), job("running"));
  assert.equal(calls[0].url, "/api/v1/jobs/5/");
  assert.equal(calls[0].init.credentials, "same-origin");
  assert.equal(calls[0].init.headers.Accept, "application/json");
  for (const status of [403, 404]) {
    await assert.rejects(jobFetcher("/j/", answering(status, {}))(), (error) => error instanceof LostJob);
  }
  await assert.rejects(jobFetcher("/j/", answering(502, {}))(),
    (error) => !(error instanceof LostJob) && error.message === "HTTP 502");
});
