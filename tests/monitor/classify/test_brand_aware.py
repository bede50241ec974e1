"""The brand-aware parts: marking, target heads, reasons, exact quotes, ratings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from monitor.classify import explain, target
from monitor.classify.blame import BlameReader
from monitor.classify.marking import FEATURES, RIVAL, US, BrandReader, unmarked_features
from monitor.classify.rating import apply_rating
from monitor.classify.target import CATEGORIES, CLASSES, TargetHeads, load_target
from monitor.classify.text import original_phrase
from monitor.domain import BrandContext, Category, Classification, Kind, Severity

KREDO = BrandContext(id="kredo", name="Kredo", names=("Kredo", "Kredo Bank", "کردو"),
                     handles=("kredo_help",), competitors=("Foodly", "Monetra"),
                     not_us=("Kredo FC",))


def test_mark__ours_and_competitor_replaced_namesake_kept() -> None:
    marked = BrandReader(KREDO).mark("Switched to Kredo after Foodly lost my card. Kredo FC lost too")
    assert marked.text == f"Switched to {US} after {RIVAL} lost my card. Kredo FC lost too"
    assert marked.ours == 1
    assert marked.rivals == ("Foodly",)
    assert marked.namesakes == ("Kredo FC",)
    assert not marked.rival_first
    assert marked.features().shape == (FEATURES,)


def test_mark__handle_only_and_competitor_first() -> None:
    marked = BrandReader(KREDO).mark("Monetra froze my account again, @kredo_help are you any better?")
    assert marked.rival_first
    assert marked.tag_only
    assert US in marked.text and RIVAL in marked.text


def test_mark__declined_polish_form_is_ours() -> None:
    marked = BrandReader(KREDO).mark("Nie polecam Kredo Banku, zablokowali mi kartę")
    assert marked.ours == 1, marked
    assert US in marked.text


def test_unmarked_features__all_zero() -> None:
    assert not unmarked_features().any()
    assert unmarked_features().shape == (FEATURES,)


def test_original_phrase__quotes_the_post_as_written() -> None:
    text = "ولم يصل الطلب  حتى الآن"  # Arabic ي folds to Persian ی for matching
    assert original_phrase(text, "ولم یصل") == "ولم يصل"
    assert original_phrase("Still   WAITING for it", "still waiting") == "Still   WAITING"
    assert original_phrase("nothing here", "absent") == "absent"


@pytest.mark.parametrize(("reason", "detail", "expected"), [
    ("competitor", "Foodly", "complaint about a competitor (Foodly)"),
    ("namesake", "Kredo FC", "another Kredo FC, not the brand"),
    ("no_blame", "", "the writer does not blame the brand"),
    ("question", "", "reads as a question"),
    ("praise", "", "reads as praise or thanks"),
    ("news", "", "reads as news about the brand, not a customer's complaint"),
])
def test_reason_text__says_why_not_alerted(reason: str, detail: str, expected: str) -> None:
    assert explain.reason_text(reason, detail) == expected


def test_brand_why__names_both_categories() -> None:
    line = explain.brand_why(True, 0.91, ["late"], (Category.DELIVERY, Category.SERVICE), "", "")
    assert line == "Complaint about late or missing delivery and customer service (91%): “late”"


def test_apply_rating__stars_set_kind() -> None:
    calm = Classification(is_complaint=False, score=0.1, lang="en", kind=Kind.PRAISE,
                          reason="praise")
    low = apply_rating(calm, 1)
    assert low.is_complaint and low.kind is Kind.COMPLAINT and low.reason == ""
    assert low.severity is Severity.DISAPPROVAL
    high = apply_rating(Classification(is_complaint=True, score=0.9, lang="en",
                                       kind=Kind.COMPLAINT), 5)
    assert not high.is_complaint and high.kind is Kind.PRAISE and high.reason == "praise"


def _tiny_heads(complaint_bias: float, band: tuple[float, float] = (0.0, 0.0)) -> TargetHeads:
    """Heads whose networks ignore their inputs: the complaint probability is set by a
    bias (the deep network's one higher), the runner-up class is "competitor"."""
    width = len(target.inputs(unmarked_features(), "en", 0.5, False, np.zeros(2),
                              np.zeros(384)))

    def net(bias: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        b2 = np.zeros(len(CLASSES), np.float32)
        b2[0] = bias
        b2[CLASSES.index("competitor")] = 1.0
        return (np.zeros((width, 4), np.float32), np.zeros(4, np.float32),
                np.zeros((4, len(CLASSES)), np.float32), b2)

    cat_b = np.full(len(CATEGORIES), -5.0, np.float32)
    cat_b[CATEGORIES.index(Category.DELIVERY)] = 3.0
    cat_b[CATEGORIES.index(Category.SERVICE)] = 1.0
    return TargetHeads(fast=net(complaint_bias), deep=net(complaint_bias + 6.0),
                       ngram_w=np.zeros(1 << 18, np.float32), ngram_b=0.0,
                       cat_w=np.zeros((len(CATEGORIES), width + len(CATEGORIES)), np.float32),
                       cat_b=cat_b, sev_w=np.zeros((4, width), np.float32),
                       sev_b=np.array([0, 0, 0, 2], np.float32),
                       meta={"thresholds": {"en": 0.5, "other": 0.5}, "version": "tiny",
                             "band": list(band), "ngram_share": 0.5})


def test_target_heads__save_and_load_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    heads = _tiny_heads(2.0, band=(0.2, 0.8))
    heads.save(tmp_path)
    back = load_target(tmp_path)
    assert back is not None and back.version == "tiny" and back.band == (0.2, 0.8)
    x = np.zeros((1, heads.fast[0].shape[0]), np.float32)
    half = np.array([0.5])
    assert np.allclose(back.kinds(x, half), heads.kinds(x, half), atol=1e-3)
    assert np.allclose(back.kinds(x, half, deep=True), heads.kinds(x, half, deep=True), atol=1e-3)
    assert load_target(tmp_path / "nothing") is None


def test_target_heads__ngram_share_blends_the_complaint_column() -> None:
    heads = _tiny_heads(0.0)
    x = np.zeros((2, heads.fast[0].shape[0]), np.float32)
    kinds = heads.kinds(x, np.array([0.0, 1.0]))  # same network output on both rows
    assert kinds[1, 0] - kinds[0, 0] == pytest.approx(0.5)  # half from the n-gram model
    assert np.allclose(kinds.sum(axis=1), 1.0)
    assert kinds[0, 1:].argmax() == kinds[1, 1:].argmax() == CLASSES.index("competitor") - 1


def test_blame_reader__reason_categories_and_severity(fake_encoder) -> None:  # type: ignore[no-untyped-def]
    reader = BlameReader(_tiny_heads(-3.0), fake_encoder, fake_encoder)
    [none, blame] = reader.read(["no brand", "Foodly lost my parcel, Kredo never did"],
                                [("en", 0.8), ("en", 0.8)], [None, KREDO])
    assert none is None
    assert blame is not None
    assert blame.complaint < 0.5
    assert blame.kind_and_reason(False) == (Kind.OTHER, "competitor")
    assert blame.detail("competitor") == "Foodly"
    assert blame.categories == (Category.DELIVERY, Category.SERVICE)
    assert blame.severity is Severity.BLAME
    assert blame.kind_and_reason(True) == (Kind.COMPLAINT, "")
    assert reader.stats == {"read": 1, "deep": 0}


def test_blame_reader__deep_network_only_inside_the_band(fake_encoder) -> None:  # type: ignore[no-untyped-def]
    outside = BlameReader(_tiny_heads(-3.0, band=(0.4, 0.6)), fake_encoder, fake_encoder)
    [fast] = outside.read(["Kredo lost my card"], [("en", 0.5)], [KREDO])
    inside = BlameReader(_tiny_heads(-3.0, band=(0.0, 1.0)), fake_encoder, fake_encoder)
    [deep] = inside.read(["Kredo lost my card"], [("en", 0.5)], [KREDO])
    assert outside.stats["deep"] == 0 and inside.stats["deep"] == 1
    assert fast is not None and deep is not None and deep.complaint > fast.complaint


def test_blame_reader__deep_network_reads_a_long_post_in_pieces(fake_encoder) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    class Recording:
        def encode(self, texts: Sequence[str]) -> np.ndarray:
            seen.extend(texts)
            return fake_encoder.encode(texts)

    reader = BlameReader(_tiny_heads(-3.0, band=(0.0, 1.0)), fake_encoder, Recording())
    post = "Kredo lost my card " + " ".join(f"w{i}" for i in range(400)) + " still waiting"
    [read] = reader.read([post], [("en", 0.5)], [KREDO])
    assert read is not None and reader.stats["deep"] == 1
    assert len(seen) == 4 and all(len(piece.split(" ")) <= 90 for piece in seen)
    assert seen[-1].endswith("still waiting")


def test_clip_words__long_posts_keep_head_and_tail() -> None:
    from monitor.classify.text import clip_words

    short = "late again"
    assert clip_words(short) is short
    long = " ".join(f"w{i}" for i in range(200))
    clipped = clip_words(long, head=3, tail=2).split(" ")
    assert clipped == ["w0", "w1", "w2", "…", "w198", "w199"]


def _with_category_models(heads: TargetHeads, buckets: np.ndarray) -> TargetHeads:
    """The tiny heads plus category models: the deep one says price, the n-gram one says
    refund for a post with the n-grams `buckets`."""
    width = heads.cat_w.shape[1]
    deep_b = np.full(len(CATEGORIES), -5.0, np.float32)
    deep_b[CATEGORIES.index(Category.PRICE)] = 5.0
    ngram_w = np.zeros((len(CATEGORIES), target.CAT_BUCKETS), np.float32)
    ngram_w[CATEGORIES.index(Category.REFUND), buckets % target.CAT_BUCKETS] = 20.0
    heads.cat_deep_w = np.zeros((len(CATEGORIES), width), np.float32)
    heads.cat_deep_b = deep_b
    heads.cat_ngram_w = ngram_w
    heads.cat_ngram_b = np.full(len(CATEGORIES), -4.0, np.float32)
    return heads


def test_categories__deep_inputs_and_ngrams_are_averaged(tmp_path) -> None:  # type: ignore[no-untyped-def]
    grams = target.ngrams("where is my refund", "en")
    heads = _with_category_models(_tiny_heads(2.0), grams[0])
    x = np.zeros((1, heads.cat_w.shape[1]), np.float32)
    fast_only = heads.categories(x)
    assert CATEGORIES[int(fast_only[0].argmax())] is Category.DELIVERY
    blended = heads.categories(x, [grams])
    assert blended[0, CATEGORIES.index(Category.REFUND)] > fast_only[0, CATEGORIES.index(
        Category.REFUND)] + 0.4
    deep = heads.categories(x, [target.ngrams("nothing alike", "en")], deep=True)
    assert CATEGORIES[int(deep[0].argmax())] is Category.PRICE
    heads.save(tmp_path)
    back = load_target(tmp_path)
    assert back is not None and back.cat_ngram_w is not None
    assert np.allclose(back.categories(x, [grams], deep=True),
                       heads.categories(x, [grams], deep=True), atol=1e-2)


def test_categories__heads_without_category_models_read_the_fast_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    heads = _tiny_heads(2.0)
    heads.save(tmp_path)
    back = load_target(tmp_path)
    assert back is not None and back.cat_deep_w is None and back.cat_ngram_w is None
    x = np.zeros((1, heads.cat_w.shape[1]), np.float32)
    grams = [target.ngrams("where is my refund", "en")]
    assert np.allclose(back.categories(x, grams, deep=True), heads.categories(x), atol=1e-3)


def test_blame_reader__deep_posts_take_the_deep_category(fake_encoder) -> None:  # type: ignore[no-untyped-def]
    grams = target.ngrams("x", "en")
    inside = _with_category_models(_tiny_heads(0.0, band=(0.0, 1.0)), grams[0])
    outside = _with_category_models(_tiny_heads(0.0, band=(0.0, 0.0)), grams[0])
    post = ["Kredo charged me again"]
    [deep] = BlameReader(inside, fake_encoder, fake_encoder).read(post, [("en", 0.8)], [KREDO])
    [fast] = BlameReader(outside, fake_encoder, fake_encoder).read(post, [("en", 0.8)], [KREDO])
    assert deep is not None and deep.categories[0] is Category.PRICE
    assert fast is not None and fast.categories[0] is Category.DELIVERY
