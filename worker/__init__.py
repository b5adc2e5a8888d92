"""``python -m worker``: generation workers without a Telegram poller (issue 16; README "Scaling out")."""
