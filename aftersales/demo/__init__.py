"""Deterministic generator of a realistic promotion (pre-sale, peak day, 14-day after-sales window)."""
