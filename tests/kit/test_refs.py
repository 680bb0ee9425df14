import pytest
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.refs import require_refs
from tests.builders import make_shop


def test_existing_and_absent_ids_pass(session: Session) -> None:
    shop = make_shop(session)
    require_refs(session, {"shop_id": (Shop, shop.id), "other_shop_id": (Shop, None)})


def test_a_missing_id_is_invalid_input_on_its_field(session: Session) -> None:
    with pytest.raises(InvalidInputError) as caught:
        require_refs(session, {"shop_id": (Shop, 987654)})
    assert (caught.value.field, caught.value.status_code) == ("shop_id", 422)
