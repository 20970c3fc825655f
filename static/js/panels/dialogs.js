// The help overlay, the submit check and the skip dialog.

import { describeErrors } from "../api.js";
import { fill, h, quote } from "../dom.js";
import { missingRequired } from "./article-labels.js";

/** Obvious gaps before submitting: quotes with no source, stances with no evidence, and the like. */
export function findGaps(store) {
  const gaps = [];
  const spans = store.orderedSpans();
  const relations = [...store.relations.values()];
  const from = (cid) => relations.filter((r) => r.from === cid).map((r) => store.spans.get(r.to)).filter(Boolean);
  for (const span of spans) {
    const targets = from(span.cid);
    if (span.label === "QUOTE" && !targets.some((t) => t.label === "SOURCE")) {
      gaps.push({ cid: span.cid, text: `Quote ${quote(span.text, 50)} has no source (select it, press a, click the source).` });
    }
    if (span.label === "CUE" && !targets.some((t) => t.label === "QUOTE")) {
      gaps.push({ cid: span.cid, text: `Cue ${quote(span.text, 30)} is not linked to its quote.` });
    }
    if (span.label === "SOURCE" && !span.entity) {
      gaps.push({ cid: span.cid, text: `Source ${quote(span.text, 40)} is not linked to a canonical source.` });
    }
  }
  for (const stance of store.stances.values()) {
    if (!stance.evidence.length) {
      gaps.push({ cid: stance.holder_span, evidence: true,
                  text: `A stance (${stance.polarity} → ${stance.target}) has no evidence.` });
    }
  }
  return gaps;
}

export function setupDialogs(ctx) {
  const dialog = (name) => document.querySelector(`[data-dialog="${name}"]`);
  for (const button of document.querySelectorAll('[data-action="close-dialog"]')) {
    button.addEventListener("click", () => button.closest("dialog").close());
  }

  const help = dialog("help");
  ctx.toggleHelp = () => (help.open ? help.close() : help.showModal());

  // The project's rule for stances without evidence is the server's (Project.stance_evidence): where it is
  // required the dialog says so and cannot submit; elsewhere submitting from this dialog, which listed
  // them, is the annotator's confirmation.
  const submit = dialog("submit");
  const gapsBox = submit.querySelector("[data-submit-gaps]");
  const confirmButton = submit.querySelector('[data-action="confirm-submit"]');
  let missingEvidence = 0;
  ctx.openSubmit = () => {
    const gaps = findGaps(ctx.store);
    missingEvidence = gaps.filter((gap) => gap.evidence).length;
    // The required article questions: the server refuses a submit without them, so the dialog names them.
    const unanswered = missingRequired(ctx.store.project.article_questions || [], ctx.store.articleLabels);
    const blocked = (missingEvidence > 0 && ctx.store.project.stance_evidence === "required") || unanswered.length > 0;
    fill(gapsBox, gaps.length
      ? [h("p", null, `${gaps.length} thing${gaps.length === 1 ? "" : "s"} may be missing:`),
         h("ul", { class: "gaps", "data-gaps": true }, gaps.map((gap) => h("li", null, gap.cid
           ? h("button", { type: "button", class: "linklike", onclick: () => { submit.close(); ctx.select(gap.cid, { scroll: true }); } }, gap.text)
           : gap.text))),
         blocked && missingEvidence > 0 && ctx.store.project.stance_evidence === "required"
           ? h("p", { class: "field-error", "data-evidence-required": true },
               "This project requires evidence for every stance: add it before you submit.") : null]
      : h("p", { class: "ok" }, "No obvious gaps: every quote has a source and every stance has evidence."));
    if (unanswered.length) {
      gapsBox.append(h("p", { class: "field-error", "data-questions-required": true },
        `Answer the required question${unanswered.length === 1 ? "" : "s"} in the Article panel first: `
        + `${unanswered.join(", ")}.`));
    }
    confirmButton.disabled = blocked;
    submit.showModal();
  };
  confirmButton.addEventListener("click", async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      await ctx.flush();
      const body = missingEvidence ? { confirm_missing_evidence: true } : {};
      await ctx.api.request("POST", `annotations/${ctx.store.layerId}/submit/`, { body, version: ctx.store.version });
      ctx.leave(ctx.initial.urls.next);
    } catch (error) {
      submit.close();
      ctx.toast(`Not submitted: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  });

  const skip = dialog("skip");
  const skipForm = skip.querySelector("[data-skip-form]");
  const skipError = skip.querySelector("[data-skip-error]");
  ctx.openSkip = () => {
    skipError.hidden = true;
    skip.showModal();
  };
  skipForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = skipForm.elements.reason.value.trim();
    if (!reason) return;
    try {
      await ctx.flush();
      await ctx.api.request("POST", `assignments/${ctx.initial.assignment.id}/skip/`, { body: { reason } });
      ctx.leave(ctx.initial.urls.next);
    } catch (error) {
      skipError.textContent = `Not skipped: ${describeErrors(error.body) || error.message}`;
      skipError.hidden = false; // the reason stays in the box
    }
  });
}
