"""Shifts, the roster and the handoff register (交接登记): ``service`` (who is on duty, who takes
over), ``handoff`` (the set-based register at each shift's end), ``repository`` (their queries)."""
