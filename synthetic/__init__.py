"""Made-up data for the test suite and the benchmarks: a deterministic annotated corpus in the
interchange shape (corpus.py) and builders of single model rows with sensible defaults (builders.py).

Both the tests and the benchmarks use it, and neither imports the other; nothing here is used by the
running application.
"""
