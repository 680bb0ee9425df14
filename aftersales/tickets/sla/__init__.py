"""SLA clocks: ``hours`` (business-time arithmetic, no database) and ``service`` (a ticket's
deadlines set when a clock starts, pauses, resumes or reopens)."""
