"""The unit tree's pages for the system administrator. They live above the audit log and
the accounts, which `evalapp.units` (the tree itself, which accounts belong to) sits below."""
