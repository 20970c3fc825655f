"""The built-in kinds of job; importing this package registers them (registry.get does)."""
from . import agreement, figures, imports, recommenders, releases, snapshots, suggestions  # noqa: F401
