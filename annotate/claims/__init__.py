"""Claim matching (issue 15): claims that say the same thing, across articles, grouped into clusters.

  clustering.py   the core over plain data, no database: ClaimText in, Cluster out. Texts folded for
                  matching, TF-IDF over word 1-2-grams and character 3-5-grams (or an embedder's
                  vectors), pairs above a cosine threshold found without an n x n matrix (blocking by
                  rare words beyond 2,000 claims), then merged by average linkage so that clusters
                  do not chain; the representative is the medoid. configured_embedder() loads an
                  installed sentence-transformers model named by a setting, never downloading one.
  computing.py    a project's clusters computed again (the `claims` job, `cluster_claims`): the corpus's
                  CLAIM and QUOTE spans read in keyset batches, clustered, the reviewers' decisions applied,
                  ids kept by member overlap, written in one transaction (docs/claims.md)
  curation.py     a reviewer's merge, split and move: applied at once, remembered as ClaimLink decisions
  reading.py      a page of clusters with members, sources, stances and months in a fixed number of queries
"""
