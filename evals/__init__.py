"""Evaluation harness: answer a QA dataset with the real pipeline, score it, and report.

Scoring is pure and model-free so reports can be recomputed from saved predictions:
``normalise`` (text -> tokens, on the product's language rules in ``rag.text``) -> ``metrics`` (answer
match, F1, abstention, language, retrieval, citations) -> ``scoring`` (one row) -> ``aggregate`` (every
slice; ``run_meta`` names the commit and machine) -> ``render`` / ``plots`` (report folder) and
``compare`` (two reports). The runner (``evals.runner``) is the only part that loads models.
"""
