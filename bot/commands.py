"""The public commands, in menu order; each one's description is the text ``command.<name>``."""

PUBLIC_COMMANDS = (
    "generate",
    "presets",
    "history",
    "balance",
    "buy",
    "cancel",
    "help",
    "start",
    "paysupport",
    "terms",
    "support",
)
