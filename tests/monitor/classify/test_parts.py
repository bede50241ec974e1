from __future__ import annotations

import numpy as np
import pytest

from monitor.classify import langid
from monitor.classify.category import categorise
from monitor.classify.metrics import binary_report, roc_auc
from monitor.classify.text import fold, normalise, text_key
from monitor.classify.thresholds import resolve
from monitor.domain import Category
from monitor.settings import Thresholds


@pytest.mark.parametrize(("text", "lang"), [
    ("where is my parcel, it was due on monday", "en"),
    ("Gdzie jest moja paczka? Miała być w poniedziałek", "pl"),
    ("وين الطلب؟ كان المفروض يوصل يوم الاثنين", "ar"),
    ("بسته من کجاست؟ قرار بود دوشنبه برسه", "fa"),
])
def test_detect__our_four_languages(text: str, lang: str) -> None:
    assert langid.detect(text) == lang


def test_detect__hint_wins_and_regional_codes_shorten() -> None:
    assert langid.detect("anything", "pl-PL") == "pl"
    assert langid.detect("where is my parcel, it was due on monday", "und") == "en"


def test_text_key__retweets_and_links_collapse() -> None:
    a = "@shop my refund is late https://t.co/AAA"
    b = "RT @someone: @other_shop my refund is late https://t.co/BBB"
    assert normalise(a) == "@user my refund is late http"
    assert text_key(a) == text_key(b)
    assert text_key(a) != text_key("@shop my refund is on time")


def test_fold__unifies_arabic_and_persian_letters() -> None:
    assert fold("كيف") == fold("کیف")
    assert fold("۱۲۳") == "123"


def test_resolve__brand_beats_global_beats_calibrated() -> None:
    brand = Thresholds(languages={"pl": 0.8})
    global_ = Thresholds(default=0.3, languages={"en": 0.6})
    assert resolve("pl", [brand, global_], 0.5) == 0.8
    assert resolve("en", [brand, global_], 0.5) == 0.6
    assert resolve("fa", [brand, global_], 0.5) == 0.3
    assert resolve("fa", [Thresholds()], 0.42) == 0.42
    assert resolve("fa", None, 0.42) == 0.42


@pytest.mark.parametrize(("text", "lang", "category"), [
    ("the parcel never arrived", "en", Category.DELIVERY),
    ("I want my money back, refund please", "en", Category.REFUND),
    ("aplikacja wyrzuca błąd przy logowaniu", "pl", Category.APP),
    ("تم خصم المبلغ من البطاقه مرتين", "ar", Category.PAYMENT),
    ("قیمت ها خیلی گران شده", "fa", Category.PRICE),
    ("meh", "en", Category.OTHER),
])
def test_categorise__cue_lexicons(text: str, lang: str, category: Category) -> None:
    found, cues = categorise(fold(text), lang)
    assert found is category
    assert all(c in fold(text) for c in cues)


def test_metrics__auc_and_report() -> None:
    y = np.array([0, 0, 1, 1])
    assert roc_auc(y, np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(0.75)
    assert roc_auc(y, np.array([0.5, 0.5, 0.5, 0.5])) == pytest.approx(0.5)
    report = binary_report(y, np.array([0, 1, 1, 1]), np.array([0.1, 0.6, 0.7, 0.9]))
    assert report["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["recall"] == 1.0
    assert report["macro_f1"] == pytest.approx((0.8 + 2 / 3) / 2, abs=1e-4)
