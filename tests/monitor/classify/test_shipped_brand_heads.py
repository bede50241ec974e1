"""The shipped brand-aware heads on posts we wrote for these tests, and on our check set of
brands the corpus does not hold (`corpus/checks/`)."""

from __future__ import annotations

import csv

import pytest

from monitor.classify import Classifier
from monitor.classify.corpus import CORPUS_DIR, brand_contexts
from monitor.domain import BrandContext, Kind

NORDVIA = BrandContext(id="nordvia", name="Nordvia", names=("Nordvia", "نوردفيا", "نوردویا"),
                       handles=("nordvia_help",), competitors=("SkyLark",),
                       not_us=("Nordvia FC",))


@pytest.mark.parametrize("text", [
    "@nordvia_help my flight NV221 was cancelled at the gate and nobody will rebook me",
    "Nordvia lost my suitcase in Oslo and your support line keeps hanging up on me",
    "Nordvia zgubiła mój bagaż i od tygodnia nikt nie odpowiada na reklamację",
])
def test_brand_heads__complaint_about_the_brand_alerts(classifier: Classifier, text: str) -> None:
    [verdict] = classifier.classify([text], brands=[NORDVIA])
    assert verdict.is_complaint, verdict
    assert verdict.kind is Kind.COMPLAINT and verdict.reason == ""
    assert verdict.why.startswith("Complaint")


def test_brand_heads__competitor_complaint_names_the_competitor(classifier: Classifier) -> None:
    text = "SkyLark cancelled my flight twice this month, next time I'm booking Nordvia for sure"
    [verdict] = classifier.classify([text], brands=[NORDVIA])
    assert not verdict.is_complaint, verdict
    assert verdict.reason == "competitor" and verdict.reason_detail == "SkyLark"
    assert "complaint about a competitor (SkyLark)" in verdict.why


def test_brand_heads__namesake_and_question_do_not_alert(classifier: Classifier) -> None:
    namesake, question = classifier.classify(
        ["Nordvia FC lost 3-0 again, the defence was a disgrace",
         "does Nordvia allow a second cabin bag on flights to Gdańsk?"],
        brands=[NORDVIA, NORDVIA])
    assert not namesake.is_complaint and namesake.reason == "namesake", namesake
    assert namesake.reason_detail == "Nordvia FC"
    assert not question.is_complaint and question.kind is Kind.QUESTION, question


def test_brand_heads__same_words_without_a_brand_use_the_cascade(classifier: Classifier) -> None:
    text = "SkyLark cancelled my flight twice this month, next time I'm booking Nordvia for sure"
    [blind] = classifier.classify([text])
    [aware] = classifier.classify([text], brands=[NORDVIA])
    assert blind.reason != "competitor" and aware.reason == "competitor"


def test_brand_heads__an_open_accusation_of_fraud_is_blame(classifier: Classifier) -> None:
    text = ("Nordvia charged my card twice for one ticket and refuses to refund it. This is "
            "theft, plain and simple, and I'm reporting you to the consumer office")
    [verdict] = classifier.classify([text], brands=[NORDVIA])
    assert verdict.is_complaint, verdict
    assert verdict.severity.name in ("ACCUSATION", "BLAME"), verdict


def test_category_prior__a_common_category_needs_more_evidence_to_come_first() -> None:
    import numpy as np

    from monitor.classify.target import top_categories

    probs = np.array([0.50, 0.45, 0.10])
    assert top_categories(probs, 0.9) == (0,)
    # the first is three times as common as the second: by probability / prior, the second leads
    assert top_categories(probs, 0.9, prior=np.array([0.6, 0.2, 0.2])) == (1,)
    assert top_categories(probs, 0.4, prior=np.array([0.6, 0.2, 0.2])) == (1, 0)


def test_severity_level__blame_is_named_once_nearly_as_likely_as_an_accusation() -> None:
    import numpy as np

    from monitor.classify.target import load_target

    heads = load_target()
    assert heads is not None and heads.meta.get("blame_boost", 0) > 0
    close = np.array([0.05, 0.10, 0.45, 0.40])  # accusation a little likelier than blame
    far = np.array([0.05, 0.10, 0.75, 0.10])
    assert heads.severity_level(close) == 3 and heads.severity_level(far) == 2
    heads.meta["blame_boost"] = 0.0
    assert heads.severity_level(close) == 2


def _check_posts(name: str = "namesakes", brands: str = "brands"
                 ) -> tuple[list[dict[str, str]], dict[str, BrandContext]]:
    """One of our check sets: eight brands the heads never saw (corpus/checks/)."""
    checks = CORPUS_DIR / "checks"
    with (checks / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle)), brand_contexts(checks / f"{brands}.yaml")


def _alerted(classifier: Classifier, rows: list[dict[str, str]],
             brands: dict[str, BrandContext]) -> list[str]:
    verdicts = classifier.classify([r["text"] for r in rows], [r["lang"] for r in rows],
                                   brands=[brands[r["brand"]] for r in rows])
    return [r["id"] for r, v in zip(rows, verdicts, strict=True) if v.is_complaint]


def test_brand_heads__namesakes_of_unseen_brands_named_by_their_kind_do_not_alert(
        classifier: Classifier) -> None:
    rows, brands = _check_posts()
    named = [r for r in rows if r["namesake_form"] in ("configured", "translated")]
    verdicts = classifier.classify([r["text"] for r in named], [r["lang"] for r in named],
                                   brands=[brands[r["brand"]] for r in named])
    alerted = [r["id"] for r, v in zip(named, verdicts, strict=True) if v.is_complaint]
    found = [v for v in verdicts if v.reason == "namesake"]
    assert len(named) == 96
    assert len(alerted) <= 8, alerted  # 4 of 96 measured; 6 before the _d files, 30 before the kind words
    assert len(found) >= 75, len(found)  # 88 measured


def test_brand_heads__complaints_of_unseen_brands_still_alert(classifier: Classifier) -> None:
    rows, brands = _check_posts()
    complaints = [r for r in rows if r["label"] == "1"]
    verdicts = classifier.classify([r["text"] for r in complaints],
                                   [r["lang"] for r in complaints],
                                   brands=[brands[r["brand"]] for r in complaints])
    missed = [r["id"] for r, v in zip(complaints, verdicts, strict=True) if not v.is_complaint]
    assert len(complaints) == 64
    # 9 of 64 measured (4 before the _d files: the heads trade recall for precision there,
    # 0.65 -> 0.76; MODEL_CARD, "The hard middle")
    assert len(missed) <= 11, missed


def test_brand_heads__namesakes_told_only_by_their_topic_mostly_do_not_alert(
        classifier: Classifier) -> None:
    rows, brands = _check_posts("topics", "brands_topics")
    namesakes = [r for r in rows if r["style"] == "namesake"]
    assert len(namesakes) == 128
    alerted = _alerted(classifier, namesakes, brands)
    assert len(alerted) <= 24, alerted  # 17 of 128 measured; 40 before the _d files, 52 before topics


def test_brand_heads__complaints_that_share_a_namesakes_topic_still_alert(
        classifier: Classifier) -> None:
    rows, brands = _check_posts("topics", "brands_topics")
    complaints = [r for r in rows if r["label"] == "1"]
    assert len(complaints) == 96
    missed = {r["id"] for r in complaints} - set(_alerted(classifier, complaints, brands))
    # 15 of 96 measured (7 before the _d files, as before the topic words)
    assert len(missed) <= 18, sorted(missed)
