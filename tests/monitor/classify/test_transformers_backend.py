from __future__ import annotations

from pathlib import Path

import pytest

from monitor.classify import build_classifier
from monitor.errors import ConfigError
from monitor.settings import ClassifierConfig, Thresholds

torch = pytest.importorskip("torch", reason="the transformers backend needs torch")
transformers = pytest.importorskip("transformers", reason="the transformers backend needs it")

_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "my", "order", "never", "arrived",
          "thanks", "great", "service", "refund", "late", "?", "!", ",", "."]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-bert")
    (folder / "vocab.txt").write_text("\n".join(_VOCAB) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizer(str(folder / "vocab.txt"))
    config = transformers.BertConfig(
        vocab_size=len(_VOCAB), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=64, num_labels=2,
        id2label={0: "PRAISE", 1: "COMPLAINT"}, label2id={"PRAISE": 0, "COMPLAINT": 1},
    )
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config)
    tokenizer.save_pretrained(folder)
    model.save_pretrained(folder)
    return folder


def test_transformers__scores_and_labels(tiny_model: Path) -> None:
    config = ClassifierConfig(backend="transformers", model=str(tiny_model),
                              labels={"COMPLAINT": True, "PRAISE": False})
    classifier = build_classifier(config)
    texts = ["my order never arrived!", "thanks, great service."]
    verdicts = classifier.classify(texts, lang_hints=["en", "en"])
    assert len(verdicts) == 2
    assert all(0.0 <= v.score <= 1.0 for v in verdicts)
    assert all(v.lang == "en" for v in verdicts)
    assert all(v.model.startswith("transformers/") for v in verdicts)
    everything = classifier.classify(texts, thresholds=[Thresholds(default=0.0)])
    nothing = classifier.classify(texts, thresholds=[Thresholds(languages={"en": 1.0})],
                                  lang_hints=["en", "en"])
    assert all(v.is_complaint for v in everything)
    assert not any(v.is_complaint for v in nothing)


def test_transformers__label_mapping_inverts_score(tiny_model: Path) -> None:
    text = ["my order never arrived!"]
    complaint = build_classifier(ClassifierConfig(
        backend="transformers", model=str(tiny_model), labels={"COMPLAINT": True}))
    praise = build_classifier(ClassifierConfig(
        backend="transformers", model=str(tiny_model), labels={"PRAISE": True}))
    a, b = complaint.classify(text)[0].score, praise.classify(text)[0].score
    assert a + b == pytest.approx(1.0, abs=1e-4)


def test_transformers__unknown_label_is_a_config_error(tiny_model: Path) -> None:
    classifier = build_classifier(ClassifierConfig(
        backend="transformers", model=str(tiny_model), labels={"NEGATIVE": True}))
    with pytest.raises(ConfigError, match="NEGATIVE"):
        classifier.classify(["late"])
