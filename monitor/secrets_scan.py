"""Recognise values that look like secrets, so messages and logs never print them.

`looks_secret(text)` says whether a text holds one; `redact(text)` replaces each with
`PLACEHOLDER`. It recognises:

- Slack tokens (xoxb-, xoxp-, xoxa-, xoxe-, xoxs-, xoxo-, xoxr-, xoxe.xoxp-) and app tokens (xapp-);
- OpenAI-style keys (sk-...), GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_);
- AWS access key ids (AKIA..., ASIA...), JWTs (eyJ...), PEM blocks (-----BEGIN ...-----);
- any other token of 32 or more characters that mixes letters and digits at random
  (hex or base64 keys, URL-encoded bearer tokens), but not identifiers made of words,
  such as environment variable names or file paths.

A miss prints a secret, while a false alarm only hides a value, so the rules lean to hiding.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter

PLACEHOLDER = "a value that looks like a secret (not shown)"

_KNOWN = re.compile(
    r"-----BEGIN[A-Z0-9 ]*-----(?:.*?-----END[A-Z0-9 ]*-----|[^'\"]*)"  # PEM, maybe cut short
    r"|\bxox[a-z](?:\.xox[a-z])?-[A-Za-z0-9-]+"  # Slack bot/user/app-level/refresh tokens
    r"|\bxapp-[A-Za-z0-9-]+"  # Slack app-level tokens
    r"|\bsk-[A-Za-z0-9_-]{16,}"  # OpenAI, Anthropic and similar API keys
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}"  # GitHub
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"  # AWS access key ids
    r"|\beyJ[A-Za-z0-9_=-]{8,}(?:\.[A-Za-z0-9_=-]+)*",  # JWT: base64 of '{"'
    re.DOTALL,
)
_CANDIDATE = re.compile(r"[A-Za-z0-9+/=_%-]{32,}")
_WORDS = re.compile(r"[^A-Za-z0-9]+")
_HEX = re.compile(r"[0-9a-fA-F]+")
_MIN_ENTROPY = 3.3  # bits per character; random hex has about 3.8, base64 about 5


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _case_switches(word: str) -> int:
    return sum(a.isupper() != b.isupper() for a, b in itertools.pairwise(word))


def _wordlike(word: str) -> bool:
    """A part of an identifier: a number, a short part, or letters that switch case rarely."""
    if word.isdigit() or len(word) <= 6:
        return True
    if not word.isalpha():
        return False
    if _case_switches(word) <= len(word) // 4:  # lowercase, UPPERCASE, Capitalised
        return True
    # CamelCaseWords switch case as often as rAnDoM letters, but their lowercase letters hold
    # vowels like words do (random letters: about a quarter) and repeat more.
    lower = [c for c in word if c.islower()]
    vowels = sum(c in "aeiouy" for c in lower)
    return vowels >= 0.38 * len(lower) and _entropy(word) < 4.4


def _random_token(token: str) -> bool:
    """True for a long token that reads as random characters rather than words."""
    if not any(c.isalpha() for c in token):
        return False
    words = [w for w in _WORDS.split(token) if w]
    # ACME_X_BEARER_TOKEN, /srv/models/complaints-v2-2024, VeryLongCamelCaseName: not secrets.
    if all(_wordlike(w) for w in words):
        return False
    core = "".join(words)
    if _HEX.fullmatch(core) and len(core) >= 32:
        return _entropy(core) >= 2.5
    return _entropy(token) >= _MIN_ENTROPY


def _spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _KNOWN.finditer(text)]
    spans += [m.span() for m in _CANDIDATE.finditer(text) if _random_token(m.group())]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def looks_secret(text: str) -> bool:
    """True when `text` holds something that looks like a token, key or password file."""
    return bool(_spans(text))


def redact(text: str) -> str:
    """`text` with each secret-looking value (and the quotes around it) replaced by a phrase."""
    out, last = [], 0
    for begin, stop in _spans(text):
        start, end = begin, stop
        if (start > last and end < len(text) and text[start - 1] == text[end]
                and text[end] in "'\""):
            start, end = start - 1, end + 1  # 'xoxb-...' -> the phrase, without the quotes
        out += [text[last:start], PLACEHOLDER]
        last = end
    out.append(text[last:])
    return "".join(out)
