"""The built-in kinds of job; importing this package registers them (registry.get does)."""
from . import agreement, claims, figures, imports, recommenders, releases, snapshots, suggestions  # noqa: F401
