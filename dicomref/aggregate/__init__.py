"""Aggregate stage: examples per attribute with provenance, and coverage of the standard."""

from dicomref.aggregate.runner import AggregateOptions, AggregateProgress, aggregate, aggregate_to_file

__all__ = ["AggregateOptions", "AggregateProgress", "aggregate", "aggregate_to_file"]
