"""The annotator's pages: login and account, My work, the next-article hook and the workspace.

Views stay thin: access goes through annotate.access, writes through the
services; the workspace page only hands its initial state to the ES modules
under static/js, which read and write through the REST API.
"""
