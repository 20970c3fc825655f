"""Inter-annotator agreement: computed from the layers, never guessed.

matching.py  one-to-one span matching (exact and overlap) within an article and label
scores.py    precision / recall / F1 from match counts, micro and macro
alpha.py     Krippendorff's alpha: nominal over stance items (the `krippendorff` package) and over
             character units of span labels (length-weighted, checked against the package in tests)
report.py    loads the layers of a project and assembles the documented report
undefined.py figures with no value (0/0) and why: null with a reason in JSON, "–" and the reason on pages
"""
