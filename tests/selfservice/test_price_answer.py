"""The bot's 保价 answer quotes the difference returns' rule would refund, at today's catalogue price."""

from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.selfservice import bot
from tests.builders import make_order, make_order_item, make_shop, make_sku
from tests.builders.returns import make_price_rule


def dropped(session: Session, shop: Shop, *, now_fen: int) -> int:
    """An order of two 乳胶枕 bought at ¥199 each; the catalogue price is ``now_fen`` today."""
    make_sku(session, shop=shop, code="PILLOW", name="乳胶枕", price_fen=now_fen)
    order = make_order(session, shop=shop, paid_fen=39_800, total_fen=39_800)
    make_order_item(
        session, order=order, sku_code="PILLOW", title="乳胶枕", quantity=2, unit_price_fen=19_900
    )
    return order.id


class TestPriceProtectionAnswer:
    def test_the_answer_quotes_the_computed_difference(self, session: Session) -> None:
        shop = make_shop(session)
        order_id = dropped(session, shop, now_fen=16_900)
        make_price_rule(session, shop_id=shop.id)
        reply = bot.ask(session, text="买完就降价了能保价吗", session_key="pp1", order_id=order_id)
        assert "合计可退差价 ¥60.00" in reply.answer

    def test_without_a_rule_the_answer_says_so(self, session: Session) -> None:
        shop = make_shop(session)
        order_id = dropped(session, shop, now_fen=16_900)
        reply = bot.ask(session, text="买完就降价了能保价吗", session_key="pp2", order_id=order_id)
        assert "本店未开通保价服务" in reply.answer
