"""The built-in kinds of job; importing this package registers them (registry.get does)."""
from . import agreement, figures, imports, releases, snapshots, suggestions  # noqa: F401
