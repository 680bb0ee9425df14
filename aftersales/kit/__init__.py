"""Shared plumbing: errors, time, portable column types, pagination, masking, bulk upsert, events."""
