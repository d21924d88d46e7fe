"""Evaluation harness: answer a QA dataset with the real pipeline, score it, and report.

Scoring (``evals.scoring``) is pure and model-free so reports can be recomputed from saved predictions;
the runner (``evals.runner``) is the only part that loads models.
"""
