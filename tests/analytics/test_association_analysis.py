from sqlalchemy.orm import Session

from aftersales.analytics.association_analysis import associations
from aftersales.analytics.scope import Scope
from tests.analytics.conftest import at
from tests.builders import make_order, make_shipment, make_shop, make_ticket_row


def _parcels(session: Session) -> None:
    """圆通 parcels to 新疆 arrive late; every other parcel is on time."""
    shop = make_shop(session)
    for n in range(120):
        courier, province = [
            ("yto", "新疆维吾尔自治区"),
            ("zto", "浙江省"),
            ("yto", "浙江省"),
            ("sf", "新疆维吾尔自治区"),
        ][n % 4]
        order = make_order(session, shop=shop, province=province, ordered_at=at(1))
        late = courier == "yto" and province.startswith("新疆")
        make_shipment(
            session,
            order=order,
            courier=courier,
            tracking_no=f"AN{n:06d}",
            shipped_at=at(9),
            estimated_delivery_at=at(9, day=14),
            delivered_at=at(9, day=16 if late else 13),
        )


class TestAssociationAnalysis:
    def test_planted_courier_region_link_is_the_top_finding(
        self, session: Session, peak_scope: Scope
    ) -> None:
        _parcels(session)
        result = associations(session, peak_scope)
        assert result.findings[0].startswith("圆通 + 新疆维吾尔自治区 → 物流延误, lift 4.0")

    def test_crosstab_gives_the_exact_late_rate_of_the_courier(
        self, session: Session, peak_scope: Scope
    ) -> None:
        _parcels(session)
        table = next(t for t in associations(session, peak_scope).tables if t.key == "crosstab")
        row = next(r for r in table.rows if r[:3] == ["快递", "圆通", "物流延误"])
        assert row[3:7] == [60, 30, "50.0%", "25.0%"]

    def test_ticket_categories_are_associated_with_their_orders(
        self, session: Session, peak_scope: Scope
    ) -> None:
        shop = make_shop(session)
        for n in range(60):
            province = "新疆维吾尔自治区" if n % 2 else "浙江省"
            order = make_order(session, shop=shop, province=province)
            category = "物流问题" if province.startswith("新疆") else ["商品问题", "服务问题"][n % 4 // 2]
            make_ticket_row(session, shop=shop, order_id=order.id, created_at=at(10), category=category)
        result = associations(session, peak_scope)
        rules = next(t for t in result.tables if t.key == "ticket_rules")
        assert ["新疆维吾尔自治区", "物流问题"] in [r[:2] for r in rules.rows]

    def test_without_tickets_it_says_what_is_missing(self, session: Session, peak_scope: Scope) -> None:
        assert "范围内没有可关联订单的工单,问题分类关联未计算" in associations(session, peak_scope).missing
