"""Logistics' domain errors."""

from aftersales.kit.errors import AftersalesError


class RegionImportError(AftersalesError):
    """An uploaded restricted-region file with bad rows: nothing of it is stored."""

    status_code = 422

    def __init__(self, errors: list[tuple[int, str, str]]) -> None:
        rows = ";".join(f"第 {number} 行 {column}: {reason}" for number, column, reason in errors)
        super().__init__(f"{len(errors)} 行有误,未导入任何数据:{rows}")
        self.errors = errors
