"""`brand-monitor forget` and `brand-monitor audit`; the CLI wires them in with `register`."""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from monitor.errors import ConfigError

if TYPE_CHECKING:
    from monitor.settings import Config
    from monitor.store import Store
    from monitor.store_privacy import AuditEntry, ForgetCounts

HANDLES_HOW = ("Write a customer as platform:handle, the handle as the platform shows it, "
               "e.g. x:maya or reddit:Maya_R (any case; a leading @ is ignored).")
FORGET_HELP = "erase one customer's posts and details everywhere (on request, e.g. under the GDPR)"
FORGET_DESCRIPTION = """\
Erase everything stored about one customer, in every brand: their posts (matched on the
platform and handle, and on the author id those posts carry, so a renamed handle is found
too), their names, links and ids, the suggested replies written to them, the reply texts,
training labels of their posts, links the team made between their handles, and every Slack
message about their cases still waiting or already sent.

Who did what to a case is kept as an audit trail: each case stays as an anonymised record
(reference, status, priority, deadline, times, who acknowledged, assigned and replied, the
event kinds and times) with every event detail cleared, its customer key replaced by
`forgotten:<number>`, and an event `forgotten` naming --by. An open case is closed as
resolved so no reminder or escalation is sent about it. Messages already posted in Slack
stay there: delete them in Slack.
"""
AUDIT_HELP = "export who did what to which case (time, brand, case, actor, action, detail)"
COLUMNS = ("time", "brand", "case", "actor", "action", "detail")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `forget` and `audit` subcommands."""
    p = subparsers.add_parser("forget", help=FORGET_HELP, description=FORGET_DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("customer", metavar="PLATFORM:HANDLE",
                   help="the customer, e.g. x:maya or reddit:Maya_R (any case, @ optional)")
    p.add_argument("--config", metavar="FILE",
                   help="brands file, to point out linked_customers naming them (optional)")
    p.add_argument("--dry-run", action="store_true",
                   help="count what would be erased; change nothing")
    p.add_argument("--by", default=os.environ.get("USER", "cli"),
                   help="who asks for the erasure (recorded on each case)")
    p.set_defaults(func=cmd_forget)

    p = subparsers.add_parser("audit", help=AUDIT_HELP, description=(
        "One row per case event: when (UTC), brand, case reference, actor, action (the event "
        "kind) and detail. Details that quote or greet the customer are left out, and a "
        "customer's own posts show as actor 'customer'."))
    p.add_argument("--since", default="30d", metavar="WHEN",
                   help="how far back: 30d, 12h, or a date like 2026-10-01 (default 30d)")
    p.add_argument("--brand", metavar="ID", help="only this brand's cases")
    p.add_argument("--csv", action="store_true", help="write CSV (with a header row) to stdout")
    p.add_argument("--config", metavar="FILE", help="brands file, to check --brand (optional)")
    p.set_defaults(func=cmd_audit)


def _config(value: str | None) -> Config | None:
    """The brands file when one is given or found; these commands also work without one."""
    from monitor.cli import _config_path
    from monitor.config_loader import load_config

    try:
        path = _config_path(value)
    except ConfigError:
        return None
    return load_config(path, check_sources=False)


def _store() -> Store:
    from monitor.settings import Environment
    from monitor.store import Store

    return Store.from_url(Environment.from_env().database_url)


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def forget_summary(counts: ForgetCounts) -> str:
    """The counts in words: "3 mentions, 2 cases anonymised, 5 events cleared, …"."""
    parts = [(counts.mentions, _n(counts.mentions, "mention")),
             (counts.cases, _n(counts.cases, "case") + " anonymised"
              + (f" ({counts.cases_closed} still open, now closed)" if counts.cases_closed else "")),
             (counts.events, _n(counts.events, "event") + " cleared"),
             (counts.suggestions, _n(counts.suggestions, "suggested reply", "suggested replies")),
             (counts.reply_claims, _n(counts.reply_claims, "reply claim")),
             (counts.pending_messages,
              _n(counts.pending_messages, "pending Slack message") + " dropped"),
             (counts.sent_messages, _n(counts.sent_messages, "sent Slack message record")),
             (counts.labels, _n(counts.labels, "training label")),
             (counts.customer_links, _n(counts.customer_links, "customer link")),
             (counts.waves_deleted, _n(counts.waves_deleted, "empty wave")),
             (counts.waves_retitled, _n(counts.waves_retitled, "wave topic") + " replaced"),
             (counts.quarantined, _n(counts.quarantined, "quarantined post"))]
    return ", ".join(text for number, text in parts if number)


def cmd_forget(args: argparse.Namespace) -> int:
    from monitor.privacy import forget, parse_customer

    customer = parse_customer(args.customer)
    if customer is None:
        print(f"forget: {args.customer!r} is not platform:handle. {HANDLES_HOW}", file=sys.stderr)
        return 2
    config = _config(args.config)
    counts = forget(_store(), customer, args.by, datetime.now(UTC), dry_run=args.dry_run)
    in_yaml = [b.id for b in config.brands for group in b.linked_customers
               if customer.key in {k.lower().replace(":@", ":") for k in group}] if config else []
    for brand_id in in_yaml:
        print(f"{customer.key} is named in linked_customers of brand {brand_id} in the brands "
              "file: remove it there too.")
    if counts.nothing:
        print(f"Nothing stored about {customer.key}; nothing was changed. {HANDLES_HOW}")
        return 1
    if args.dry_run:
        print(f"Would forget {customer.key}: {forget_summary(counts)}.")
        print("Nothing was changed (--dry-run); run it again without --dry-run to erase.")
    else:
        print(f"Forgot {customer.key}: {forget_summary(counts)}.")
    if counts.linked_keys:
        keys = ", ".join(counts.linked_keys)
        print(f"The team had linked them to {keys}; if that is the same person, forget "
              f"{'it' if len(counts.linked_keys) == 1 else 'them'} too "
              f"(brand-monitor forget {counts.linked_keys[0]}).")
    if counts.cases and not args.dry_run:
        print("Alerts already posted in Slack about these cases stay there: delete them in Slack.")
    return 0


def _row(entry: AuditEntry) -> tuple[str, ...]:
    return (entry.at.astimezone(UTC).isoformat(timespec="seconds"), entry.brand_id,
            entry.reference, entry.actor, entry.action, entry.detail)


def audit_table(rows: Sequence[tuple[str, ...]]) -> str:
    """Rows as aligned columns under a header; the last column is not padded."""
    table = [COLUMNS, *(tuple(" ".join(cell.split()) for cell in r) for r in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(COLUMNS) - 1)]
    return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]])
                     .rstrip() for r in table)


def cmd_audit(args: argparse.Namespace) -> int:
    from monitor.privacy import audit_trail, parse_since

    now = datetime.now(UTC)
    since = parse_since(args.since, now)
    if since is None:
        print(f"audit: --since {args.since!r}: write a duration like 30d or 12h, or a date "
              "like 2026-10-01", file=sys.stderr)
        return 2
    config = _config(args.config)
    if args.brand and config is not None and args.brand not in {b.id for b in config.brands}:
        print(f"audit: no brand {args.brand!r} in the brands file; its brands are "
              f"{', '.join(b.id for b in config.brands)}", file=sys.stderr)
        return 2
    rows = [_row(e) for e in audit_trail(_store(), since, args.brand)]
    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
        return 0
    if not rows:
        print(f"No case events since {since.isoformat(timespec='seconds')}"
              + (f" for {args.brand}." if args.brand else "."))
        return 0
    print(audit_table(rows))
    return 0
