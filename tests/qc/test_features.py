import joblib
import numpy as np
import pytest

from aftersales.qc.emotion import MODEL_PATH, features
from aftersales.qc.features import Features
from aftersales.qc.training import authored_corpus

# Whitespace runs, case, digits, symbols, emoji, a final sigma and nothing at all: the corners
# where segmentation, lowercasing or the char analyser's whitespace rule could diverge.
CORNERS = [
    "",
    "   ",
    "在吗\n\n\t亲？？",
    "订单号T123456，SKU-AB_9.5%  还没发货 #42",
    "IPHONE 15 Pro Max 屏幕坏了!!",
    "ΟΔΟΣ ΣΑΣ 谢谢😊😊",
    "少发了一件，  漏发了\r\n赠品也没有",
]


@pytest.fixture(scope="module")
def bundle() -> dict:
    return joblib.load(MODEL_PATH)


class TestFeatures:
    def test_equal_the_fitted_vectorisers_own_transform(self, bundle: dict) -> None:
        texts = [*authored_corpus().texts, *CORNERS]
        expected = features(bundle["words"], bundle["chars"], texts)
        model_features = Features(bundle["words"], bundle["chars"])
        for _pass in ("segmenting", "from remembered runs"):
            fast = model_features.transform(texts)
            assert fast.shape == expected.shape
            assert np.array_equal(fast.indptr, expected.indptr)
            assert np.array_equal(fast.indices, expected.indices)
            assert np.array_equal(fast.data, expected.data)

    def test_without_words_equal_the_character_vectoriser_alone(self, bundle: dict) -> None:
        texts = [*authored_corpus().texts, *CORNERS]
        expected = bundle["chars"].transform(texts)
        fast = Features(None, bundle["chars"]).transform(texts)
        assert np.array_equal(fast.indptr, expected.indptr)
        assert np.array_equal(fast.indices, expected.indices)
        assert np.array_equal(fast.data, expected.data)

    def test_refuse_vectorisers_fitted_with_other_settings(self, bundle: dict) -> None:
        words = bundle["words"]
        chars = type(bundle["chars"])(**{**bundle["chars"].get_params(), "sublinear_tf": False})
        with pytest.raises(ValueError, match="sublinear_tf"):
            Features(words, chars)
