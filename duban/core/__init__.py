"""Shared machinery: the audited base model, the append-only audit log, jobs, backup."""
