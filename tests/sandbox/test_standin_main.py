"""``python -m standin`` runs the stand-ins on their own: it prints where they are, they answer, SIGTERM stops them."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
NAMES = {
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "REPLICATE_API_TOKEN",
    "REPLICATE_BASE_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
}


async def _printed_environment(process: asyncio.subprocess.Process) -> dict[str, str]:
    assert process.stdout is not None
    found: dict[str, str] = {}
    while set(found) != NAMES:
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert line, f"the stand-ins stopped before printing everything; got {found}"
        name, _, value = line.strip().partition("=")
        found[name] = value
    return found


async def test_python_m_standin_serves_telegram_replicate_and_stripe_until_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "standin", cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        env = await _printed_environment(process)
        async with aiohttp.ClientSession() as http:
            token = env["TELEGRAM_BOT_TOKEN"]
            async with http.post(f"{env['TELEGRAM_API_BASE_URL']}{token}/getMe") as answer:
                me = json.loads(await answer.text())
            assert answer.status == 200 and me["result"]["is_bot"] and me["result"]["username"] == "CloudMusicBot"
            headers = {"Authorization": f"Bearer {env['REPLICATE_API_TOKEN']}"}
            async with http.get(f"{env['REPLICATE_BASE_URL']}/v1/account", headers=headers) as answer:
                assert answer.status == 200
            async with http.post(f"{env['STRIPE_API_BASE']}/v1/refunds", data={"payment_intent": "pi_x"}) as answer:
                assert answer.status == 401, "the Stripe stand-in wants its key, as Stripe does"
    finally:
        process.send_signal(signal.SIGTERM)
        returncode = await asyncio.wait_for(process.wait(), 30)
    assert returncode == 0


async def test_python_m_standin_refuses_a_bad_port_with_a_usage_line() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "standin", "--port", "x", cwd=ROOT, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2 and b"--port: invalid int value" in err
