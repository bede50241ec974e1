"""The model backend for drafting, against a local fake OpenAI-compatible endpoint: the case
opens with the template drafts, the model's checked drafts replace them in place (or the
templates stay and the alert says why), and posts the team does not read get glosses."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from alerts import action_ids as ids
from alerts.delivery import SlackDelivery
from alerts.sender import flush
from alerts.service import make_client
from monitor import casework
from monitor.domain import Suggestion
from monitor.model_drafting import ModelDrafter
from monitor.poller import poll_all
from monitor.settings import Environment
from tests.factories import World, make_world, post
from tests.fake_chat import FakeChat
from tests.fake_slack import FakeSlack
from tests.test_story import buttons

MODEL = "fake-llm:8b"
DRAFTING = """\
    drafting:
      backend: {backend}
      endpoint: {url}
      model: "{model}"
      timeout: {timeout}
      policy:
        tone: warm and brief
        never_promise: [refund, compensation, "zwrot*"]
        forbidden_words: [cheap]
        allowed_links: [help.acme.example]
"""
EN_POST = "acme parcel is late again, two weeks now. Write me at jan.kowal@example.com"
FA_POST = "سفارش من دو هفته است که late شده و هیچ کس جواب نمی‌دهد"
GOOD = ["Hi Jan, we're sorry your Acme parcel is late again, two weeks is far too long. Please "
        "send us a DM with your order details and we'll chase it today. Ref ACME-0001",
        "Jan, sorry it happened again: a two-week delay is not what you should get from us. "
        "DM us your order number and we will check where the parcel is. Ref ACME-0001",
        "We're sorry, Jan, this delay is on us. Please DM us and we'll find your parcel. "
        "Details at https://help.acme.example/late. Ref ACME-0001"]
GOOD = [f"{text}\n— Acme" for text in GOOD]  # the signature, as the prompt asks
FA_GOOD = ["سلام جان عزیز، از تأخیر سفارش شما واقعاً متأسفیم. لطفاً در پیام خصوصی برای ما بنویسید "
           "تا پیگیری کنیم. ACME-0001",
           "جان عزیز، بابت این تأخیر پوزش می‌خواهیم. لطفاً جزئیات سفارش را در پیام خصوصی بفرستید. "
           "ACME-0001"]
FA_GOOD = [f"{text}\n— Acme" for text in FA_GOOD]


@dataclass
class Bench:
    world: World
    slack: FakeSlack
    chat: FakeChat
    delivery: SlackDelivery

    @property
    def drafter(self) -> ModelDrafter:
        assert self.world.runtime.drafter is not None
        return self.world.runtime.drafter

    def run_once(self, *records: dict[str, Any]) -> int:
        """A post appears, the bot polls and sends; returns the case's id."""
        self.world.add_posts(*records)
        poll_all(self.world.runtime)
        self.drafter.drain()
        flush(self.world.runtime, self.delivery)
        [case] = self.world.runtime.store.cases()
        return case.id

    def suggestions(self, case_id: int) -> list[Suggestion]:
        return self.world.runtime.store.suggestions(case_id)

    def alert(self) -> list[dict[str, Any]]:
        """The alert as Slack shows it now: the last update, or the first post."""
        updates = self.slack.of("chat.update")
        if updates:
            return list(updates[-1].params["blocks"])
        [first] = [c for c in self.slack.of("chat.postMessage") if "blocks" in c.params
                   and buttons(c.params["blocks"], ids.PUBLISH)]
        return list(first.params["blocks"])

    def alert_text(self) -> str:
        return json.dumps(self.alert(), ensure_ascii=False)


def _bench(tmp_path: Path, *, backend: str = "model", timeout: str = "15s",
           synchronous: bool = True, more: str = "") -> Iterator[Bench]:
    with FakeSlack() as slack, FakeChat() as chat:
        env = Environment(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack.url,
                          database_url=f"sqlite:///{tmp_path / 'bm.db'}")
        extra = DRAFTING.format(backend=backend, url=chat.url, model=MODEL, timeout=timeout) + more
        world = make_world(tmp_path, env=env, extra=extra)
        assert world.runtime.drafter is not None
        world.runtime.drafter.synchronous = synchronous
        try:
            yield Bench(world, slack, chat, SlackDelivery(make_client(env)))
        finally:
            world.runtime.drafter.close()


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Bench]:
    yield from _bench(tmp_path)


def _replies(texts: list[str], glosses: list[str] | None = None, **more: Any) -> dict[str, Any]:
    items = [{"text": t, **({"gloss": glosses[i]} if glosses else {})} for i, t in enumerate(texts)]
    return {"replies": items, **more}


def _templates_kept(bench: Bench, case_id: int) -> list[Suggestion]:
    kept = bench.suggestions(case_id)
    assert kept and all(s.origin == "template" for s in kept)
    assert not any(s.text in GOOD for s in kept)
    return kept


def test_good_draft__replaces_the_templates_and_the_alert_says_model(bench: Bench) -> None:
    bench.chat.answer(_replies(GOOD))
    bench.world.runtime.on_case_opened.remove(bench.drafter)  # open with templates first
    bench.world.add_posts(post("1", EN_POST, minutes_ago=2))
    poll_all(bench.world.runtime)
    flush(bench.world.runtime, bench.delivery)
    [case] = bench.world.runtime.store.cases()
    templates = bench.suggestions(case.id)
    posted = buttons(bench.alert(), ids.PUBLISH)
    assert "Drafted by" not in bench.alert_text()

    assert bench.drafter.redraft(case.id) is True
    flush(bench.world.runtime, bench.delivery)

    drafted = bench.suggestions(case.id)
    assert [s.text for s in drafted] == GOOD
    # New ids: a button still showing a template publishes nothing rather than the model's text.
    assert not {s.id for s in drafted} & {s.id for s in templates}
    assert all(bench.world.runtime.store.suggestion(s.id) is None for s in templates)
    assert all(s.origin == "model" for s in drafted)
    stored = bench.world.runtime.store.case(case.id)
    assert stored.drafts_origin == f"model:{MODEL}" and stored.drafts_note is None
    text = bench.alert_text()
    assert f"Drafted by {MODEL}, checked" in text and "two weeks is far too long" in text
    redrawn = [b["value"] for b in buttons(bench.alert(), ids.PUBLISH)]
    assert len(redrawn) == len(GOOD) and not set(redrawn) & {b["value"] for b in posted}
    assert "Machine translation" not in text  # an English post, read by the team
    assert "model_drafted" in [e.kind for e in bench.world.runtime.store.events(case.id)]


def test_request__carries_the_post_categories_limit_and_policy(bench: Bench) -> None:
    bench.chat.answer(_replies(GOOD))
    bench.run_once(post("1", EN_POST, minutes_ago=2))
    [request] = bench.chat.requests
    assert request["model"] == MODEL and request["response_format"] == {"type": "json_object"}
    prompt = bench.chat.prompt()
    facts = json.loads(request["messages"][1]["content"])
    assert facts["post"] == EN_POST and facts["post_language"] == "English (en)"
    assert facts["categories"] == ["delivery"] and facts["max_characters_per_reply"] == 280
    assert facts["repeat"] is True  # "again"
    assert facts["case_reference"] == "ACME-0001" and facts["brand"] == "Acme Coffee"
    assert facts["customer_display_name"] == "Jan" and facts["signature"] == "— Acme"
    assert facts["policy"]["never_promise"] == ["refund", "compensation", "zwrot*"]
    assert facts["policy"]["allowed_link_domains"] == ["help.acme.example"]
    assert "at most 280 characters" in prompt and "private channel" in prompt
    assert "Never promise: refund" in prompt and "cheap" in prompt
    assert "post_gloss" not in prompt  # the team reads English
    assert {k.lower(): v for k, v in bench.chat.headers[0].items()}["authorization"] == "Bearer none"


def test_draft_without_the_signature__signed_when_it_fits(bench: Bench) -> None:
    short = "Sorry Jan, your parcel is late again. Please DM us your order details. ACME-0001"
    bench.chat.answer(_replies([short, "Sorry about the late parcel. " * 10]))
    case_id = bench.run_once(post("1", EN_POST, minutes_ago=2))
    [offered] = bench.suggestions(case_id)
    assert offered.text == f"{short}\n— Acme"
    assert "1 of 2 dropped: too long (" in bench.alert_text()


def test_two_categories__both_in_the_request(bench: Bench) -> None:
    bench.chat.answer(_replies(GOOD))
    bench.run_once(post("1", "acme parcel late and the staff were rude", minutes_ago=2))
    facts = json.loads(bench.chat.requests[0]["messages"][1]["content"])
    assert facts["categories"] == ["delivery", "service"] and facts["main_category"] == "delivery"


@pytest.mark.parametrize(("answer", "reason"), [
    (_replies(["Dzień dobry, bardzo nam przykro, że paczka się spóźnia. Napisz do nas "
               "prywatnie, sprawdzimy to. ACME-0001"]), "wrong language (pl, not en)"),
    (_replies(["We are so sorry about the delay with your parcel, it should never take two "
               "weeks. " * 5]), "too long ("),
    (_replies(["Sorry Jan, we'll write to you at jan.kowal@example.com about the late parcel "
               "today. ACME-0001"]), "repeated an e-mail address from the post"),
    (_replies(["Sorry Jan, your late parcel gets a full Refund today, we promise. ACME-0001"]),
     "promised “refund”"),
    (_replies(["Sorry Jan, the late parcel is on us. See https://evil.example/x. ACME-0001"]),
     "linked to evil.example, which the brand did not allow"),
])
def test_failing_draft__templates_stay_and_the_alert_says_why(bench: Bench, answer: dict[str, Any],
                                                             reason: str) -> None:
    bench.chat.answer(answer)
    case_id = bench.run_once(post("1", EN_POST, minutes_ago=2))
    _templates_kept(bench, case_id)
    stored = bench.world.runtime.store.case(case_id)
    assert stored.drafts_origin == "template" and reason in (stored.drafts_note or "")
    text = bench.alert_text()
    assert "Template replies: the model's drafts failed the check: " in text
    assert json.dumps(reason, ensure_ascii=False)[1:-1] in text


def test_some_drafts_fail__the_others_are_offered_and_the_alert_counts_them(bench: Bench) -> None:
    bench.chat.answer(_replies([GOOD[0], "Sorry! Write to jan.kowal@example.com. ACME-0001",
                                GOOD[1]]))
    case_id = bench.run_once(post("1", EN_POST, minutes_ago=2))
    assert [s.text for s in bench.suggestions(case_id)] == [GOOD[0], GOOD[1]]
    assert (f"Drafted by {MODEL}, checked (1 of 3 dropped: repeated an e-mail address from the "
            "post)") in bench.alert_text()


@pytest.mark.parametrize(("reply", "reason"), [
    ({"status": 500}, "the model's endpoint answered HTTP 500"),
    ({"content": "Sure! Here are three replies: 1. Sorry..."},
     "the model's answer was not the JSON object asked for"),
    ({"content": json.dumps({"answers": ["Sorry"]})}, "the model's answer held no replies"),
])
def test_model_fails__templates_stay_and_the_alert_says_why(bench: Bench, reply: dict[str, Any],
                                                           reason: str) -> None:
    content = reply.pop("content", "{}")
    bench.chat.answer(content, **reply)
    case_id = bench.run_once(post("1", EN_POST, minutes_ago=2))
    _templates_kept(bench, case_id)
    assert bench.world.runtime.store.case(case_id).drafts_note == reason
    assert f"Template replies: the model gave no drafts: {reason}".replace("'", "\u2019") in \
        bench.alert_text().replace("'", "\u2019")


def test_timeout__templates_stay_and_the_alert_says_it_timed_out(tmp_path: Path) -> None:
    for bench in _bench(tmp_path, timeout="0.5s"):
        bench.chat.answer(_replies(GOOD), delay=3.0)
        case_id = bench.run_once(post("1", EN_POST, minutes_ago=2))
        _templates_kept(bench, case_id)
        assert bench.world.runtime.store.case(case_id).drafts_note == "timed out after 0.5 s"
        assert "the model gave no drafts: timed out after 0.5 s" in bench.alert_text()


def test_post_the_team_does_not_read__glossed_with_each_reply(bench: Bench) -> None:
    bench.chat.answer(_replies(FA_GOOD, ["Hello dear Jan, we are truly sorry about the delay.",
                                         "Dear Jan, apologies for the delay. Send the details in a DM."],
                               post_gloss="My order has been late for two weeks and nobody answers."))
    case_id = bench.run_once(post("1", FA_POST, minutes_ago=2, lang="fa"))
    facts = json.loads(bench.chat.requests[0]["messages"][1]["content"])
    assert facts["post_language"] == "Persian (fa)" and "English (en)" in bench.chat.prompt()
    assert "post_gloss" in bench.chat.prompt()
    drafted = bench.suggestions(case_id)
    assert [s.text for s in drafted] == FA_GOOD
    assert drafted[0].gloss == "Hello dear Jan, we are truly sorry about the delay."
    text = bench.alert_text()
    assert ("_Machine translation into English:_ My order has been late for two weeks and "
            "nobody answers.") in text
    assert "_Machine translation into English:_ Dear Jan, apologies for the delay." in text


def test_drafts_fail_for_a_foreign_post__the_glosses_of_the_templates_still_shown(
        bench: Bench) -> None:
    bench.chat.answer(_replies(["Sorry for the delay, Jan. DM us please. ACME-0001"],
                               post_gloss="My order is two weeks late.",
                               current_reply_glosses=["Template one, in English.",
                                                      "Template two, in English.",
                                                      "Template three, in English."]))
    case_id = bench.run_once(post("1", FA_POST, minutes_ago=2, lang="fa"))
    facts = json.loads(bench.chat.requests[0]["messages"][1]["content"])
    kept = _templates_kept(bench, case_id)
    assert facts["current_replies"] == [s.text for s in kept]
    assert kept[0].gloss == "Template one, in English."
    text = bench.alert_text()
    assert "wrong language (en, not fa)" in text
    assert "_Machine translation into English:_ My order is two weeks late." in text
    assert "_Machine translation into English:_ Template one, in English." in text


def test_template_backend_with_an_endpoint__only_glosses(tmp_path: Path) -> None:
    for bench in _bench(tmp_path, backend="template"):
        bench.chat.answer({"post_gloss": "My order is two weeks late.",
                           "current_reply_glosses": ["One.", "Two.", "Three."]})
        case_id = bench.run_once(post("1", FA_POST, minutes_ago=2, lang="fa"))
        assert "replies" not in json.loads(bench.chat.prompt().split("shaped like: ")[1]
                                           .splitlines()[0])
        kept = _templates_kept(bench, case_id)
        assert kept[0].gloss == "One."
        text = bench.alert_text()
        assert "Machine translation into English:_ My order is two weeks late." in text
        assert "Drafted by" not in text and "Template replies" not in text
        bench.chat.requests.clear()
        # an English post, read by the team: nothing to ask the model
        bench.world.add_posts(post("2", "acme coffee was broken", minutes_ago=1))
        poll_all(bench.world.runtime)
        assert bench.chat.requests == []


def test_case_answered_before_the_model__nothing_changes(bench: Bench) -> None:
    bench.chat.answer(_replies(GOOD))
    bench.world.runtime.on_case_opened.remove(bench.drafter)
    bench.world.add_posts(post("1", EN_POST, minutes_ago=2))
    poll_all(bench.world.runtime)
    [case] = bench.world.runtime.store.cases()
    before = bench.suggestions(case.id)
    outcome = casework.publish_reply(bench.world.runtime, case.id, before[0].text, "U0ALLOWED")
    assert outcome.changed
    assert bench.drafter.redraft(case.id) is False
    assert bench.suggestions(case.id) == before
    assert bench.world.runtime.store.case(case.id).drafts_origin == "template"
    assert bench.chat.requests == []


def test_in_the_pool__the_poll_and_the_alert_do_not_wait_for_the_model(tmp_path: Path) -> None:
    for bench in _bench(tmp_path, synchronous=False):
        answer_now = threading.Event()
        bench.chat.answer(_replies(GOOD), hold=answer_now)
        bench.world.add_posts(post("1", EN_POST, minutes_ago=2))
        poll_all(bench.world.runtime)  # returns while the model has not answered
        flush(bench.world.runtime, bench.delivery)
        [case] = bench.world.runtime.store.cases()
        assert "Drafted by" not in bench.alert_text()  # the alert is out, with the templates
        assert all(s.origin == "template" for s in bench.suggestions(case.id))
        answer_now.set()
        bench.drafter.drain()
        flush(bench.world.runtime, bench.delivery)
        assert [s.text for s in bench.suggestions(case.id)] == GOOD
        assert f"Drafted by {MODEL}, checked" in bench.alert_text()


ORDER_POST = "acme order #48213: the Aero Kettle is late again, two weeks now"
ASKS = ("Hi Jan, we're sorry the Aero Kettle is late again, two weeks is too long. Please DM us "
        "your order number and we'll chase it today. Ref ACME-0001\n— Acme")
ACKNOWLEDGES = ("Hi Jan, we're sorry order 48213 is late again, two weeks is too long for your "
                "Aero Kettle. Please DM us and we'll chase it today. Ref ACME-0001\n— Acme")


def test_request__names_the_order_number_product_and_wait(tmp_path: Path) -> None:
    for bench in _bench(tmp_path, more="    products: [Aero Kettle]\n"):
        bench.chat.answer(_replies([ACKNOWLEDGES]))
        bench.run_once(post("1", ORDER_POST, minutes_ago=2))
        facts = json.loads(bench.chat.requests[0]["messages"][1]["content"])
        assert facts["order_number"] == "48213" and facts["product"] == "Aero Kettle"
        assert facts["waiting_since"] == "two weeks"
        prompt = bench.chat.prompt()
        assert 'acknowledge it ("about order 48213")' in prompt
        assert "never ask for the order number or the order details again" in prompt
        assert "The post is about Aero Kettle" in prompt and "(“two weeks”)" in prompt


def test_request__an_account_number_is_not_handed_on_and_never_repeated(bench: Bench) -> None:
    bench.chat.answer(_replies(GOOD))
    bench.run_once(post("1", "acme charged my account 77341298 twice and the refund is late",
                        minutes_ago=2))
    facts = json.loads(bench.chat.requests[0]["messages"][1]["content"])
    assert not [k for k in facts if k.endswith("_number")]
    prompt = bench.chat.prompt()
    assert "account number: never repeat it in public" in prompt
    assert "Acknowledge an order or booking number" not in prompt


def test_request__a_post_without_a_number_gets_the_general_rule(bench: Bench) -> None:
    bench.chat.answer(_replies(GOOD))
    bench.run_once(post("1", EN_POST, minutes_ago=2))
    facts = json.loads(bench.chat.requests[0]["messages"][1]["content"])
    assert "order_number" not in facts and "product" not in facts
    assert "Acknowledge an order or booking number the post names" in bench.chat.prompt()


def test_draft_asking_again_for_the_order_number__dropped(bench: Bench) -> None:
    bench.chat.answer(_replies([ASKS, ACKNOWLEDGES]))
    case_id = bench.run_once(post("1", ORDER_POST, minutes_ago=2))
    assert [s.text for s in bench.suggestions(case_id)] == [ACKNOWLEDGES]
    assert (f"Drafted by {MODEL}, checked (1 of 2 dropped: asked again for the order number the "
            "post gives)") in bench.alert_text()


def test_draft_printing_the_account_number__dropped_and_templates_stay(bench: Bench) -> None:
    bench.chat.answer(_replies(["Sorry Jan, we see account 77341298 was charged twice; the "
                                "refund is late and we will fix it today. Ref ACME-0001\n— Acme"]))
    case_id = bench.run_once(post("1", "acme charged my account 77341298 twice and the refund "
                                       "is late", minutes_ago=2))
    _templates_kept(bench, case_id)
    assert bench.world.runtime.store.case(case_id).drafts_note == \
        "repeated the account number from the post"
    assert not any("77341298" in s.text for s in bench.suggestions(case_id))


def test_run_command__its_shutdown_closes_the_drafter_after_the_case_in_flight(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`brand-monitor run --once` ends with the model still drafting a case: the shutdown stops
    the pool and waits (at most the drafting timeout) for that case, whose drafts then land."""
    from monitor import cli
    from tests.factories import KeywordClassifier, write_brands

    with FakeChat() as chat:
        answer_now = threading.Event()
        chat.answer(_replies(GOOD), hold=answer_now)
        brands = write_brands(tmp_path, DRAFTING.format(backend="model", url=chat.url,
                                                         model=MODEL, timeout="15s"))
        (tmp_path / "posts.jsonl").write_text(json.dumps(post("1", EN_POST, minutes_ago=2)) + "\n")
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bm.db'}")
        monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
        monkeypatch.setattr("monitor.classify.build_classifier",
                            lambda config=None: KeywordClassifier())
        built: list[Any] = []
        closing: list[bool] = []
        original_runtime_for, original_close = cli.runtime_for, ModelDrafter.close

        def runtime_for(*args: Any) -> Any:
            built.append(original_runtime_for(*args))
            return built[-1]

        def close(self: ModelDrafter, wait_s: float = 0.0) -> bool:
            # the model is still holding its answer when the command shuts down
            closing.append(bool(self._futures))
            answer_now.set()
            return original_close(self, wait_s)

        monkeypatch.setattr(cli, "runtime_for", runtime_for)
        monkeypatch.setattr(ModelDrafter, "close", close)

        assert cli.main(["run", "--config", str(brands), "--once"]) == 0

        [runtime] = built
        assert closing == [True]  # closed once, with a case still in the pool
        assert runtime.drafter is not None and runtime.drafter.closed
        [case] = runtime.store.cases()
        assert [s.text for s in runtime.store.suggestions(case.id)] == GOOD
        assert runtime.store.case(case.id).drafts_origin == f"model:{MODEL}"
        runtime.drafter(case.id)  # after the shutdown, a new case is not handed to the model
        assert len(chat.requests) == 1
    assert "ACME-0001" in capsys.readouterr().out  # the alert, printed with the templates
