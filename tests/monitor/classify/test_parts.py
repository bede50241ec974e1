from __future__ import annotations

import types

import numpy as np
import pytest

from monitor.classify import langid, scoring, training
from monitor.classify.category import categorise
from monitor.classify.data import Example
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


def test_effective_threshold__only_severe_encoded_posts_get_the_discount() -> None:
    rule = {"discount": 0.2, "min_severe": 0.4}
    assert scoring.effective_threshold(0.5, 0.7, rule) == pytest.approx(0.3)
    assert scoring.effective_threshold(0.5, 0.1, rule) == 0.5
    assert scoring.effective_threshold(0.5, None, rule) == 0.5
    assert scoring.effective_threshold(0.5, 0.9, None) == 0.5
    np.testing.assert_allclose(
        scoring.effective_threshold(np.full(3, 0.5), np.array([0.9, np.nan, 0.0]), rule),
        [0.3, 0.5, 0.5])


def _prepared(scores_and_labels: list[tuple[float, int, str, float]]) -> training.Prepared:
    examples = [Example(f"post {i}", "en", y, "complaints", {"severity": sev})
                for i, (_, y, sev, _) in enumerate(scores_and_labels)]
    n = len(examples)
    return training.Prepared(
        examples=examples, sparse=None, feats=np.zeros((n, 4)),  # type: ignore[arg-type]
        y=np.array([y for _, y, _, _ in scores_and_labels], dtype=float),
        weight=np.ones(n), langs=["en"] * n, sources=np.array(["complaints"] * n),
        tones=np.zeros((n, 2)), signals=np.zeros((n, 3)), cues=np.zeros((n, 2)),
        shallow=np.zeros((n, 4)))


def test_severe_rules__lower_threshold_for_severe_posts_until_recall_is_met() -> None:
    rng = np.random.default_rng(0)
    rows: list[tuple[float, int, str, float]] = []
    rows += [(float(rng.uniform(0.6, 0.95)), 1, "disapproval", 0.1) for _ in range(60)]
    rows += [(float(rng.uniform(0.36, 0.48)), 1, "accusation", 0.8) for _ in range(25)]
    rows += [(float(rng.uniform(0.36, 0.48)), 1, "blame", 0.8) for _ in range(25)]
    rows += [(float(rng.uniform(0.05, 0.5)), 0, "", 0.1) for _ in range(120)]
    data = _prepared(rows)
    scores = np.array([r[0] for r in rows])
    severe = np.array([r[3] for r in rows])
    thresholds, rules = training.severe_rules(data, scores, severe, {"en": 0.5, "other": 0.5},
                                              np.ones(len(rows), bool))
    rule = rules["en"]
    limit = scoring.effective_threshold(np.full(len(rows), thresholds["en"]), severe, rule)
    flagged = scores >= limit
    for level in ("accusation", "blame"):
        assert flagged[[r[2] == level for r in rows]].mean() >= training.SEVERE_RECALL
    # the non-severe negatives between the thresholds are not flagged by the discount
    assert flagged[[r[1] == 0 for r in rows]].mean() < 0.1


def test_severe_rules__no_rule_without_severity_labels() -> None:
    rows = [(0.9, 1, "", 0.0)] * 30 + [(0.1, 0, "", 0.0)] * 30
    thresholds, rules = training.severe_rules(_prepared(rows), np.array([r[0] for r in rows]),
                                              np.zeros(60), {"en": 0.5, "other": 0.5},
                                              np.ones(60, bool))
    assert rules == {} and thresholds["en"] == 0.5


def test_cues__questions_and_complaint_phrases_for_the_first_stage() -> None:
    question, cues = scoring.cues(normalise("Does this ship to Gdańsk?"), "en")
    assert question == 1.0 and cues == 0.0
    question, cues = scoring.cues("still waiting, nobody answers and the app is not working",
                                  "en")
    assert question == 0.0 and cues == 1.0  # three or more cues, capped
    assert scoring.cues("Niestety paczka nadal nie dotarła", "pl")[1] == pytest.approx(2 / 3)


def test_stage1_probabilities__older_calibration_reads_the_inputs_it_knows() -> None:
    features = np.random.default_rng(0).normal(size=(5, 18)).astype(np.float32)
    old = types.SimpleNamespace(meta={"stage1": {"w": [2.0, 0.0, 1.0], "b": -1.0}})
    got = scoring.stage1_probabilities(old, features)  # type: ignore[arg-type]
    np.testing.assert_allclose(got, 1 / (1 + np.exp(-(2 * features[:, 0] + features[:, 2] - 1))),
                               rtol=1e-5)


def _band_case(with_severity: bool) -> tuple[training.Prepared, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    agreed = [*rng.uniform(0.6, 0.95, 100), *rng.uniform(0.02, 0.3, 100)]
    # complaints both stages agree on, then posts that are not
    rows = [(float(p), int(p > 0.5), "disapproval" if p > 0.5 else "", 0.0) for p in agreed]
    p1 = [float(p) for p in agreed]
    blended = list(p1)
    for level in ("accusation", "blame"):  # a quarter of them look harmless to n-grams
        for i in range(40):
            rows.append((0.8, 1, level if with_severity else "", 0.0))
            p1.append(0.05 if i < 10 else 0.55)
            blended.append(0.8)
    return _prepared(rows), np.array(p1), np.array(blended)


def test_cascade_bands__reach_low_enough_to_keep_accusations_and_blames() -> None:
    data, p1, blended = _band_case(with_severity=True)
    low, high = training.cascade_bands(data, p1, blended, {"en": 0.5}, max_changed=0.2)["en"]
    assert low <= 0.05 and high >= training.MIN_HIGH
    found = np.where((p1 >= low) & (p1 <= high), blended >= 0.5, p1 >= 0.5)
    severe = np.array([e.extra["severity"] in ("accusation", "blame") for e in data.examples])
    assert found[severe].mean() >= training.SEVERE_RECALL
    # without severity labels the same posts only obey the share of changed verdicts
    data, p1, blended = _band_case(with_severity=False)
    assert training.cascade_bands(data, p1, blended, {"en": 0.5}, max_changed=0.2)["en"][0] == 0.5
