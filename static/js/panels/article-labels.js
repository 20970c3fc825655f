// Questions about the whole article (check-worthiness, topic, overall stance, a skip reason): one
// fieldset per question of the project, radio buttons for a single choice, checkboxes for a multiple
// choice, a text box for free text. An answer is saved like every change (store.setArticleLabels, sent
// through the write queue with the layer version, undoable); clearing every box of a question clears
// its answer. The panel is rebuilt only when the answers change, so typing in a box is never interrupted
// by another change's refresh.

import { fill, h } from "../dom.js";

/** The required questions without an answer, by name, in the project's order (submit is refused without them). */
export function missingRequired(questions, answers) {
  return questions.filter((q) => q.required && !answered(answers[q.name])).map((q) => q.name);
}

function answered(value) {
  if (Array.isArray(value)) return value.length > 0;
  return typeof value === "string" && value.trim() !== "";
}

/**
 * The answer a question's boxes give: a choice, the ticked choices in the question's order, or the text;
 * null (no answer) when nothing is chosen or the text is blank.
 */
export function answerOf(question, { choice = null, ticked = [], text = "" } = {}) {
  if (question.kind === "single") return question.choices.includes(choice) ? choice : null;
  if (question.kind === "multiple") {
    const chosen = question.choices.filter((c) => ticked.includes(c));
    return chosen.length ? chosen : null;
  }
  return text.trim() ? text.trim() : null;
}

export class ArticleLabelsPanel {
  constructor(panel, ctx) {
    this.panel = panel; // the <details>, hidden when the project asks no question
    this.body = panel.querySelector('[data-panel-body="article-labels"]');
    this.ctx = ctx;
    this.questions = ctx.project.article_questions || [];
    this.shown = null; // the answers (as JSON) the panel shows
    panel.hidden = !this.questions.length;
  }

  render() {
    if (!this.questions.length) return;
    const { store } = this.ctx;
    const key = JSON.stringify([store.articleLabels, this.ctx.editable]);
    this.count();
    if (key === this.shown) return;
    this.shown = key;
    fill(this.body, this.questions.map((q) => this.question(q, store.articleLabels[q.name] ?? null)));
  }

  count() {
    const answers = this.ctx.store.articleLabels;
    const done = this.questions.filter((q) => answered(answers[q.name])).length;
    this.ctx.setCount("article-labels", `${done}/${this.questions.length}`);
  }

  save(question, value) {
    this.ctx.setArticleLabels({ [question.name]: value });
  }

  question(q, value) {
    const disabled = !this.ctx.editable;
    const id = `q-${q.name}`;
    let input;
    if (q.kind === "single") {
      input = h("div", { class: "choices", role: "radiogroup", "aria-labelledby": id }, q.choices.map((choice) => h("label", { class: "choice" },
        h("input", { type: "radio", name: id, value: choice, checked: value === choice, disabled,
                     onchange: () => this.save(q, answerOf(q, { choice })) }), " ", choice)),
      !disabled && value !== null && h("button", { type: "button", class: "linklike small", "data-clear": q.name,
                                                   onclick: () => this.save(q, null) }, "clear"));
    } else if (q.kind === "multiple") {
      const ticked = () => [...this.body.querySelectorAll(`input[name="${id}"]:checked`)].map((box) => box.value);
      input = h("div", { class: "choices", role: "group", "aria-labelledby": id }, q.choices.map((choice) => h("label", { class: "choice" },
        h("input", { type: "checkbox", name: id, value: choice, checked: (value || []).includes(choice), disabled,
                     onchange: () => this.save(q, answerOf(q, { ticked: ticked() })) }), " ", choice)));
    } else {
      input = h("textarea", { name: id, rows: 2, dir: "auto", disabled, "aria-labelledby": id,
                              onchange: (event) => this.save(q, answerOf(q, { text: event.target.value })) });
      input.value = value || "";
    }
    return h("fieldset", { class: "article-question", dataset: { question: q.name, kind: q.kind } },
      h("legend", { id }, q.prompt, q.required ? h("span", { class: "required", title: "Required before submit" }, " *") : null),
      q.help_text ? h("p", { class: "muted small" }, q.help_text) : null,
      input);
  }
}
