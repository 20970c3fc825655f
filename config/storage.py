"""Static files for production: hashed, compressed, and ES module imports rewritten to hashed names.

Without the aggregation, `import ... from "./api.js"` inside a module would fetch the unhashed
file (and a stale one after a release), while the page preloads the hashed one.
"""
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
