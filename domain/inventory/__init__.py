"""Inventory: stock rules (pure) and the use-cases that take, return and adjust stock."""
