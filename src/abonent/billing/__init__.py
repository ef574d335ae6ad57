"""Billing: tariffs and norms, the append-only ledger, penalties (пени) and the payment QR code."""
