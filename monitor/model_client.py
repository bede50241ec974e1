"""The one file that talks to a chat model: any OpenAI-compatible endpoint, through `openai`.

Ollama, a llama.cpp server, vLLM and hosted APIs all answer POST {base}/chat/completions. One
call, no retries (the template drafts are already offered; a retry would only come later than
anyone waits), JSON asked for; every failure becomes a `DraftingError` with a short reason.
Nothing of the SDK leaves this file.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import openai

from monitor.errors import DraftingError
from monitor.model_prompt import DraftRequest, ModelAnswer, build_messages, parse_answer


def _seconds(timeout: timedelta) -> str:
    return f"{timeout.total_seconds():g} s"


def request_drafts(req: DraftRequest, *, endpoint: str, model: str, api_key: str | None,
                   timeout: timedelta) -> ModelAnswer:
    """Ask `model` at `endpoint` for the drafts and glosses `req` wants; raise DraftingError."""
    client = openai.OpenAI(base_url=endpoint, api_key=api_key or "none",
                           timeout=timeout.total_seconds(), max_retries=0)
    try:
        messages: Any = build_messages(req)  # plain dicts, shaped as the SDK's message params
        completion = client.chat.completions.create(
            model=model, messages=messages, response_format={"type": "json_object"},
            temperature=0.4)
        choice = completion.choices[0]
        content, finish = choice.message.content, choice.finish_reason
    except openai.APITimeoutError:
        raise DraftingError(f"timed out after {_seconds(timeout)}") from None
    except openai.APIStatusError as exc:
        raise DraftingError(f"the model's endpoint answered HTTP {exc.status_code}") from None
    except openai.APIConnectionError:
        raise DraftingError("could not reach the model's endpoint") from None
    except (openai.OpenAIError, AttributeError, IndexError, TypeError) as exc:
        raise DraftingError(f"the model's endpoint answered in an unexpected shape "
                            f"({type(exc).__name__})") from None
    finally:
        client.close()
    try:
        return parse_answer(content, req)
    except DraftingError:
        if finish == "length":
            raise DraftingError("the model's answer was cut off (its token limit)") from None
        raise
