"""Worker subprocess for the fault tests: the real inline runner, plus the suite's test jobs."""

import logging

import tests.reliability.scan_jobs  # noqa: F401  (registers test.findings_scan)
from aftersales.jobs.worker import run_inline

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    run_inline(poll_seconds=0.2)
