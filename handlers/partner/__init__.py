"""Partner-facing routers (private chat)."""
