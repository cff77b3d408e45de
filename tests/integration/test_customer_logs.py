"""No email, phone, password or address reaches the logs, whatever happens."""

from __future__ import annotations

import logging

import httpx
import pytest

from api.logging import JsonFormatter
from domain.auth import Role
from tests.conftest import TestEnv
from tests.customer_helpers import gql, login, register, staff_token
from tests.helpers import unique

SECRET_PASSWORD = "Pa55word-nobody-may-log"


async def test_no_personal_data_in_logs(
    client: httpx.AsyncClient, env: TestEnv, caplog: pytest.LogCaptureFixture
) -> None:
    email = f"{unique('Private.')}@Example.com"
    phone_raw, phone = "+44 7700 900123", "+447700900123"
    street = "221B Baker Street"
    caplog.set_level(logging.DEBUG)
    person = await register(client, email=email, phone=phone_raw, password=SECRET_PASSWORD)
    token = person["accessToken"]
    for _ in range(env.settings().login_failures_per_account + 1):
        await login(client, email, "a wrong password 123")
    await login(client, phone_raw, SECRET_PASSWORD)
    await register(client, email=email, password=SECRET_PASSWORD)  # TAKEN
    await gql(
        client,
        "mutation($i: CustomerAddressInput!) { customerAddressAdd(input: $i) { userErrors { code } } }",
        {"i": {"line1": street, "city": "London", "countryCode": "GB", "phone": phone_raw}},
        token=token,
    )
    staff = staff_token(env.settings(), Role.SUPPORT)
    await gql(
        client,
        "query($v: String!) { customerLookup(kind: PHONE, value: $v) { id } }",
        {"v": phone_raw},
        token=staff,
    )
    await gql(client, "mutation { customerDataExport { data } }", token=token)
    await gql(client, "mutation { customerErase { erased } }", token=token)
    await client.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"authorization": f"Bearer {token}"}
    )

    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    assert any("customer registered" in line for line in lines)  # the logs were captured
    text = "\n".join(lines) + caplog.text
    for secret in (
        email,
        email.lower(),
        phone_raw,
        phone,
        SECRET_PASSWORD,
        "a wrong password 123",
        street,
    ):
        assert secret not in text, secret


def test_access_log_lines_drop_the_query_string() -> None:
    from api.logging import DropQueryString

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        (
            "127.0.0.1:5000",
            "GET",
            '/graphql?query={customerLookup(value:"+447700900123")}',
            "1.1",
            200,
        ),
        None,
    )
    assert DropQueryString().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /graphql HTTP/1.1" 200'
