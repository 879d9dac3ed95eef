"""A minimal OpenAI-compatible chat server for benchmarks, answering after a set delay.

    python bench/fake_openai.py --port 0   # prints "listening on PORT" once ready

The delay is part of the path, so one server serves every setting of a run:
``http://127.0.0.1:PORT/d200/v1`` answers after 200 ms, ``/d0/v1`` at once. A request
that offers a function tool and forces it (a classifier's structured output) gets a call
to that tool with ``{"intent": "CHAT", ...}``; every other request gets a short text
reply. Both JSON and server-sent-event streaming are spoken. It is a stand-in with no
model behind it: the same for Ohm and for the bare graph it is compared with.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
import uuid
from typing import Any

import uvicorn

PATH = re.compile(r"^/d(\d+)/v1/chat/completions$")
REPLY = "Noted: a soil sensor on GPIO34 reads through the ADC; keep the pump on its own supply."


def _answer(body: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    tools = body.get("tools") or []
    choice = body.get("tool_choice")
    forced = isinstance(choice, dict) or choice == "required"
    if tools and forced:
        name = tools[0]["function"]["name"]
        if isinstance(choice, dict):
            name = choice.get("function", {}).get("name", name)
        return "", {"name": name, "arguments": json.dumps({"intent": "CHAT", "reason": "bench"})}
    return REPLY, None


def _completion(body: dict[str, Any]) -> dict[str, Any]:
    text, call = _answer(body)
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if call:
        message["tool_calls"] = [{"id": f"call_{uuid.uuid4().hex[:8]}", "type": "function",
                                  "function": call}]  # fmt: skip
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "bench"),
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls" if call else "stop"}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def _chunks(body: dict[str, Any]) -> list[bytes]:
    text, call = _answer(body)
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "bench"),
    }
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    if call:
        deltas.append({"tool_calls": [{"index": 0, "id": "call_b", "type": "function",
                                       "function": call}]})  # fmt: skip
    else:
        words = text.split(" ")
        deltas += [{"content": w + (" " if i < len(words) - 1 else "")} for i, w in
                   enumerate(words)]  # fmt: skip
    out = [
        b"data: "
        + json.dumps(
            {**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]}
        ).encode()
        + b"\n\n"
        for d in deltas
    ]
    end = {"index": 0, "delta": {}, "finish_reason": "tool_calls" if call else "stop"}
    out.append(b"data: " + json.dumps({**base, "choices": [end]}).encode() + b"\n\n")
    out.append(b"data: [DONE]\n\n")
    return out


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    match = PATH.match(scope["path"])
    raw = b""
    while True:
        msg = await receive()
        raw += msg.get("body", b"")
        if not msg.get("more_body"):
            break
    if match is None or scope["method"] != "POST":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})
        return
    delay = int(match.group(1)) / 1000
    body = json.loads(raw or b"{}")
    if delay:
        await asyncio.sleep(delay)
    if body.get("stream"):
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for chunk in _chunks(body):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    data = json.dumps(_completion(body)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": data})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    config = uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning",
                            backlog=512)  # fmt: skip
    server = uvicorn.Server(config)

    async def run() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        print(f"listening on {port}", flush=True)
        await task

    asyncio.run(run())
    sys.exit(0)


if __name__ == "__main__":
    main()
