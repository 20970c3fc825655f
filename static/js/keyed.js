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
