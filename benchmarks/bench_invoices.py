"""Issue 22: what issuing one electronic invoice costs with the local provider (WeasyPrint, CJK
font), the part of 开具 and 重开 that dominates the request, and the size of the PDF kept per
invoice. The first render loads the fonts; the figure is the median after it.
"""

import time
from datetime import UTC, datetime

from aftersales.selfservice.invoice_provider import InvoiceDraft, InvoiceLine, LocalPdfProvider
from benchmarks.figures import Figure, median_seconds

LINES = (
    InvoiceLine("记忆棉坐垫 加厚款", 2, 12_900, 25_800),
    InvoiceLine("乳胶枕 标准款", 1, 19_900, 19_900),
    InvoiceLine("折扣", 1, -3_000, -3_000),
)


def _draft(sequence: int) -> InvoiceDraft:
    return InvoiceDraft(
        request_id=1,
        sequence=sequence,
        order_no="B0001",
        seller="基准店铺旗舰店",
        invoice_type="company",
        title="杭州某某科技有限公司",
        tax_id="91350100M000100Y43",
        lines=LINES,
        amount_fen=sum(line.amount_fen for line in LINES),
        issued_at=datetime.now(UTC),
    )


def run(full: bool) -> list[Figure]:
    provider = LocalPdfProvider()
    started = time.perf_counter()
    size = len(provider.issue(_draft(1)).pdf)
    first = time.perf_counter() - started
    repeats = 20 if full else 5
    median = median_seconds(lambda: provider.issue(_draft(2)), repeats=repeats)
    return [
        Figure("invoice PDF, first in a process", first * 1000, "ms", note="loads the CJK font"),
        Figure("invoice PDF, median", median * 1000, "ms", "< 1000 ms", f"{repeats} renders, 3 lines"),
        Figure("invoice PDF size", size / 1024, "KiB", note="kept in invoices.pdf"),
    ]
