// The REST API as the workspace uses it: session auth with the CSRF token,
// the layer version sent as If-Match on every write, and a write queue that
// sends one change at a time (each needs the version the previous one made),
// retries what failed for a transient reason and stops on a version conflict.

export class ApiError extends Error {
  constructor(kind, status, body, message) {
    super(message);
    this.kind = kind; // network | conflict | invalid | denied | missing | server
    this.status = status;
    this.body = body;
  }

  get retryable() {
    return this.kind === "network" || this.kind === "server" || this.kind === "denied";
  }
}

/** "field: message" lines from a DRF / service error body. */
export function describeErrors(body) {
  if (!body || typeof body !== "object") return "";
  if (typeof body.detail === "string") return body.detail;
  const lines = [];
  for (const [field, value] of Object.entries(body)) {
    const messages = Array.isArray(value) ? value : [value];
    for (const message of messages) {
      const text = typeof message === "object" ? JSON.stringify(message) : String(message);
      lines.push(field === "non_field_errors" ? text : `${field}: ${text}`);
    }
  }
  return lines.join("; ");
}

function kindOf(status, body) {
  if (status === 409 && body && body.code === "stale_version") return "conflict";
  if (status === 400 || status === 409) return "invalid";
  if (status === 401 || status === 403) return "denied";
  if (status === 404) return "missing";
  return "server";
}

export class Api {
  constructor(base, csrfToken) {
    this.base = base;
    this.csrfToken = csrfToken;
  }

  async request(method, path, { body, version } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRFToken"] = this.csrfToken;
    if (version !== undefined && version !== null) headers["If-Match"] = `"${version}"`;
    let response;
    try {
      response = await fetch(this.base + path, {
        method, headers, credentials: "same-origin", cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError("network", 0, null, "The server could not be reached.");
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null; // an HTML error page (a proxy, a CSRF failure)
    }
    if (response.ok) return data || {};
    const kind = kindOf(response.status, data);
    const message = describeErrors(data) || `${response.status} ${response.statusText}`;
    throw new ApiError(kind, response.status, data, message);
  }
}

export const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000, 30000];

// The clock the queue waits on between retries; tests give a fake one.
const TIMERS = { set: (fn, ms) => setTimeout(fn, ms), clear: (timer) => clearTimeout(timer) };

/**
 * Writes to one layer, in order. A job is {op, describe, send(version)} where
 * send resolves to the API's answer carrying `annotation_version`.
 *
 * - transient failures (network, 5xx, logged out) keep the job and retry with
 *   backoff; nothing the user did is dropped, and "Retry now" (or going back
 *   online) skips the wait. A retried write is safe even when the first try
 *   reached the server: creates carry a client_id, and the server answers a
 *   repeat with the stored item (200, Idempotent-Replayed), a delete of what
 *   is gone or a change already made with a plain success;
 * - a stale version (409 stale_version) stops the queue and hands every
 *   unsent job to onConflict, which reloads the layer and offers them back;
 * - a refused change (400, 404) is dropped and reported to onRejected.
 */
export class WriteQueue {
  constructor({ getVersion, setVersion, onState, onConflict, onRejected, onSent, timers = TIMERS }) {
    Object.assign(this, { getVersion, setVersion, onState, onConflict, onRejected, onSent, timers });
    this.jobs = [];
    this.running = false;
    this.attempt = 0;
    this.wakeUp = null;
    this.lastError = null;
  }

  get pending() {
    return this.jobs.length;
  }

  push(job) {
    this.jobs.push(job);
    this.report();
    this.run();
  }

  retryNow() {
    if (this.wakeUp) this.wakeUp();
  }

  report(extra = {}) {
    let state = "saved";
    if (this.conflicted) state = "conflict";
    else if (this.lastError) state = "error";
    else if (this.jobs.length) state = "saving";
    this.onState({ state, pending: this.jobs.length, error: this.lastError, ...extra });
  }

  async run() {
    if (this.running || this.conflicted) return;
    this.running = true;
    try {
      while (this.jobs.length && !this.conflicted) {
        const job = this.jobs[0];
        try {
          const answer = await job.send(this.getVersion());
          if (answer && answer.annotation_version !== undefined) this.setVersion(answer.annotation_version);
          this.jobs.shift();
          this.attempt = 0;
          this.lastError = null;
          this.onSent && this.onSent(job, answer);
          this.report();
        } catch (error) {
          if (!(error instanceof ApiError)) {
            this.jobs.shift();
            this.onRejected(job, new ApiError("invalid", 0, null, String(error && error.message || error)));
            this.report();
          } else if (error.kind === "conflict") {
            this.conflicted = true;
            const unsent = this.jobs.splice(0);
            this.report();
            this.onConflict(unsent, error);
          } else if (error.retryable) {
            this.lastError = error;
            const wait = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
            this.attempt++;
            this.report({ retryIn: wait });
            await new Promise((resolve) => {
              const timer = this.timers.set(resolve, wait);
              this.wakeUp = () => { this.timers.clear(timer); resolve(); };
            });
            this.wakeUp = null;
          } else {
            this.jobs.shift();
            this.lastError = null;
            this.onRejected(job, error);
            this.report();
          }
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** After a conflict was resolved (the layer reloaded): accept writes again, and send what is queued. */
  resume() {
    this.conflicted = false;
    this.lastError = null;
    this.report();
    this.run();
  }
}
