// The "acceptSuggestions" op as the store applies, checks and describes it. The op (built by
// suggestions.js acceptChange) is one API call that makes several items: the spans, relations and
// stances it lists under fresh cids, reusing the spans marked `held` (the layer has them already:
// same label and offsets, which the server reuses too). sending.js posts its `body` to the accept
// endpoint through the write queue; the answer gives the made items' server ids (recordAccepted).
// No imports: store.js uses these, and suggestions.js needs store.js.

/** The plain add ops the accept stands for, in the order the store can apply them. */
export function madeBy(op) {
  return [
    ...op.spans.filter((s) => !s.held).map((s) => ({ op: "addSpan", ...s })),
    ...op.relations.filter((r) => !r.held).map((r) => ({ op: "addRelation", ...r })),
    ...op.stances.map((s) => ({ op: "addStance", ...s })),
  ];
}

/** Its new items are not in `store` yet, and the spans it reuses or links are. */
export function canAccept(store, op) {
  const spans = new Set([...store.spans.keys(), ...op.spans.filter((s) => !s.held).map((s) => s.cid)]);
  return op.spans.every((s) => (s.held ? store.spans.has(s.cid) : !store.spans.has(s.cid)))
    && op.relations.every((r) => (r.held || !store.relations.has(r.cid)) && spans.has(r.from) && spans.has(r.to))
    && op.stances.every((s) => !store.stances.has(s.cid) && (!s.holder_span || spans.has(s.holder_span))
      && s.evidence.every((c) => spans.has(c)));
}

/**
 * Whether the layer holds what the accept makes, by content: after a reload its items come back
 * under the server's client ids, not this page's cids, so a test by cid would re-apply an accept
 * the server already made (the re-sent request would be answered as a replay, but the page would
 * show its spans twice until the next reload).
 */
export function holdsAccepted(store, op) {
  const find = (s) => s && [...store.spans.values()].find((o) => o.label === s.label && o.start === s.start && o.end === s.end);
  const here = (cid) => find(op.spans.find((s) => s.cid === cid))?.cid;
  return op.spans.every((s) => find(s))
    && op.relations.every((r) => [...store.relations.values()].some((o) => o.type === r.type
      && o.from === here(r.from) && o.to === here(r.to)))
    && op.stances.every((s) => [...store.stances.values()].some((o) => o.target === s.target
      && o.polarity === s.polarity && (o.holder_span ?? null) === (s.holder_span ? here(s.holder_span) : null)
      && (o.holder_entity ?? null) === (s.holder_entity ?? null)));
}

/**
 * The API answered the accept with the items as the layer shows them: record each one's server id
 * under the op's cid (matched by content: the answer does not know this page's cids), and alias its
 * client id to that cid, so a reload keys it by the same cid.
 */
export function recordAccepted(store, op, answer) {
  const record = (cid, item) => {
    if (!cid) return;
    store.recordId(cid, item.id);
    if (item.client_id && item.client_id !== cid) store.aliases.set(item.client_id, cid);
  };
  // Spans first: the relations and stances are matched by their spans' server ids.
  for (const item of answer.spans || []) {
    record(op.spans.find((s) => s.label === item.label && s.start === item.start && s.end === item.end)?.cid, item);
  }
  for (const item of answer.relations || []) {
    record(op.relations.find((r) => r.type === item.type && store.ids.get(r.from) === item.from_span
      && store.ids.get(r.to) === item.to_span)?.cid, item);
  }
  for (const item of answer.stances || []) {
    record(op.stances.find((s) => s.target === item.target && s.polarity === item.polarity && !store.ids.has(s.cid)
      && (s.holder_span ? store.ids.get(s.holder_span) === item.holder_span : !item.holder_span))?.cid, item);
  }
}

/** For the save list and the conflict banner. */
export function describeAccepted(op) {
  const spans = op.spans.filter((s) => !s.held).map((s) => `${s.label} “${(s.text || "").slice(0, 40)}”`);
  const links = op.relations.length + op.stances.length;
  const parts = [...spans, links ? `${links} link${links === 1 ? "" : "s"}` : ""].filter(Boolean);
  return `Accept suggested ${parts.join(", ") || "items"}`;
}
