// A list redrawn by key: the side panels' lists (relations, sources, stances) hold an item per
// relation or stance, thousands on a long article, and rebuilding them all on every change cost
// more than the change itself (style and layout of tens of thousands of new elements). Here an
// item whose key is unchanged keeps its element; only new keys are built, gone ones removed, and
// the others moved only when the order changed. The key must name everything the item shows and
// every value its handlers use, so a kept element is never stale.

const lists = new WeakMap(); // list element -> key -> the item's element

/** Make `list`'s children the elements of `items`, in order: built by `build(item)` for a new key. */
export function keyedChildren(list, items, keyOf, build) {
  const before = lists.get(list) || new Map();
  const now = new Map();
  const wanted = items.map((item) => {
    const key = keyOf(item);
    if (now.has(key)) return build(item); // the same key twice: the second one is not kept by key
    const node = before.get(key) || build(item);
    now.set(key, node);
    return node;
  });
  lists.set(list, now);
  const keep = new Set(wanted);
  for (const child of [...list.childNodes]) if (!keep.has(child)) child.remove();
  let cursor = list.firstChild;
  for (const node of wanted) {
    if (node === cursor) cursor = cursor.nextSibling;
    else list.insertBefore(node, cursor);
  }
}

const limits = new WeakMap(); // list element -> how many of its items are shown

/**
 * The first items of a long list: `page` of them at first, `page` more each time the "Show more"
 * button after the list is pressed (it calls `redraw`). Even kept by key, a list of thousands of
 * elements costs style and layout at opening and walking on every redraw, and is not read past its
 * first screens: an item is found from the text (a click selects a span, the inspector shows its links).
 */
export function shownItems(list, items, page, redraw) {
  const limit = limits.get(list) || page;
  const next = list.nextElementSibling;
  let more = next && next.dataset.showMore !== undefined ? next : null;
  if (items.length <= limit) {
    if (more) more.remove();
    return items;
  }
  if (!more) {
    more = list.ownerDocument.createElement("button");
    more.type = "button";
    more.className = "btn btn-small";
    more.dataset.showMore = "";
    list.after(more);
  }
  const rest = items.length - limit;
  more.textContent = `Show ${Math.min(rest, page)} more (${rest} not shown)`;
  more.onclick = () => {
    limits.set(list, limit + page);
    redraw();
  };
  return items.slice(0, limit);
}
