// A small DOM for the node tests of the modules that build the article's elements (render.js):
// elements, text nodes, attributes, dataset, style properties and a text-node walker. Only what
// those modules use; installed on globalThis by installDom().

const TEXT_NODE = 3;
const ELEMENT_NODE = 1;

class FakeNode {
  constructor() {
    this.parentNode = null;
    this.childNodes = [];
  }

  get parentElement() {
    return this.parentNode instanceof FakeElement ? this.parentNode : null;
  }

  get textContent() {
    return this.childNodes.map((child) => child.textContent).join("");
  }

  append(...nodes) {
    for (const node of nodes) {
      const child = typeof node === "string" ? new FakeText(node) : node;
      if (child.parentNode) child.parentNode.childNodes.splice(child.parentNode.childNodes.indexOf(child), 1);
      child.parentNode = this;
      this.childNodes.push(child);
    }
  }

  replaceChildren(...nodes) {
    for (const child of this.childNodes) child.parentNode = null;
    this.childNodes = [];
    this.append(...nodes);
  }

  get firstChild() {
    return this.childNodes[0] ?? null;
  }

  get nextSibling() {
    if (!this.parentNode) return null;
    const siblings = this.parentNode.childNodes;
    return siblings[siblings.indexOf(this) + 1] ?? null;
  }

  insertBefore(node, before) {
    if (node.parentNode) node.parentNode.childNodes.splice(node.parentNode.childNodes.indexOf(node), 1);
    node.parentNode = this;
    const at = before ? this.childNodes.indexOf(before) : this.childNodes.length;
    this.childNodes.splice(at, 0, node);
    return node;
  }

  remove() {
    if (!this.parentNode) return;
    this.parentNode.childNodes.splice(this.parentNode.childNodes.indexOf(this), 1);
    this.parentNode = null;
  }

  contains(node) {
    for (let n = node; n; n = n.parentNode) if (n === this) return true;
    return false;
  }
}

class FakeText extends FakeNode {
  constructor(data) {
    super();
    this.nodeType = TEXT_NODE;
    this.data = data;
  }

  get textContent() {
    return this.data;
  }
}

class FakeElement extends FakeNode {
  constructor(tag) {
    super();
    this.nodeType = ELEMENT_NODE;
    this.tagName = tag.toUpperCase();
    this.attributes = new Map();
    const element = this;
    this.dataset = new Proxy({}, {
      get: (_, key) => element.getAttribute(`data-${dashed(key)}`) ?? undefined,
      set: (_, key, value) => {
        element.setAttribute(`data-${dashed(key)}`, value);
        return true;
      },
      has: (_, key) => element.hasAttribute(`data-${dashed(key)}`),
    });
    const properties = new Map();
    this.style = { setProperty: (k, v) => properties.set(k, String(v)), getPropertyValue: (k) => properties.get(k) ?? "" };
  }

  get children() {
    return this.childNodes.filter((child) => child instanceof FakeElement);
  }

  get className() {
    return this.getAttribute("class") ?? "";
  }

  set className(value) {
    this.setAttribute("class", value);
  }

  setAttribute(name, value) {
    this.attributes.set(name, String(value));
  }

  getAttribute(name) {
    return this.attributes.has(name) ? this.attributes.get(name) : null;
  }

  hasAttribute(name) {
    return this.attributes.has(name);
  }

  addEventListener() {}

  /** Only class selectors (".ann"): what render.js asks for. */
  querySelectorAll(selector) {
    if (!/^\.[\w-]+$/.test(selector)) throw new Error(`the fake DOM knows only class selectors, not ${selector}`);
    return this.descendants((el) => el.className.split(" ").includes(selector.slice(1)));
  }

  /** Elements below this one (depth first) that `test` accepts. */
  descendants(test = () => true) {
    const found = [];
    const walk = (node) => {
      for (const child of node.children) {
        if (test(child)) found.push(child);
        walk(child);
      }
    };
    walk(this);
    return found;
  }
}

const dashed = (key) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The text nodes under `root` in document order. */
export function textNodes(root) {
  const found = [];
  const walk = (node) => {
    for (const child of node.childNodes) {
      if (child.nodeType === TEXT_NODE) found.push(child);
      else walk(child);
    }
  };
  walk(root);
  return found;
}

export function installDom() {
  globalThis.Node = { TEXT_NODE, ELEMENT_NODE };
  globalThis.Element = FakeElement;
  globalThis.NodeFilter = { SHOW_TEXT: 4 };
  globalThis.document = {
    createElement: (tag) => new FakeElement(tag),
    createTextNode: (data) => new FakeText(data),
    createTreeWalker(root) {
      const nodes = textNodes(root);
      let i = -1;
      return { nextNode: () => nodes[++i] ?? null };
    },
  };
}
