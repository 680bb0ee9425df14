"""Each checkpoint on a crafted session, inspected through the real ingest path."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.qc.models import QcFinding, QcSessionResult
from tests.builders import make_chat, make_order, make_shop, make_sku

GOOD = [
    ("customer", 0, "在吗，我的快递怎么还没到"),
    ("agent", 10, "亲，您好，这边马上为您核实物流"),
    ("customer", 30, "好的"),
    ("agent", 50, "已为您联系快递加急处理，还有其他问题随时联系我们哦"),
]


def finding(session: Session, session_id: int, code: str) -> QcFinding | None:
    return session.scalar(select(QcFinding).where(QcFinding.session_id == session_id, QcFinding.code == code))


def result(session: Session, session_id: int) -> QcSessionResult:
    row = session.get(QcSessionResult, session_id)
    assert row is not None
    return row


class TestBasicService:
    def test_a_prompt_polite_session_passes_with_full_marks(self, session: Session) -> None:
        chat = make_chat(session, GOOD)
        assert (result(session, chat.id).score, result(session, chat.id).passed) == (100, True)

    def test_greeting_fails_when_the_first_replies_do_not_greet(self, session: Session) -> None:
        chat = make_chat(session, [("customer", 0, "在吗"), ("agent", 5, "说"), ("agent", 6, "什么事")])
        found = finding(session, chat.id, "greeting")
        assert found is not None
        assert found.auto_passed is False

    def test_closing_fails_when_the_last_reply_has_no_closing(self, session: Session) -> None:
        chat = make_chat(session, [("customer", 0, "在吗"), ("agent", 5, "您好"), ("agent", 8, "嗯")])
        found = finding(session, chat.id, "closing")
        assert found is not None
        assert found.auto_passed is False

    def test_first_response_over_20_seconds_fails(self, session: Session) -> None:
        chat = make_chat(session, [("customer", 0, "在吗"), ("agent", 21, "您好")])
        found = finding(session, chat.id, "first_response")
        assert found is not None
        assert (found.auto_passed, found.detail) == (False, "首响 21 秒(标准 20 秒)")

    def test_a_reply_over_60_seconds_fails_response_time(self, session: Session) -> None:
        chat = make_chat(
            session,
            [
                ("customer", 0, "在吗"),
                ("agent", 5, "您好"),
                ("customer", 20, "发货了吗"),
                ("agent", 90, "发了"),
            ],
        )
        found = finding(session, chat.id, "response_time")
        assert found is not None
        assert found.auto_passed is False

    def test_a_wait_over_three_minutes_is_a_long_silence(self, session: Session) -> None:
        chat = make_chat(
            session,
            [("customer", 0, "在吗"), ("agent", 5, "您好"), ("customer", 20, "人呢"), ("agent", 260, "在")],
        )
        found = finding(session, chat.id, "long_silence")
        assert found is not None
        assert found.auto_passed is False

    def test_rude_words_fail_with_the_phrase_as_evidence(self, session: Session) -> None:
        chat = make_chat(session, [("customer", 0, "怎么还不发货"), ("agent", 5, "爱买不买，烦不烦")])
        found = finding(session, chat.id, "banned_words")
        assert found is not None
        assert (found.auto_passed, found.evidence) == (False, "爱买不买")

    def test_an_unauthorised_promise_fails(self, session: Session) -> None:
        chat = make_chat(session, [("customer", 0, "明天能到吗"), ("agent", 5, "您好，我保证明天一定到")])
        found = finding(session, chat.id, "promise")
        assert found is not None
        assert (found.auto_passed, found.evidence) == (False, "保证")


class TestCompetence:
    def test_offering_a_solution_after_a_complaint_passes(self, session: Session) -> None:
        chat = make_chat(
            session,
            [
                ("customer", 0, "说好的配件呢，都三天了还没收到，太差了"),
                ("agent", 5, "您好，这边马上为您补发"),
            ],
        )
        found = finding(session, chat.id, "offered_solution")
        assert found is not None
        assert found.auto_passed is True

    def test_no_solution_after_a_complaint_fails(self, session: Session) -> None:
        chat = make_chat(session, [("customer", 0, "质量太差了，用两天就坏了"), ("agent", 5, "您好，亲")])
        found = finding(session, chat.id, "offered_solution")
        assert found is not None
        assert found.auto_passed is False

    def test_refusing_a_no_reason_return_the_sku_allows_is_a_wrong_policy(self, session: Session) -> None:
        shop = make_shop(session)
        sku = make_sku(session, shop=shop, no_reason_return_days=7)
        order = make_order(session, shop=shop)
        from aftersales.orders.models import OrderItem

        session.add(
            OrderItem(
                order_id=order.id, line_no=1, sku_id=sku.id, title=sku.name, quantity=1, unit_price_fen=100
            )
        )
        session.flush()
        chat = make_chat(
            session,
            [("customer", 0, "这个支持七天无理由吗"), ("agent", 5, "您好，这款不支持无理由退货")],
            shop=shop,
            order_id=order.id,
        )
        found = finding(session, chat.id, "explained_policy")
        assert found is not None
        assert (found.auto_passed, found.evidence) == (False, "不支持无理由")

    def test_a_missing_item_without_a_ticket_fails_ticket_when_needed(self, session: Session) -> None:
        chat = make_chat(
            session, [("customer", 0, "收到货少了一个配件，漏发了"), ("agent", 5, "您好，马上补发")]
        )
        found = finding(session, chat.id, "ticket_when_needed")
        assert found is not None
        assert found.auto_passed is False

    def test_linking_a_ticket_passes_ticket_when_needed(self, session: Session) -> None:
        from aftersales.conversations.service import link_ticket

        chat = make_chat(
            session, [("customer", 0, "收到货少了一个配件，漏发了"), ("agent", 5, "您好，马上补发")]
        )
        link_ticket(session, session_id=chat.id, ticket_id=123)
        found = finding(session, chat.id, "ticket_when_needed")
        assert found is not None
        assert found.auto_passed is True


class TestEmotionAndRisk:
    def test_a_customer_still_angry_at_the_end_fails_emotion_resolved(self, session: Session) -> None:
        chat = make_chat(
            session,
            [
                ("customer", 0, "你们客服态度太差了"),
                ("agent", 5, "您好"),
                ("customer", 9, "什么态度啊，太差了"),
            ],
        )
        found = finding(session, chat.id, "emotion_resolved")
        assert found is not None
        assert found.auto_passed is False

    def test_a_customer_thanking_at_the_end_passes_emotion_resolved(self, session: Session) -> None:
        chat = make_chat(
            session,
            [
                ("customer", 0, "快递太慢了"),
                ("agent", 5, "您好，已为您催促快递"),
                ("customer", 9, "好的，谢谢你"),
            ],
        )
        found = finding(session, chat.id, "emotion_resolved")
        assert found is not None
        assert found.auto_passed is True

    def test_a_threat_fails_no_risk_with_the_phrase(self, session: Session) -> None:
        chat = make_chat(session, [("customer", 0, "再不处理我就打12315"), ("agent", 5, "您好")])
        found = finding(session, chat.id, "no_risk")
        assert found is not None
        assert (found.auto_passed, found.evidence) == (False, "12315")

    def test_session_emotion_is_the_most_frequent_negative_cause(self, session: Session) -> None:
        chat = make_chat(
            session,
            [("customer", 0, "快递太慢了"), ("customer", 3, "物流一直不更新"), ("customer", 6, "谢谢")],
        )
        row = result(session, chat.id)
        assert (row.emotion_polarity, row.emotion_label, row.negative_messages) == ("negative", "物流", 2)


class TestScore:
    def test_failed_checkpoints_lower_the_score_by_their_weight(self, session: Session) -> None:
        chat = make_chat(session, [("customer", 0, "在吗"), ("agent", 30, "您好，还有其他问题随时联系")])
        row = result(session, chat.id)
        # applicable: greeting 5, closing 5, first_response 10, response_time 10, long_silence 5,
        # banned_words 15, promise 10, no_risk 10 = 70; first_response (10) failed.
        assert row.failed_checkpoints == ["first_response"]
        assert row.score == round(100 * 60 / 70)

    def test_a_session_below_the_pass_mark_fails(self, session: Session) -> None:
        chat = make_chat(session, [("customer", 0, "在吗"), ("agent", 300, "嗯")])
        assert result(session, chat.id).passed is False


def make_untimed_chat(session: Session, lines: list[tuple[str, str]]) -> int:
    """A chat as an export with only the order of messages delivers it (no send times)."""
    from aftersales.conversations.schemas import MessageIn
    from aftersales.conversations.service import ingest_messages

    shop = make_shop(session)
    rows = [
        MessageIn(
            shop_id=shop.id,
            platform=shop.platform,
            session_key="untimed",
            sender=sender,
            text=text,
            source_id=f"line-{n}",
        )
        for n, (sender, text) in enumerate(lines)
    ]
    ingest_messages(session, rows)
    chat_id = session.scalar(select(QcSessionResult.session_id).where(QcSessionResult.shop_id == shop.id))
    assert chat_id is not None
    return chat_id


class TestUntimed:
    def test_response_checkpoints_cannot_be_computed_without_times(self, session: Session) -> None:
        chat_id = make_untimed_chat(session, [("customer", "在吗"), ("agent", "您好，在的")])
        found = {
            code: finding(session, chat_id, code)
            for code in ("first_response", "response_time", "long_silence")
        }
        assert {code: (f.auto_passed, f.detail) for code, f in found.items() if f} == dict.fromkeys(
            found, (None, "无法计算: 聊天记录没有发送时间")
        )

    def test_what_cannot_be_computed_neither_passes_nor_fails(self, session: Session) -> None:
        chat_id = make_untimed_chat(session, [("customer", "在吗"), ("agent", "您好，还有其他问题随时联系")])
        row = result(session, chat_id)
        assert (row.score, row.failed_checkpoints) == (100, [])


class TestHowItEnds:
    def test_settling_after_a_complaint_passes_emotion_resolved(self, session: Session) -> None:
        chat = make_chat(
            session,
            [
                ("customer", 0, "都三天了还没发货，太慢了"),
                ("agent", 5, "抱歉，已为您催促仓库"),
                ("customer", 9, "好吧"),
                ("customer", 12, "[订单x]"),
            ],
        )
        found = finding(session, chat.id, "emotion_resolved")
        assert found is not None
        assert found.auto_passed is True

    def test_only_an_order_number_after_a_complaint_fails_emotion_resolved(self, session: Session) -> None:
        chat = make_chat(
            session,
            [
                ("customer", 0, "都三天了还没发货，太慢了"),
                ("agent", 5, "抱歉，请提供订单号"),
                ("customer", 9, "[订单x]"),
            ],
        )
        found = finding(session, chat.id, "emotion_resolved")
        assert found is not None
        assert (found.auto_passed, found.detail) == (False, "顾客不满(物流)后未见缓和")

    def test_a_closing_answer_does_not_make_the_session_negative(self, session: Session) -> None:
        chat = make_chat(
            session,
            [
                ("customer", 0, "发票怎么开"),
                ("agent", 5, "请问还有其他还可以帮到您的吗?"),
                ("customer", 9, "没有了"),
            ],
        )
        assert result(session, chat.id).emotion_polarity != "negative"
