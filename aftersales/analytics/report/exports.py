"""The 复盘 report as PDF (WeasyPrint over the same HTML as the console) and every table as Excel."""

import io
from typing import Any

from aftersales.analytics.report.service import Report
from aftersales.kit.cells import export_cell
from aftersales.web.render import templates

PDF_CSS = """
@page { size: A4; margin: 14mm 12mm;
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; } }
body { font-family: "Noto Sans CJK SC", "Noto Sans CJK JP", sans-serif; font-size: 9pt; color: #111; }
h1 { font-size: 16pt; }
h2 { font-size: 12pt; border-bottom: 1px solid #999; margin-top: 14pt; page-break-after: avoid; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt; page-break-inside: auto; }
th, td { border: 1px solid #ccc; padding: 2pt 4pt; text-align: left; }
th { background: #f1f5f9; } .missing { color: #b45309; } svg { width: 100%; height: auto; }
a { color: inherit; text-decoration: none; }
"""


def render_html(report: Report, *, standalone: bool = True) -> str:
    """The report page without the console chrome; the PDF is printed from exactly this HTML."""
    template = templates().env.get_template("analytics/report_print.html")
    return template.render(report=report, css=PDF_CSS, standalone=standalone)


def to_pdf(report: Report) -> bytes:
    from weasyprint import HTML

    pdf = HTML(string=render_html(report)).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def _sheet_name(title: str, used: set[str]) -> str:
    """Excel allows 31 characters and no []:*?/\\ in a sheet name; names must be unique."""
    base = "".join(c for c in title if c not in "[]:*?/\\")[:28] or "表"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:26]}-{n}", n + 1
    used.add(name)
    return name


def _cell_value(value: Any) -> Any:
    """Numbers stay numbers (so sums work in Excel); anything else is written as its text."""
    return value if value is None or isinstance(value, int | float) else str(value)


def to_excel(report: Report) -> bytes:
    """One sheet per table of every section (its rows, then its definition as 口径 when it has
    one), after a sheet with the scope and missing inputs and one with every section's 归因及提升
    (causes and the proposed action as the lead left it)."""
    from openpyxl import Workbook  # imported when a workbook is made, not when the console starts
    from openpyxl.styles import Font

    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = "说明"
    summary.append(["复盘报告", export_cell(report.scope.label())])
    summary.append(["生成时间", report.generated_at])
    for line in report.missing:
        summary.append(["缺少的输入", export_cell(line)])
    used = {"说明"}
    attribution = workbook.create_sheet(_sheet_name("归因及提升", used))
    attribution.append(["部分", "类型", "内容"])
    for section in report.sections:
        for line in section.causes:
            attribution.append([export_cell(section.title), "归因", export_cell(line)])
        if section.action:
            attribution.append([export_cell(section.title), "提升建议", export_cell(section.action)])
    for section, table in report.tables():
        sheet = workbook.create_sheet(_sheet_name(table.title, used))
        sheet.append([export_cell(section.title)])
        sheet.append([export_cell(c) for c in table.columns])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([export_cell(_cell_value(v)) for v in row])
        if table.note:  # the definition the page prints under the table travels with its numbers
            sheet.append([])
            sheet.append(["口径", export_cell(table.note)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
