"""Assisted annotation: recommenders propose, annotators accept or reject (docs/suggestions.md).

  base.py         what a recommender is given and answers, as plain data (Document, Guesses, ...)
  registry.py     the recommenders there are, by kind (@register)
  recommenders/   attribution (rules: quotes, cues, sources in en/fr/ar), string_match (learned strings),
                  tagger (scikit-learn, the model in the loop), external (JSON over HTTP)
  vocabulary.py   a project's vocabulary as recommenders see it and as storing needs it
  storing.py      a recommender's answer checked and stored, replacing its earlier suggestions
  running.py      run and train recommenders over a project or one article (command, job, workspace)
  reading.py      an article's suggestions as shown: without what a person decided or holds already
  keys.py         a suggestion's key: what it proposes, so decisions outlive a new run
  protocol.py     the external recommenders' protocol: what is sent, and every answer checked whole
  deciding.py     accept (through the normal write path, with provenance) and reject
  evaluation.py   each recommender's precision, recall and F1 per label against the layers; acceptance
  uncertainty.py  an article's uncertainty: the key of the active-learning queue order
  textnorm.py     text folded for matching (case, spaces, Arabic letter forms), with offsets back
"""
