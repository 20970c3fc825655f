"""{% score %}: an agreement figure as the pages show it, a number or "–" with the reason it has none.

The report (annotate.agreement.report) gives an undefined figure as null and its reason under the holding
object's "undefined" key; this tag reads both, so no template guesses what a missing number means.
"""
from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def score(holder, name, key=None, digits=2):
    """holder[name] (or holder[name][key], for alpha per label) to `digits` places, else "–" and the reason."""
    holder = holder if isinstance(holder, dict) else {}
    value, reason = holder.get(name), holder.get("undefined", {}).get(name)
    if key is not None:
        value = value.get(key) if isinstance(value, dict) else None
        reason = reason.get(key) if isinstance(reason, dict) else None
    if value is not None:
        return floatformat(value, digits)
    if reason is None:
        return "–"
    return format_html('<span class="undefined" data-undefined="{}">–<small class="muted"> {}</small></span>',
                       reason, reason)
