// job-page.js: the admin's job page (templates/admin/annotate/job/job_page.html) follows its job.
// Configured by data-* on [data-job-api]: the API URL, the status the page was drawn with, the poll
// interval. While the job is queued or running it moves the bar and shows the log so far every poll; once
// the job has ended
// it reloads the page once, and the server draws the result (counts, download, problems) and the log.
import { follow, isFinal, jobFetcher, LostJob, progressView } from "./job-progress.js";

const root = document.querySelector("[data-job-api]");

function field(name) {
  return root.querySelector(`[data-job-field="${name}"]`);
}

function draw(job) {
  const status = field("status");
  status.textContent = job.status;
  status.className = `job-status job-status-${job.status}`;
  root.dataset.jobStatus = job.status;
  const view = progressView(job);
  const bar = field("bar");
  if (view.max === null) {
    bar.removeAttribute("value");  // indeterminate: no total yet
    bar.removeAttribute("max");
  } else {
    bar.max = view.max;
    bar.value = view.value;
  }
  bar.textContent = view.text;
  field("progress").textContent = view.text;
  if (job.log) field("log").textContent = job.log;  // the log so far (text, never markup)
}

function lost(message) {
  const note = field("lost");
  note.textContent = message;
  note.hidden = !message;
}

if (root && !isFinal(root.dataset.jobStatus)) {
  follow({
    fetchJob: jobFetcher(root.dataset.jobApi),
    intervalMs: Number(root.dataset.pollMs) || 1000,
    onUpdate: (job) => { draw(job); lost(""); },
    onError: () => lost("Lost touch with the server; trying again…"),
  }).then(
    () => window.location.reload(),
    (error) => lost(error instanceof LostJob ? error.message : `Stopped following the job: ${error}`),
  );
}
