"""Online payments: gateways behind one interface, webhooks credited to the ledger exactly once."""
