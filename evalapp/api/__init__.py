"""The HTTP API (`/api/v1/`): what another system (a personnel system, the OA, a data office)
reads and sends, with a bearer token per account."""
