"""partnerbot: an async bot for an affiliate program's partner community."""
