"""Statistics that have no value, and why.

Precision with nothing compared, F1 with nothing on either side, alpha or kappa
when every value is the same category: each is 0/0. A number standing in for
0/0 (it used to be 1.0) reads as perfect agreement on a label nobody used, so
such a statistic is an `Undefined` carrying its reason. In JSON it becomes
null, and the object holding it gets an "undefined" key mapping the
statistic's name to the reason (docs/agreement.md); the pages show "–" and the
reason.
"""
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

NO_ITEMS = "no items"  # nothing to compare, or nothing to average
NO_COMPARED_ITEMS = "no compared items"  # precision (matched / b) when b, the compared side, has none
NO_REFERENCE_ITEMS = "no reference items"  # recall (matched / a) when a, the reference side, has none
ONE_CATEGORY = "one category only"  # alpha, kappa: every value is the same, expected disagreement is 0
REASONS = (NO_ITEMS, NO_COMPARED_ITEMS, NO_REFERENCE_ITEMS, ONE_CATEGORY)


@dataclass(frozen=True)
class Undefined:
    """The value of a statistic whose formula is 0/0. Not a number: arithmetic on it fails loudly."""

    reason: str


Value = float | Undefined


def rounded(value: Value, digits: int = 6) -> Value:
    return value if isinstance(value, Undefined) else round(value, digits)


def mean(values: Iterable[Value]) -> Value:
    """The mean of the defined values, skipping undefined ones.

    Undefined when none is defined: with the reason they share, else (nothing at all, or
    mixed reasons) "no items" to average.
    """
    values = list(values)
    defined = [value for value in values if not isinstance(value, Undefined)]
    if defined:
        return sum(defined) / len(defined)
    reasons = {value.reason for value in values}
    return Undefined(reasons.pop() if len(reasons) == 1 else NO_ITEMS)


def _split(value):
    """(the JSON value, its reason or None); a mapping of values (alpha per label) gives a mapping of reasons."""
    if isinstance(value, Undefined):
        return None, value.reason
    if isinstance(value, Mapping) and any(isinstance(item, Undefined) for item in value.values()):
        return ({key: None if isinstance(item, Undefined) else item for key, item in value.items()},
                {key: item.reason for key, item in value.items() if isinstance(item, Undefined)})
    return value, None


def as_json(**fields) -> dict:
    """The fields as a JSON object: an Undefined becomes null and its reason goes under "undefined".

    as_json(f1=Undefined("no items"), support=0) == {"f1": None, "support": 0, "undefined": {"f1": "no items"}};
    a field that is a mapping of values (alpha per label) gets a mapping of reasons for its null entries.
    "undefined" is there only when something is.
    """
    out, reasons = {}, {}
    for name, value in fields.items():
        out[name], reason = _split(value)
        if reason is not None:
            reasons[name] = reason
    if reasons:
        out["undefined"] = reasons
    return out
