"""`make bench`: dicomref measured side by side with the original method and the physical limits."""
