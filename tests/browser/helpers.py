"""Driving the workspace the way a person does: real mouse drags over the text, real key presses."""
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

# Where a fragment of the article text is on screen: the client rectangles of its
# first and last characters. Text nodes inside [data-article-text] hold the text
# without the line breaks between paragraphs, so a fragment within one paragraph
# is found in their concatenation.
_CHAR_BOXES = """
([fragment, occurrence]) => {
  const root = document.querySelector('[data-article-text]');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = []; let all = '';
  for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push([n, all.length]); all += n.data; }
  let at = -1;
  for (let i = 0; i <= occurrence; i++) { at = all.indexOf(fragment, at + 1); if (at < 0) return null; }
  const point = (index) => {
    for (let k = nodes.length - 1; k >= 0; k--) if (nodes[k][1] <= index) return [nodes[k][0], index - nodes[k][1]];
  };
  const box = (index, length) => {
    const [node, offset] = point(index);
    const range = document.createRange(); range.setStart(node, offset); range.setEnd(node, offset + length);
    const r = range.getClientRects()[0]; return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
  };
  const first = fragment.codePointAt(0) > 0xffff ? 2 : 1;
  const lastCode = fragment.codePointAt(fragment.length - 1);
  const last = (lastCode >= 0xdc00 && lastCode <= 0xdfff) ? 2 : 1;
  const firstBox = box(at, first), lastBox = box(at + fragment.length - last, last);
  return {first: firstBox, last: lastBox};
}
"""

# Scroll the `occurrence`-th `fragment` of the article text to the middle of the view (a long
# article holds the same words many times: the first match is not the one to drag over).
_SCROLL_TO = """
([fragment, occurrence]) => {
  const root = document.querySelector('[data-article-text]');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let all = '', at = -1, found = null;
  const nodes = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push([n, all.length]); all += n.data; }
  for (let i = 0; i <= occurrence; i++) { at = all.indexOf(fragment, at + 1); if (at < 0) return false; }
  for (const [node, start] of nodes) if (start <= at) found = node;
  found.parentElement.scrollIntoView({ block: 'center' });
  return true;
}
"""


def drag_select(page, fragment: str, *, occurrence: int = 0, rtl: bool = False):
    """Select `fragment` in the article with a mouse drag from its first to its last character."""
    page.evaluate(_SCROLL_TO, [fragment, occurrence])
    boxes = page.evaluate(_CHAR_BOXES, [fragment, occurrence])
    assert boxes, f"{fragment!r} is not in the article text"
    first, last = boxes["first"], boxes["last"]
    # Press inside the half of the first character that comes first in reading order
    # and release inside the half of the last one that comes last.
    start_x = first["right"] - 1 if rtl else first["left"] + 1
    end_x = last["left"] + 1 if rtl else last["right"] - 1
    page.mouse.move(start_x, (first["top"] + first["bottom"]) / 2)
    page.mouse.down()
    page.mouse.move(end_x, (last["top"] + last["bottom"]) / 2, steps=8)
    page.mouse.up()


def click_text(page, fragment: str, *, occurrence: int = 0):
    """Click the middle of `fragment` in the article (to select the innermost span there)."""
    boxes = page.evaluate(_CHAR_BOXES, [fragment, occurrence])
    assert boxes, f"{fragment!r} is not in the article text"
    first, last = boxes["first"], boxes["last"]
    if abs(first["top"] - last["top"]) < 2:
        x, y = (first["left"] + last["right"]) / 2, (first["top"] + first["bottom"]) / 2
    else:
        x, y = first["right"] - 1, (first["top"] + first["bottom"]) / 2
    page.mouse.click(x, y)


def wait_saved(page, timeout=10_000):
    page.wait_for_selector('[data-save-state="saved"]', timeout=timeout)


def span_locator(page, label: str, text: str):
    """The rendered span with this label whose data-start/end cover exactly `text` (its first element)."""
    return page.locator(f'[data-article-text] [data-label="{label}"]:not([data-part])').filter(has_text=text).first


def session_cookie(user, live_server_url: str) -> dict:
    """A logged-in session for `user`, as a cookie for the browser context (skips the login form)."""
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return {"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server_url}
