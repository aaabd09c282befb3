"""Aggregate stage: examples per attribute with provenance, and coverage of the standard."""

from dicomref.aggregate.runner import AggregateOptions, AggregateProgress, aggregate, aggregate_to_file
from dicomref.aggregate.schema import Aggregate, load_aggregate

__all__ = [
    "Aggregate",
    "AggregateOptions",
    "AggregateProgress",
    "aggregate",
    "aggregate_to_file",
    "load_aggregate",
]
