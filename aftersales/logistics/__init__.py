"""Logistics follow-up: anomaly rules and scan, restricted regions, refund interception, care."""
