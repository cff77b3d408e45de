"""Orders: fulfillment routing, the fulfillment lifecycle, fraud rules, payments, after-sale."""
