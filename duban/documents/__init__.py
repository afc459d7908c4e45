"""Documents: the reports and pages that plans are decomposed from."""
