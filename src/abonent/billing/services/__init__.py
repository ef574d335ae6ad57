"""Writes of billing, one module per concern: ledger, penalties, tariffs (pure arithmetic), qr, reference."""
