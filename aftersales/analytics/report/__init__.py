"""The 复盘 report of a date range (a promotion): its sections, and its PDF and Excel exports."""
