"""Tickets (工单): taxonomy, status machine, SLA clocks, shifts and handoff, routing, closed loop."""
