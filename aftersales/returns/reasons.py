"""Reason codes of return requests, mapped to the ticket taxonomy (seed 004).

Quality and seller-fault reasons mean the seller pays return shipping and no retention is
attempted; non-quality reasons are where retention (挽留) applies.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    category: str
    subcategory: str
    is_quality: bool
    misuse_likely: bool = False


REASONS: dict[str, Reason] = {
    r.code: r
    for r in (
        Reason("damaged", "商品破损", "商品问题", "质量问题", True),
        Reason("defective", "功能故障", "商品问题", "质量问题", True),
        Reason("flaw", "做工瑕疵", "商品问题", "质量问题", True),
        Reason("not_as_described", "描述不符(尺寸/颜色/材质/功能)", "商品问题", "描述不符", True),
        Reason("wrong_item", "错发", "商品问题", "错发漏发", True),
        Reason("missing_item", "漏发/少件", "商品问题", "错发漏发", True),
        Reason("transit_damage", "运输途中破损", "物流问题", "运输破损", True),
        Reason("not_expected", "效果不符预期", "商品问题", "主观不满意", False, misuse_likely=True),
        Reason("not_fit", "不合适(尺寸/款式)", "商品问题", "主观不满意", False),
        Reason("usage_trouble", "不会使用/使用效果差", "商品问题", "主观不满意", False, misuse_likely=True),
        Reason("no_reason", "七天无理由", "商品问题", "主观不满意", False),
        Reason("changed_mind", "拍错/不想要了", "其他", "其他", False),
        Reason("other", "其他", "其他", "其他", False),
    )
}


def reason(code: str) -> Reason:
    """The reason for a code; unknown codes are refused by the schema before they reach here."""
    return REASONS[code]


def label(code: str) -> str:
    found = REASONS.get(code)
    return found.label if found else code


def is_product_fault(code: str) -> bool:
    """A fault of the product itself (seed 004: 确实是产品问题), where the 300 % tier may apply."""
    found = REASONS.get(code)
    return found is not None and found.subcategory in ("质量问题", "描述不符")
