"""Rules compiled once from the standard (Types, conditions, value sets, VR and VM), and one engine that
evaluates them over a file read by pydicom or a scraped record."""
