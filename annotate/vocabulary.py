"""The default label set every new project starts with."""
from dataclasses import dataclass


@dataclass(frozen=True)
class LabelSpec:
    name: str
    color: str
    hotkey: str
    description: str


@dataclass(frozen=True)
class RelationSpec:
    name: str
    from_label: str | None
    to_label: str | None
    description: str


# Hotkeys avoid `a` (the workspace's "attribute to" gesture) and `?` (help).
DEFAULT_LABELS = (
    LabelSpec("CLAIM", "#f4a261", "c", "A checkable statement presented as fact or opinion."),
    LabelSpec("SOURCE", "#2a9d8f", "s", "Who says it: a person, ministry, government or outlet."),
    LabelSpec("QUOTE", "#e9c46a", "q", "Words attributed to a source, direct or reported."),
    LabelSpec("CUE", "#8ecae6", "u", 'The verb or phrase introducing a quote ("said", "told reporters").'),
    LabelSpec("STANCE_EVIDENCE", "#b5838d", "e", "Text that shows a holder's position on a target."),
)

DEFAULT_RELATIONS = (
    RelationSpec("ATTRIBUTED_TO", "QUOTE", "SOURCE", "The quote is attributed to this source."),
    RelationSpec("CUE_OF", "CUE", "QUOTE", "The cue introduces this quote."),
    RelationSpec("CLAIMED_BY", "CLAIM", "SOURCE", "The claim is made by this source."),
)

DEFAULT_POLARITIES = (("favor", "#2a9d8f"), ("against", "#e76f51"), ("neutral", "#8d99ae"))

# A palette for labels a file brings that the defaults do not know.
EXTRA_COLORS = ("#90be6d", "#577590", "#f9c74f", "#f94144", "#43aa8b", "#9b5de5", "#00bbf9", "#fee440")
