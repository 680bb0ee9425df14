from datetime import UTC, datetime, timedelta

from aftersales.conversations.metrics import Turn, compute
from aftersales.conversations.models import Handling, Sender

T0 = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)


def turns(*lines: tuple[str, int]) -> list[Turn]:
    return [Turn(Sender(sender), T0 + timedelta(seconds=seconds)) for sender, seconds in lines]


class TestFirstResponse:
    def test_is_the_first_agent_reply_after_the_customers_first_message(self) -> None:
        result = compute(turns(("customer", 0), ("customer", 10), ("agent", 25)))
        assert result.first_response_seconds == 25

    def test_ignores_bot_replies_before_the_agent(self) -> None:
        result = compute(turns(("customer", 0), ("bot", 2), ("customer", 30), ("agent", 90)))
        assert result.first_response_seconds == 90

    def test_is_none_when_only_the_bot_answered(self) -> None:
        result = compute(turns(("customer", 0), ("bot", 1)))
        assert result.first_response_seconds is None


class TestResponseTimes:
    def test_average_and_longest_cover_every_answered_wait(self) -> None:
        result = compute(
            turns(("customer", 0), ("agent", 10), ("customer", 100), ("customer", 120), ("agent", 150))
        )
        assert (result.responses, result.avg_response_seconds, result.max_response_seconds) == (2, 30, 50)

    def test_a_second_agent_message_without_a_new_question_is_not_a_response(self) -> None:
        result = compute(turns(("customer", 0), ("agent", 10), ("agent", 300)))
        assert result.reply_seconds == [None, 10, None]

    def test_a_bot_reply_does_not_end_the_customers_wait(self) -> None:
        result = compute(turns(("customer", 0), ("bot", 1), ("agent", 40)))
        assert result.max_response_seconds == 40


class TestHandling:
    def test_bot_only_when_no_person_replied(self) -> None:
        assert compute(turns(("customer", 0), ("bot", 1))).handling is Handling.BOT_ONLY

    def test_transferred_when_the_bot_answered_before_a_person(self) -> None:
        result = compute(turns(("customer", 0), ("bot", 1), ("customer", 5), ("agent", 20)))
        assert (result.handling, result.transferred_at) == (Handling.TRANSFERRED, T0 + timedelta(seconds=20))

    def test_transferred_from_the_bots_hand_over_before_any_person_replied(self) -> None:
        result = compute(turns(("customer", 0), ("bot", 1)), handed_over_at=T0 + timedelta(seconds=1))
        assert (result.handling, result.transferred_at) == (Handling.TRANSFERRED, T0 + timedelta(seconds=1))

    def test_hand_over_marker_is_the_transfer_time_when_a_person_replies_later(self) -> None:
        lines = turns(("customer", 0), ("bot", 1), ("agent", 60))
        assert compute(lines, handed_over_at=T0 + timedelta(seconds=1)).transferred_at == T0 + timedelta(
            seconds=1
        )

    def test_human_when_no_bot_took_part(self) -> None:
        assert compute(turns(("customer", 0), ("agent", 5))).handling is Handling.HUMAN

    def test_unanswered_when_nobody_replied(self) -> None:
        assert compute(turns(("customer", 0))).handling is Handling.UNANSWERED

    def test_counts_messages_per_sender(self) -> None:
        result = compute(turns(("customer", 0), ("bot", 1), ("customer", 5), ("agent", 20)))
        assert (result.customer_messages, result.bot_messages, result.agent_messages) == (2, 1, 1)


class TestUntimed:
    def test_counts_messages_but_no_response_times(self) -> None:
        from datetime import UTC, datetime, timedelta

        from aftersales.conversations.metrics import Turn, compute
        from aftersales.conversations.models import Sender

        start = datetime(2026, 11, 11, tzinfo=UTC)
        result = compute(
            [Turn(Sender.CUSTOMER, start), Turn(Sender.AGENT, start + timedelta(seconds=1))], timed=False
        )
        assert (result.agent_messages, result.first_response_seconds, result.max_response_seconds) == (
            1,
            None,
            None,
        )
