"""Payment service adapters implementing `domain.order.payments.PaymentGateway`."""
