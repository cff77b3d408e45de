"""The payment gateway this process uses (one instance, shared by every use-case).

Today the built-in test provider (docs/ORDERS.md "Payments"); a real PSP
adapter implementing `domain.order.payments.PaymentGateway` replaces it here.
"""

from __future__ import annotations

from datasources.payments.test_provider import TestPaymentProvider

PAYMENTS = TestPaymentProvider()
