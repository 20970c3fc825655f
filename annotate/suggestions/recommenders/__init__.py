"""The built-in recommenders; importing this package registers them."""
from . import attribution, external, string_match, tagger  # noqa: F401
