"""The ballot box: ballots sealed when cast, opened once at close.

A ballot is encrypted to its campaign's public key in the transaction that spends its ticket,
so nothing readable is ever written at a moment that can be ordered against the spend
(transaction ids, the write-ahead log, backups). At close the box is opened in one
transaction that writes every ballot in random order with fresh random ids, and only after
that commit is the private key destroyed. DOMAIN.md, "Anonymity model".
"""
