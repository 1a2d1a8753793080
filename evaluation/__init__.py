"""Evaluation: eval-set formats, metrics, the runner and its report."""
