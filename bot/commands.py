"""The public commands, in menu order; each one's description is the text ``command.<name>``."""

PUBLIC_COMMANDS = (
    "generate", "presets", "history", "balance", "buy", "cancel", "help", "start", "paysupport", "terms", "language",
    "invite", "support",
)  # fmt: skip

#: Commands only admins may use; shown in their /help and in their own command menu (a per-chat scope).
ADMIN_COMMANDS = ("stats", "user", "grant", "ban", "unban", "broadcast", "batch", "engine", "refund", "teaser")
