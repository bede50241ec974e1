from __future__ import annotations

import copy
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from monitor.classify import Classifier
from monitor.classify.cascade import DefaultClassifier
from monitor.classify.heads import HEADS_DIR, load_heads
from monitor.domain import Category, Classification, Severity
from monitor.settings import Thresholds

COMPLAINTS = {
    "en": "@shopco two weeks and my parcel still hasn't come, and your support line just hangs up on me",
    "pl": "Zamówienie miało być w piątek, a dalej go nie ma. Nikt z obsługi nie odpisuje, porażka.",
    "ar": "طلبت من أسبوعين والطلب لسه ما وصل، وخدمة العملاء ما بترد أبداً",
    "fa": "سه روزه منتظر سفارشم هستم و هیچکس جواب تلفن رو نمیده، واقعا افتضاحه",
}
PRAISE = {
    "en": "@shopco the new trainers arrived early and they fit perfectly, thank you!",
    "pl": "Kurier był przemiły, a buty są dokładnie takie jak na zdjęciu. Dziękuję!",
    "ar": "الطلب وصل بسرعة والجودة ممتازة، شكراً جزيلاً لكم",
    "fa": "بسته خیلی زود رسید و کیفیتش عالیه، ممنونم از شما",
}


@pytest.mark.parametrize("lang", sorted(COMPLAINTS))
def test_classify__clear_complaint_flagged(classifier: Classifier, lang: str) -> None:
    [verdict] = classifier.classify([COMPLAINTS[lang]])
    assert verdict.is_complaint, verdict
    assert verdict.lang == lang
    assert verdict.severity is not Severity.NONE
    assert 0.0 < verdict.anger <= 1.0
    assert verdict.why.startswith("Complaint")
    assert verdict.model


@pytest.mark.parametrize("lang", sorted(PRAISE))
def test_classify__praise_not_flagged(classifier: Classifier, lang: str) -> None:
    [verdict] = classifier.classify([PRAISE[lang]])
    assert not verdict.is_complaint, verdict
    assert verdict.lang == lang
    assert verdict.severity is Severity.NONE
    assert verdict.anger == 0.0


@pytest.mark.parametrize("text", [
    "does this ship to Gdańsk?",
    "@shopco do you have the grey hoodie in XL?",
    "ShopCo to open 12 new stores across Poland this year, the company said on Monday",
    "ShopCo appoints a new chief financial officer",
])
def test_classify__question_and_news_not_flagged(classifier: Classifier, text: str) -> None:
    [verdict] = classifier.classify([text])
    assert not verdict.is_complaint, verdict


def test_classify__category_and_cues_come_from_the_text(classifier: Classifier) -> None:
    text = "I was charged twice for one order and still no refund, this is a scam"
    [verdict] = classifier.classify([text])
    assert verdict.is_complaint
    assert verdict.category in (Category.REFUND, Category.PAYMENT)
    assert verdict.cues
    assert all(cue in text.lower() for cue in verdict.cues)


def test_classify__thresholds_per_brand_and_language(classifier: Classifier) -> None:
    text = COMPLAINTS["pl"]
    [plain] = classifier.classify([text])
    strict_brand = Thresholds(languages={"pl": 0.999})
    lenient_global = Thresholds(default=0.01)
    [strict] = classifier.classify([text], thresholds=[strict_brand, lenient_global])
    assert plain.is_complaint and not strict.is_complaint
    assert strict.score == plain.score
    [lenient] = classifier.classify([PRAISE["pl"]], thresholds=[Thresholds(), lenient_global])
    assert lenient.is_complaint
    other_lang = Thresholds(languages={"en": 0.999})
    [unaffected] = classifier.classify([text], thresholds=[other_lang])
    assert unaffected.is_complaint


def test_classify__lang_hint_wins(classifier: Classifier) -> None:
    [verdict] = classifier.classify(["ok"], lang_hints=["pl"])
    assert verdict.lang == "pl"


def test_classify__cache_returns_identical_results_for_retweets(classifier: Classifier) -> None:
    original = "@shopco my refund is 3 weeks late and nobody answers https://t.co/abc"
    retweet = "RT @angry_customer: @shopco my refund is 3 weeks late and nobody answers https://t.co/xyz"
    first, again, rt = classifier.classify([original, original, retweet])
    assert first == again
    assert rt.score == first.score and rt.is_complaint == first.is_complaint
    stats = getattr(classifier, "stats", None)
    if stats is not None:
        before = stats["cached"]
        [later] = classifier.classify([original])
        assert later == first
        assert stats["cached"] == before + 1


def test_classify__empty_batch_and_empty_text(classifier: Classifier) -> None:
    assert classifier.classify([]) == []
    [verdict] = classifier.classify([""])
    assert isinstance(verdict, Classification)
    assert not verdict.is_complaint


def test_heads__load_without_pickle() -> None:
    with np.load(HEADS_DIR / "heads.npz", allow_pickle=False) as data:
        assert all(data[name].dtype != object for name in data.files)
    heads = load_heads()
    assert heads.ngram_w.ndim == 1
    assert 0.0 < heads.threshold("en") < 1.0
    low, high = heads.band("en")
    assert 0.0 <= low <= high <= 1.0


def test_heads__stay_small() -> None:
    total = sum(p.stat().st_size for p in HEADS_DIR.iterdir())
    assert total < 5_000_000


def test_classify__encoder_runs_the_layers_the_heads_were_trained_on(
        classifier: Classifier) -> None:
    assert isinstance(classifier, DefaultClassifier)
    assert classifier.encoder.layers == classifier.heads.encoder_layers  # type: ignore[attr-defined]


def test_classify__severity_discount_lowers_the_threshold_of_encoded_posts(
        classifier: Classifier) -> None:
    assert isinstance(classifier, DefaultClassifier)
    heads = copy.deepcopy(classifier.heads)
    heads.meta["bands"]["en"] = [0.0, 1.0]  # every English post goes through the encoder
    text = PRAISE["en"]
    heads.meta["severe"] = {}
    [plain] = DefaultClassifier(heads, classifier.encoder).classify([text])
    assert not plain.is_complaint
    heads.meta["severe"] = {"en": {"discount": 1.0, "min_severe": 0.0}}
    [discounted] = DefaultClassifier(heads, classifier.encoder).classify([text])
    assert discounted.is_complaint and discounted.score == plain.score
    heads.meta["severe"] = {"en": {"discount": 1.0, "min_severe": 1.01}}  # nothing is that severe
    [unmoved] = DefaultClassifier(heads, classifier.encoder).classify([text])
    assert not unmoved.is_complaint


def test_classify__first_stage_reads_the_shallow_network(classifier: Classifier) -> None:
    assert isinstance(classifier, DefaultClassifier)
    heads = copy.deepcopy(classifier.heads)
    assert heads.shallow is not None
    heads.meta["bands"] = {"other": [2.0, 2.0]}  # the first stage decides every post
    text = COMPLAINTS["en"]
    [with_it] = DefaultClassifier(heads, classifier.encoder).classify([text])
    w1, b1, w2, b2 = heads.shallow
    heads.shallow = (w1, b1, -w2, -b2)  # the shallow network now says the opposite
    [flipped] = DefaultClassifier(heads, classifier.encoder).classify([text])
    assert flipped.score < with_it.score
    # heads from before the shallow network: no layer-0 encoder, the calibration they had
    heads.shallow = None
    heads.meta["stage1"]["w"] = heads.meta["stage1"]["w"][:-5]
    older = DefaultClassifier(heads, classifier.encoder)
    assert older.shallow is None
    [verdict] = older.classify([text])
    assert 0.0 < verdict.score < 1.0 and verdict.score not in (with_it.score, flipped.score)


def test_heads__shallow_network_saved_and_loaded(tmp_path: Path) -> None:
    heads = load_heads()
    assert heads.shallow is not None
    heads.save(tmp_path / "with")
    again = load_heads(tmp_path / "with").shallow
    assert again is not None
    for saved, loaded in zip(heads.shallow, again, strict=True):
        np.testing.assert_allclose(loaded, saved, atol=1e-3)
    heads.shallow = None
    heads.save(tmp_path / "without")
    assert load_heads(tmp_path / "without").shallow is None


def test_classify__numpy_keeps_one_thread_while_the_encoder_runs(classifier: Classifier) -> None:
    assert isinstance(classifier, DefaultClassifier)
    seen: list[int] = []

    class Watching:
        def encode(self, texts: Sequence[str]) -> np.ndarray:
            seen.extend(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
            return classifier.encoder.encode(texts)  # type: ignore[attr-defined, no-any-return]

    heads = copy.deepcopy(classifier.heads)
    heads.meta["bands"]["en"] = [0.0, 1.0]
    before = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    DefaultClassifier(heads, Watching(), shallow=Watching()).classify([COMPLAINTS["en"]])
    assert seen and set(seen) == {1}
    assert [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"] == before


def test_warm_up__loads_both_encoder_depths(classifier: Classifier) -> None:
    assert isinstance(classifier, DefaultClassifier)
    loaded: list[str] = []

    class Lazy:
        def __init__(self, name: str) -> None:
            self.name = name

        def encode(self, texts: Sequence[str]) -> np.ndarray:
            loaded.append(self.name)
            return np.zeros((len(texts), 384), np.float32)

    DefaultClassifier(classifier.heads, Lazy("deep"), shallow=Lazy("shallow")).warm_up()
    assert sorted(loaded) == ["deep", "shallow"]


def test_classify__batches_from_several_threads_take_turns(classifier: Classifier) -> None:
    assert isinstance(classifier, DefaultClassifier)
    inside = 0
    most = 0
    guard = threading.Lock()

    class Slow:
        def encode(self, texts: Sequence[str]) -> np.ndarray:
            nonlocal inside, most
            with guard:
                inside += 1
                most = max(most, inside)
            time.sleep(0.05)
            with guard:
                inside -= 1
            return np.zeros((len(texts), 384), np.float32)

    heads = copy.deepcopy(classifier.heads)
    heads.meta["bands"]["en"] = [0.0, 1.0]
    shared = DefaultClassifier(heads, Slow(), shallow=Slow())
    before = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    workers = [threading.Thread(target=shared.classify, args=([f"{COMPLAINTS['en']} {n}"],))
               for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert most == 1
    assert [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"] == before


def test_classify__the_encoder_reads_a_long_post_in_at_most_four_pieces(
        classifier: Classifier) -> None:
    assert isinstance(classifier, DefaultClassifier)
    heads = copy.deepcopy(classifier.heads)
    heads.meta["bands"] = {"other": [0.0, 1.0], "en": [0.0, 1.0]}  # every post is encoded
    seen: list[str] = []
    inner = classifier.encoder

    class Recording:
        def encode(self, texts: Sequence[str]) -> np.ndarray:
            seen.extend(texts)
            return inner.encode(texts)

    words = [f"word{i}" for i in range(600)]
    long_post = "my parcel never arrived " + " ".join(words) + " and nobody answers"
    DefaultClassifier(heads, Recording(), shallow=classifier.shallow).classify([long_post])
    assert len(seen) == 4, "608 words are seven runs of at most 90; four of them are read"
    assert all(len(piece.split(" ")) <= 90 for piece in seen)
    assert seen[0].startswith("my parcel never arrived") and seen[-1].endswith("and nobody answers")
    seen.clear()
    DefaultClassifier(heads, Recording(), shallow=classifier.shallow).classify(
        ["my parcel never arrived and nobody answers"])
    assert seen == ["my parcel never arrived and nobody answers"], "a short post is read whole"
