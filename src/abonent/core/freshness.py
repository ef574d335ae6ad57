"""Generations that tell a cached page whether what it shows has changed since it was rendered.

A customer's pages show their accounts' balances, readings, messages and hints. Services that change any
of that call `touch_customers` (or `touch_users` for what belongs to one login, such as its accesses);
bulk runs that change many customers at once (a charge run, an import, the demo) call `touch_everything`.
A page cached under a key that includes `stamp(...)` is then never served after such a change.

A generation is a random token, not a counter or a clock reading: it needs no atomic increment across
processes and no trustworthy clock. A change does not write a new token, it deletes the old one; the next
page view starts a new token (`stamp`), so no page cached before can match again, and only customers whose
pages are viewed hold a key at all (a charge run touching a million customers leaves nothing behind).
Changes made around the services (the admin, raw SQL) are covered by the short lifetime of cached pages.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

EVERYTHING = "fresh:all"
FOREVER = None  # a generation must outlive every page cached under it


def _customer_key(customer_id: int) -> str:
    return f"fresh:c:{customer_id}"


def _user_key(user_id: int) -> str:
    return f"fresh:u:{user_id}"


def _forget_after_commit(keys: list[str]) -> None:
    # After commit only (at once outside a transaction): every cached page's key is stamped before the
    # page reads anything, so a page that read the data before the commit holds the generation in force
    # then, which this forgets; a page stamped after it reads the committed data. One cache round trip
    # per change — a reading submission is the busiest write and this is on its path.
    transaction.on_commit(lambda: cache.delete_many(keys))


def touch_customers(customer_ids: Iterable[int]) -> None:
    """Mark what the customers' pages show as changed."""
    keys = [_customer_key(customer_id) for customer_id in set(customer_ids) if customer_id]
    if keys:
        _forget_after_commit(keys)


def touch_users(user_ids: Iterable[int]) -> None:
    """Mark what the logins' own pages show (their accounts and roles) as changed."""
    keys = [_user_key(user_id) for user_id in set(user_ids) if user_id]
    if keys:
        _forget_after_commit(keys)


def touch_everything() -> None:
    """Mark every customer's pages as changed: for bulk changes that would touch too many one by one."""
    _forget_after_commit([EVERYTHING])


def stamp(*, customer_ids: Iterable[int] = (), user_ids: Iterable[int] = ()) -> str:
    """Return one string that changes whenever any of the customers, logins or everything is touched."""
    keys = [EVERYTHING, *(_user_key(u) for u in sorted(set(user_ids)))]
    keys += [_customer_key(c) for c in sorted(set(customer_ids))]
    found = cache.get_many(keys)
    if missing := [key for key in keys if key not in found]:
        for key in missing:
            cache.add(key, secrets.token_hex(8), timeout=FOREVER)  # add: a process that got there first wins
        found.update(cache.get_many(missing))
    return ".".join(str(found.get(key, 0)) for key in keys)
