// Sending one op to the API: the store builds and applies ops (store.js), the
// WriteQueue sends them in order and retries (api.js), and this turns an op
// into the API call it stands for.
//
// Ops name items by cid; the API by server id. A cid's server id is known once
// its create was answered (store.recordId), so an op that refers to an item
// whose own create was refused cannot be sent (store.serverId throws, and the
// queue reports the change as not saved). A create sends the op's client_id
// (store.stamp gave it one before it was queued), so a retry whose first try
// reached the server gets the stored item back (200, Idempotent-Replayed) and
// records the same server id.

/** Send `op` to the layer's API as of `version`; resolves to the API's answer (with `annotation_version`). */
export async function sendOp(api, store, op, version) {
  const base = `annotations/${store.layerId}/`;
  const id = (cid) => (cid === null || cid === undefined ? null : store.serverId(cid));
  const write = (method, path, body) => api.request(method, base + path, { body, version });
  const created = (answer) => {
    store.recordId(op.cid, answer.id);
    return answer;
  };
  const deleted = (answer) => {
    store.forget(op.cid);
    return answer;
  };
  switch (op.op) {
    case "addSpan": {
      // A span of several pieces (re-created by undoing its delete) is posted by its pieces instead of
      // its bounds; its text is the pieces' texts joined by one space, as the API keeps it.
      const where = op.fragments?.length > 1 ? { fragments: op.fragments } : { start: op.start, end: op.end };
      return created(await write("POST", "spans/", {
        client_id: op.client_id, label: op.label, ...where, text: op.text, entity: op.entity ?? null,
        attributes: op.attributes || {} }));
    }
    case "patchSpan":
      return write("PATCH", `spans/${id(op.cid)}/`, { ...op.changes });
    case "deleteSpan":
      return deleted(await write("DELETE", `spans/${id(op.cid)}/`));
    case "addRelation":
      return created(await write("POST", "relations/", {
        client_id: op.client_id, type: op.type, from_span: id(op.from), to_span: id(op.to) }));
    case "deleteRelation":
      return deleted(await write("DELETE", `relations/${id(op.cid)}/`));
    case "addStance":
      return created(await write("POST", "stances/", { client_id: op.client_id,
        holder_span: id(op.holder_span), holder_entity: op.holder_entity ?? null, target: op.target,
        polarity: op.polarity, explicit: op.explicit !== false, evidence: (op.evidence || []).map(id) }));
    case "patchStance": {
      const changes = { ...op.changes };
      if ("holder_span" in changes) changes.holder_span = id(changes.holder_span);
      if ("evidence" in changes) changes.evidence = changes.evidence.map(id);
      return write("PATCH", `stances/${id(op.cid)}/`, changes);
    }
    case "deleteStance":
      return deleted(await write("DELETE", `stances/${id(op.cid)}/`));
    case "setArticleLabels":
      // The answers it names (null clears one); the others stay. Sending the same answers again is a no-op.
      return write("PUT", "article-labels/", { article_labels: op.changes });
    case "acceptSuggestions": {
      // Suggestions by id, with the layer version like every write: a retry re-sends the same body and
      // the server answers the items it made the first time (200, Idempotent-Replayed).
      const answer = await write("POST", "suggestions/accept/", op.body);
      store.recordAccepted(op, answer);
      return answer;
    }
    default:
      throw new Error(`unknown change ${op.op}`);
  }
}
