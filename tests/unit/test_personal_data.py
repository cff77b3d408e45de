"""The personal-data classification's own rules, without a database."""

from domain.personal_data import (
    PERSONAL_DATA,
    Erasure,
    Link,
    deleted_on_erasure,
    erased_in_place,
    stale,
)


def test_no_column_is_both_personal_and_not() -> None:
    both = {t: p.personal & p.not_personal for t, p in PERSONAL_DATA.items()}
    assert {t: c for t, c in both.items() if c} == {}


def test_every_table_erasure_touches_is_linked_to_a_customer() -> None:
    touched = {t for t, _ in deleted_on_erasure()} | {t for t, _, _ in erased_in_place()}
    assert touched >= {"customer_addresses", "customer_identities", "carts", "orders", "returns"}
    assert all(PERSONAL_DATA[t].link is not Link.NONE for t in touched)
    # Personal data kept anywhere else is either the customer row, expiring, or staff's own.
    for table, policy in PERSONAL_DATA.items():
        if policy.personal and table not in touched:
            assert policy.erasure in (
                Erasure.CUSTOMER_RECORD,
                Erasure.EXPIRES,
                Erasure.NOT_CUSTOMER_DATA,
            ), table


def test_a_dropped_column_or_table_is_reported_as_stale() -> None:
    columns = {t: set(p.columns) for t, p in PERSONAL_DATA.items()}
    columns["returns"].discard("note")
    del columns["checkouts"]
    assert stale(columns) == {"returns": {"note"}, "checkouts": set()}
