"""A tiny brand-mention corpus, written for the tests: four brands in two pairs."""

from __future__ import annotations

import csv
from pathlib import Path

BRANDS = """\
version: 1
brands:
  - id: alpha
    name: Alphaphone
    keywords: ["Alphaphone"]
    competitors: ["Betacell"]
    not_us: ["Alphaphone FC"]
    slack: {channel: "#alpha"}
    responders: [U0TEST0001]
    sources: [{type: replay, name: r, options: {path: a.jsonl}}]
  - id: beta
    name: Betacell
    keywords: ["Betacell"]
    competitors: ["Alphaphone"]
    slack: {channel: "#beta"}
    responders: [U0TEST0001]
    sources: [{type: replay, name: r, options: {path: b.jsonl}}]
  - id: gamma
    name: Gammafood
    keywords: ["Gammafood"]
    competitors: ["Deltaeats"]
    slack: {channel: "#gamma"}
    responders: [U0TEST0001]
    sources: [{type: replay, name: r, options: {path: c.jsonl}}]
  - id: delta
    name: Deltaeats
    keywords: ["Deltaeats"]
    competitors: ["Gammafood"]
    slack: {channel: "#delta"}
    responders: [U0TEST0001]
    sources: [{type: replay, name: r, options: {path: d.jsonl}}]
"""
HEADER = ["id", "text", "lang", "brand", "style", "variety", "kind", "label", "blamed",
          "category", "severity", "rating", "pair"]
NAMES = {"alpha": "Alphaphone", "beta": "Betacell", "gamma": "Gammafood", "delta": "Deltaeats"}
RIVAL = {"alpha": "beta", "beta": "alpha", "gamma": "delta", "delta": "gamma"}
ROWS = [  # (text with {us} and {them}, style, kind, blamed us/them/"", category, severity)
    ("{us} lost my order again, still nothing after {n} days", "plain", "complaint", "us",
     "delivery", "disapproval"),
    ("hi {us}, my refund {n} has not arrived yet, could you check?", "calm", "complaint", "us",
     "refund", "no explicit reproach"),
    ("why did {us} charge me twice for order {n}??", "question_complaint", "complaint", "us",
     "payment", "accusation"),
    ("{us} stole my money, scam, reporting you", "plain", "complaint", "us", "payment", "blame"),
    ("does {us} deliver to street {n} on sundays?", "info_question", "question", "", "", ""),
    ("thanks {us}, parcel {n} came early and perfect", "praise", "praise", "", "", ""),
    ("{us} opens {n} new shops this year, the company said", "news", "other", "", "", ""),
    ("switched to {us} after {them} lost my parcel {n} times", "competitor", "other", "them",
     "delivery", "disapproval"),
    ("storm closed the roads, so {us} was {n} hours late, nobody's fault", "excused", "other",
     "", "", ""),
]


def write_corpus(folder: Path) -> Path:
    """Write brands.yaml and two writers' posts_*.csv into `folder`; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "brands.yaml").write_text(BRANDS, encoding="utf-8")
    for writer, variety in (("en_a", "us"), ("en_b", "uk")):
        with (folder / f"posts_{writer}.csv").open("w", encoding="utf-8", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(HEADER)
            n = 0
            for brand, us in NAMES.items():
                for copy in range(2):
                    for text, style, kind, blamed, category, severity in ROWS:
                        n += 1
                        them = NAMES[RIVAL[brand]]
                        body = text.format(us=us, them=them, n=n + copy)
                        who = {"us": brand, "them": RIVAL[brand]}.get(blamed, "")
                        out.writerow([f"{writer}-{n:04d}", body, "en", brand, style, variety,
                                      kind, int(kind == "complaint"), who, category, severity,
                                      "", ""])
    return folder
