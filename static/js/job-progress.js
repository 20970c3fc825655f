// job-progress.js: following a background job through GET /api/v1/jobs/<id>/, without the page.
// What a job's answer means for its progress bar (progressView), when to stop (isFinal), and the
// polling loop (follow) with its backoff; job-page.js draws it. No DOM here, so node --test runs it.

export const FINAL_STATUSES = Object.freeze(["done", "failed", "cancelled"]);
export const MAX_BACKOFF_MS = 30_000;

export function isFinal(status) {
  return FINAL_STATUSES.includes(status);
}

/**
 * The bar's value and max (both null: not known yet, an indeterminate bar) and its caption, from a job's
 * answer ({status, progress: {done, total, message}}). A finished job's bar is full. Mirrors
 * progress_bar in annotate/admin/jobs.py, which draws the page's first state.
 */
export function progressView(job) {
  const { done = 0, total = null, message = "" } = job.progress || {};
  const count = done || 0;
  let value = null;
  let max = null;
  if (job.status === "done") {
    max = total ? total : 1;
    value = max;
  } else if (total) {
    max = total;
    value = Math.min(count, total);
  }
  const counts = total ? `${count} / ${total}` : count ? String(count) : "";
  const text = [counts, message || ""].filter(Boolean).join(" – ");
  return { value, max, text };
}

/** An answer that polling again will not change (the job is gone or not ours): stop and say so. */
export class LostJob extends Error {
  constructor(status, message) {
    super(message);
    this.name = "LostJob";
    this.status = status;
  }
}

/** Wait after `failures` failed polls in a row: the interval, doubled per failure, at most MAX_BACKOFF_MS. */
export function retryDelay(intervalMs, failures) {
  return Math.min(intervalMs * 2 ** failures, MAX_BACKOFF_MS);
}

/**
 * Poll until the job's status is final; resolves with its last answer.
 * fetchJob() answers the job's JSON, throws LostJob to stop, or throws anything else to retry later.
 * onUpdate(job) sees every answer; onError(error, failures) every failed poll.
 */
export async function follow({ fetchJob, onUpdate = () => {}, onError = () => {}, intervalMs = 1000,
                               sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)) }) {
  let failures = 0;
  for (;;) {
    let job;
    try {
      job = await fetchJob();
    } catch (error) {
      if (error instanceof LostJob) throw error;
      failures += 1;
      onError(error, failures);
      await sleep(retryDelay(intervalMs, failures));
      continue;
    }
    failures = 0;
    onUpdate(job);
    if (isFinal(job.status)) return job;
    await sleep(intervalMs);
  }
}

/** fetchJob over fetch(): the session's cookie authenticates; 403/404 mean the job is not ours (any more). */
export function jobFetcher(url, fetchImpl = (...args) => globalThis.fetch(...args)) {
  return async () => {
    const response = await fetchImpl(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.status === 403 || response.status === 404 || response.status === 401) {
      throw new LostJob(response.status, `The job can no longer be read (HTTP ${response.status}).`);
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  };
}
