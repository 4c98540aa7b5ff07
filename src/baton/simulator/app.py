"""The fake Graph API, the webhook sender and the customer loop, in one Starlette app."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import random
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from baton.simulator import customers as customer_data
from baton.simulator.config import SimNumber, SimulatorConfig
from baton.simulator.media import png
from baton.simulator.state import load_last_customer, save_last_customer
from baton.simulator.wire import (
    batched_envelope,
    envelope,
    graph_error,
    meta_json_bytes,
    new_wamid,
    now_ts,
    signature_header,
    webhook_error,
)
from baton.simulator.world import (
    Fault,
    PairLimiter,
    SentMessage,
    ThroughputLimiter,
    World,
    window_is_open,
)

logger = logging.getLogger("baton.simulator")

VERSION = r"v\d+\.\d+"
MAX_TEXT = 4096


def _digits(to: str) -> str:
    return re.sub(r"\D", "", to)


def refusal_advice(status: int, body: str, config: SimulatorConfig) -> str:
    """Why Baton refused a webhook and what to start it with, for the simulator's log."""
    if status == 403:
        why = "bad signature"
    else:
        why = f"HTTP {status} ({body.strip()[:200] or 'no reason given'})"
    return (
        f"Baton refused the webhook: {why} — start baton serve with "
        f"WHATSAPP_APP_SECRET={config.app_secret} (the secret this simulator signs with; "
        "'baton simulate' prints every variable Baton needs)"
    )


# A customer answers at most this many prompts (a flow that keeps asking loses them).
MAX_PROMPT_ANSWERS = 12


@dataclass
class _BotExchange:
    """One customer's answers to prompts: their order number, how many they answered and
    whether they are amid an exchange (a question right after a tap is the bot's)."""

    order_no: str
    answered: int = 0
    in_progress: bool = False


class Simulator:
    """State and behaviour of one simulator instance."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)  # noqa: S311 -- simulation, not security
        self.world = World(
            PairLimiter(config.pair_burst, config.pair_refill_seconds),
            ThroughputLimiter(config.throughput_per_second),
        )
        self.public_base_url = f"http://{config.host}:{config.port}"
        self.queue: (
            asyncio.Queue[tuple[SimNumber, dict[str, Any], asyncio.Future | None]] | None
        ) = None
        self.client: httpx.AsyncClient | None = None
        self.tasks: list[asyncio.Task] = []
        self.background: set[asyncio.Task] = set()
        self.customer_seq = max(config.first_customer - 1, load_last_customer(config.state_file))
        self.active_customers = 0
        # Said once: every later webhook is refused for the same reason.
        self.refusal_explained = False

    # ---------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        self.queue = asyncio.Queue()
        self.client = httpx.AsyncClient(timeout=30)
        self.tasks.append(asyncio.create_task(self._sender_loop()))
        if self.config.customers > 0:
            self.tasks.append(asyncio.create_task(self._customer_spawner()))

    async def stop(self) -> None:
        for task in [*self.tasks, *self.background]:
            task.cancel()
        await asyncio.gather(*self.tasks, *self.background, return_exceptions=True)
        if self.client:
            await self.client.aclose()

    def _spawn(self, coro: Any) -> None:
        # Keep a reference until done: the loop holds tasks only weakly.
        task = asyncio.create_task(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    # ---------------------------------------------------------------- auth helpers
    def _authorised(self, request: Request, number: SimNumber | None) -> bool:
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        if number is not None:
            return token == number.access_token
        return any(token == n.access_token for n in self.config.numbers)

    @staticmethod
    def _token_error() -> JSONResponse:
        return JSONResponse(
            graph_error(190, "Invalid OAuth access token - Cannot parse access token"),
            status_code=401,
        )

    @staticmethod
    def _unknown_object(object_id: str, method: str = "post") -> JSONResponse:
        return JSONResponse(
            graph_error(
                100,
                f"Unsupported {method} request. Object with ID '{object_id}' does not exist, "
                "cannot be loaded due to missing permissions, or does not support this operation.",
                error_type="GraphMethodException",
                subcode=33,
            ),
            status_code=400,
        )

    def _refuse(
        self, code: int, title: str, details: str, status: int = 400, **kw: Any
    ) -> JSONResponse:
        self.world.count(f"refused_{code}")
        return JSONResponse(graph_error(code, title, details, **kw), status_code=status)

    # ---------------------------------------------------------------- Graph API
    async def send_message(self, request: Request) -> Response:
        phone_number_id = request.path_params["phone_number_id"]
        number = self.config.number(phone_number_id)
        if number is None:
            if not self._authorised(request, None):
                return self._token_error()
            return self._unknown_object(phone_number_id)
        if not self._authorised(request, number):
            return self._token_error()
        try:
            body = await request.json()
        except ValueError:
            return self._refuse(100, "Invalid parameter", "Request body is not valid JSON")
        if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
            return self._refuse(100, "Invalid parameter", "messaging_product must be whatsapp")
        if body.get("status") == "read":
            self.world.count("marked_read")
            return JSONResponse({"success": True})
        fault = self.world.next_fault()
        if fault is not None and fault.kind == "error":
            self.world.count(f"fault_{fault.code or fault.http_status}")
            if fault.raw_body is not None:
                return Response(
                    fault.raw_body, status_code=fault.http_status, media_type="text/html"
                )
            return JSONResponse(
                graph_error(fault.code, fault.title or "Injected error", fault.details),
                status_code=fault.http_status,
            )
        to = str(body.get("to") or "")
        if not to:
            return self._refuse(
                131008, "Required parameter is missing", "Parameter 'to' is required"
            )
        msg_type = body.get("type") or "text"
        now = time.time()
        if not self.world.throughput.allow(phone_number_id, now):
            return self._refuse(
                130429,
                "Rate limit hit",
                "Cloud API message throughput has been reached.",
                subcode=2494055,
            )
        customer = to if to[:2].isalpha() else _digits(to)
        if not self.world.pair.allow(phone_number_id, customer, now):
            return self._refuse(
                131056,
                "(Business Account, Consumer Account) pair rate limit hit",
                "Message failed to send because there were too many messages sent from this "
                "phone number to the same phone number in a short period of time.",
            )
        problem = self._validate(msg_type, body)
        if problem is not None:
            return problem
        wamid = new_wamid()
        sent = SentMessage(wamid, phone_number_id, customer, body, now)
        self.world.outbox.append(sent)
        self.world.count("accepted")
        async_failure: tuple[int, str, str] | None = None
        last = self.world.last_customer_message.get((phone_number_id, customer))
        if msg_type != "template" and not window_is_open(last, now):
            async_failure = (
                131047,
                "Re-engagement message",
                "Message failed to send because more than 24 hours have passed since the "
                "customer last replied to this number.",
            )
        if fault is not None and fault.kind == "async_failed":
            async_failure = (fault.code, fault.title or "Injected failure", fault.details)
        self._spawn(self._emit_statuses(number, sent, async_failure))
        contact: dict[str, str] = {"input": to, "wa_id": "" if to[:2].isalpha() else customer}
        if to[:2].isalpha():
            contact["user_id"] = to
        response = {
            "messaging_product": "whatsapp",
            "contacts": [contact],
            "messages": [{"id": wamid}],
        }
        if fault is not None and fault.kind == "hang":
            # Accepted, but the answer comes too late: the caller sees a lost response.
            self.world.count("hung")
            await asyncio.sleep(fault.delay_seconds)
        return JSONResponse(response)

    def _validate(self, msg_type: str, body: dict[str, Any]) -> JSONResponse | None:
        if msg_type == "text":
            text = (body.get("text") or {}).get("body")
            if not isinstance(text, str) or not text:
                return self._refuse(
                    131008, "Required parameter is missing", "text.body is required"
                )
            if len(text) > MAX_TEXT:
                return self._refuse(131009, "Parameter value is not valid", "text.body is too long")
        elif msg_type == "template":
            template = body.get("template") or {}
            name = template.get("name")
            language = (template.get("language") or {}).get("code")
            known = next(
                (t for t in self.config.templates if t.name == name and t.language == language),
                None,
            )
            if known is None:
                return self._refuse(
                    132001,
                    "Template name does not exist in the translation",
                    f"template name ({name}) does not exist in {language}",
                    status=404,
                )
            given = sum(
                len(c.get("parameters") or [])
                for c in template.get("components") or []
                if c.get("type") == "body"
            )
            if given != known.body_params:
                return self._refuse(
                    132000,
                    "Number of parameters does not match the expected number of params",
                    f"body: number of localizable_params ({given}) does not match the "
                    f"expected number of params ({known.body_params})",
                )
        elif msg_type in ("image", "document", "video", "audio", "sticker"):
            media = body.get(msg_type) or {}
            if media.get("id") and media["id"] not in self.world.media:
                return self._refuse(131053, "Media upload error", f"Unknown media id {media['id']}")
            if not media.get("id") and not media.get("link"):
                return self._refuse(
                    131008, "Required parameter is missing", f"{msg_type}.id or link"
                )
        elif msg_type not in ("reaction", "interactive", "location", "contacts"):
            return self._refuse(131051, "Unsupported message type", f"type {msg_type!r}")
        return None

    async def _emit_statuses(
        self, number: SimNumber, sent: SentMessage, failure: tuple[int, str, str] | None
    ) -> None:
        low, high = self.config.status_delay_seconds
        callback = sent.body.get("biz_opaque_callback_data")
        recipient = (
            {"recipient_user_id": sent.to} if sent.to[:2].isalpha() else {"recipient_id": sent.to}
        )
        pricing = {
            "billable": sent.body.get("type") == "template",
            "pricing_model": "PMP",
            "type": "regular" if sent.body.get("type") == "template" else "free_customer_service",
            "category": "utility" if sent.body.get("type") == "template" else "service",
        }

        def status(name: str, **extra: Any) -> dict[str, Any]:
            item = {"id": sent.wamid, "status": name, "timestamp": now_ts(), **recipient, **extra}
            if callback:
                item["biz_opaque_callback_data"] = callback
            return item

        if failure is not None:
            await asyncio.sleep(self.rng.uniform(low, high))
            code, title, details = failure
            sent.statuses.append("failed")
            await self.enqueue(
                number,
                {"statuses": [status("failed", errors=[webhook_error(code, title, details)])]},
            )
            return
        plan = [("sent", {"pricing": pricing}), ("delivered", {"pricing": pricing}), ("read", {})]
        if self.rng.random() < self.config.skip_delivered_probability:
            plan = [plan[0], ("read", {"pricing": pricing})]
        elif self.rng.random() < self.config.reorder_probability:
            plan = [plan[0], plan[2], plan[1]]  # read before delivered
        for name, extra in plan:
            await asyncio.sleep(self.rng.uniform(low, high))
            sent.statuses.append(name)
            await self.enqueue(number, {"statuses": [status(name, **extra)]})

    async def upload_media(self, request: Request) -> Response:
        number = self.config.number(request.path_params["phone_number_id"])
        if number is None:
            return self._unknown_object(request.path_params["phone_number_id"])
        if not self._authorised(request, number):
            return self._token_error()
        async with request.form() as form:
            upload = form.get("file")
            if (
                upload is None
                or isinstance(upload, str)
                or form.get("messaging_product") != "whatsapp"
            ):
                return self._refuse(
                    100, "Invalid parameter", "file and messaging_product are required"
                )
            content = await upload.read()
            mime = str(form.get("type") or upload.content_type or "application/octet-stream")
        media = self.world.store_media(content, mime)
        self.world.count("media_uploaded")
        return JSONResponse({"id": media.media_id})

    async def get_media(self, request: Request) -> Response:
        media_id = request.path_params["media_id"]
        if not self._authorised(request, None):
            return self._token_error()
        media = self.world.media.get(media_id)
        if media is None:
            return self._unknown_object(media_id, "get")
        token = self.world.media_url_token(media_id, time.time())
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "url": f"{self.public_base_url}/_media/{token}",
                "mime_type": media.mime_type,
                "sha256": media.sha256_hex,
                "file_size": str(len(media.content)),
                "id": media_id,
            }
        )

    async def delete_media(self, request: Request) -> Response:
        if not self._authorised(request, None):
            return self._token_error()
        removed = self.world.media.pop(request.path_params["media_id"], None)
        if removed is None:
            return self._unknown_object(request.path_params["media_id"], "delete")
        return JSONResponse({"success": True})

    async def download(self, request: Request) -> Response:
        if not self._authorised(request, None):
            return Response("Unauthorized", status_code=401)
        media = self.world.resolve_media_token(request.path_params["token"], time.time())
        if media is None:
            return Response("Not found", status_code=404)
        return Response(media.content, media_type=media.mime_type)

    # ---------------------------------------------------------------- webhooks out
    async def enqueue(self, number: SimNumber, value: dict[str, Any]) -> None:
        assert self.queue is not None
        self.queue.put_nowait((number, value, None))

    async def deliver_and_wait(self, number: SimNumber, value: dict[str, Any]) -> int:
        assert self.queue is not None
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self.queue.put_nowait((number, value, future))
        return await future

    async def _sender_loop(self) -> None:
        assert self.queue is not None
        while True:
            first = await self.queue.get()
            items = [first]
            # Whatever else is already waiting for the same number rides in the same POST.
            while len(items) < self.config.batch_max and not self.queue.empty():
                nxt = self.queue.get_nowait()
                if nxt[0] is not first[0]:
                    self.queue.put_nowait(nxt)
                    break
                items.append(nxt)
            number = first[0]
            values = [value for _, value, _ in items]
            payload = (
                envelope(number, values[0])
                if len(values) == 1
                else batched_envelope(number, values)
            )
            if len(values) > 1:
                self.world.count("batched_posts")
            self._spawn(self._post_and_settle(payload, [f for _, _, f in items]))

    async def _post_and_settle(
        self, payload: dict[str, Any], futures: list[asyncio.Future | None]
    ) -> None:
        status = await self.post_webhook(payload)
        for future in futures:
            if future is not None and not future.done():
                future.set_result(status)
        if status == 200 and self.rng.random() < self.config.duplicate_probability:
            # Meta redelivers now and then: the very same bytes again.
            self.world.count("duplicates_sent")
            await self.post_webhook(payload)

    async def post_webhook(self, payload: dict[str, Any]) -> int:
        """POST signed bytes; retry anything but 200 with decreasing frequency."""
        assert self.client is not None
        body = meta_json_bytes(payload)
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature_header(body, self.config.app_secret),
        }
        delay = self.config.webhook_retry_base_seconds
        status = 0
        for attempt in range(1, self.config.webhook_max_attempts + 1):
            answer = ""
            try:
                response = await self.client.post(
                    self.config.webhook_url, content=body, headers=headers
                )
                status, answer = response.status_code, response.text
            except httpx.HTTPError as exc:
                status = 0
                logger.info("webhook POST failed (%s), attempt %s", exc.__class__.__name__, attempt)
            if status == 200:
                self.world.count("webhooks_delivered")
                return status
            if status in (401, 403) and not self.refusal_explained:
                self.refusal_explained = True
                logger.warning(refusal_advice(status, answer, self.config))
            self.world.count("webhook_retries")
            await asyncio.sleep(delay)
            delay *= 2
        self.world.count("webhooks_dropped")
        return status

    # ---------------------------------------------------------------- customers
    def customer_message(
        self, number: SimNumber, key: str, spec: dict[str, Any]
    ) -> tuple[dict[str, Any], str]:
        """Build the ``value`` of a webhook for one customer message; returns it and its wamid."""
        bsuid_only = bool(spec.get("bsuid_only")) or key[:2].isalpha()
        wa_id = None if bsuid_only else key
        user_id = key if bsuid_only else spec.get("user_id")
        wamid = new_wamid()
        timestamp = str(int(spec.get("timestamp") or time.time()))
        message: dict[str, Any] = {"id": wamid, "timestamp": timestamp}
        if wa_id:
            message["from"] = wa_id
        if user_id:
            message["from_user_id"] = user_id
        kind = spec.get("type") or "text"
        message["type"] = kind
        if kind == "text":
            message["text"] = {"body": str(spec.get("text") or "")}
        elif kind in ("image", "document"):
            content = png() if kind == "image" else b"%PDF-1.4\n% simulated invoice\n"
            mime = "image/png" if kind == "image" else "application/pdf"
            media = self.world.store_media(content, mime)
            obj: dict[str, Any] = {
                "id": media.media_id,
                "mime_type": mime,
                "sha256": base64.b64encode(hashlib.sha256(content).digest()).decode(),
            }
            if spec.get("caption"):
                obj["caption"] = spec["caption"]
            if kind == "document":
                obj["filename"] = spec.get("filename") or "invoice.pdf"
            message[kind] = obj
        elif kind == "location":
            # The place travels in its own object: ``spec["name"]`` is the customer's profile
            # name, and a place name there became the customer's name in Baton.
            place = spec.get("location") or {}
            message["location"] = {
                "latitude": place.get("latitude", 48.8540),
                "longitude": place.get("longitude", 2.3325),
                "name": place.get("name", ""),
                "address": place.get("address", ""),
            }
        elif kind == "reaction":
            message["reaction"] = {
                "message_id": spec.get("message_id", ""),
                "emoji": spec.get("emoji", ""),
            }
        elif kind == "interactive":
            # A tap on a reply button or a list row (PROTOCOL §4: interactive replies).
            reply_type = spec.get("interactive_type") or "button_reply"
            reply = {"id": spec.get("id", "yes"), "title": spec.get("title", "Yes")}
            if reply_type == "list_reply" and spec.get("description"):
                reply["description"] = spec["description"]
            message["interactive"] = {"type": reply_type, reply_type: reply}
        else:
            message["type"] = "unsupported"
            message["unsupported"] = {"type": kind}
            message["errors"] = [
                webhook_error(
                    131051, "Message type unknown", "Message type is currently not supported."
                )
            ]
        if spec.get("context_id"):
            message["context"] = {"from": number.display_phone_number, "id": spec["context_id"]}
        profile: dict[str, Any] = {"name": spec.get("name") or "Customer"}
        if spec.get("username"):
            profile["username"] = spec["username"]
        contact: dict[str, Any] = {"profile": profile}
        if wa_id:
            contact["wa_id"] = wa_id
        if user_id:
            contact["user_id"] = user_id
        ts = float(timestamp)
        previous = self.world.last_customer_message.get((number.phone_number_id, key), 0.0)
        self.world.last_customer_message[(number.phone_number_id, key)] = max(previous, ts)
        if user_id and wa_id:
            # The business may address the customer by phone or by BSUID.
            self.world.last_customer_message[(number.phone_number_id, user_id)] = max(previous, ts)
        self.world.count("customer_messages")
        return {"contacts": [contact], "messages": [message]}, wamid

    async def _customer_spawner(self) -> None:
        interval = 60.0 / max(self.config.rate_per_minute, 0.01)
        await asyncio.sleep(1.0)
        while True:
            if self.active_customers < self.config.customers:
                self.customer_seq += 1
                save_last_customer(self.config.state_file, self.customer_seq)
                self.tasks.append(asyncio.create_task(self._run_customer(self.customer_seq)))
            await asyncio.sleep(interval * self.rng.uniform(0.6, 1.4))

    async def _run_customer(self, index: int) -> None:
        self.active_customers += 1
        try:
            who = customer_data.persona(index)
            number = self.config.numbers[index % len(self.config.numbers)]
            script = customer_data.SCRIPTS[index % len(customer_data.SCRIPTS)]
            base = {"name": who.name, "user_id": who.user_id, "username": who.username}
            seen_replies = 0
            last_business_wamid = ""
            exchange = _BotExchange(order_no=customer_data.order_number(index))
            for step in script:
                kind = step[0]
                if kind == "say":
                    text = step[1].replace("{n}", str(1000 + index))
                    await self._customer_send(number, who.key, {**base, "text": text})
                elif kind == "photo":
                    await self._customer_send(
                        number, who.key, {**base, "type": "image", "caption": step[1]}
                    )
                elif kind == "location":
                    await self._customer_send(
                        number, who.key, {**base, "type": "location", "location": {"name": step[1]}}
                    )
                elif kind == "react" and last_business_wamid:
                    await self._customer_send(
                        number,
                        who.key,
                        {
                            **base,
                            "type": "reaction",
                            "message_id": last_business_wamid,
                            "emoji": step[1],
                        },
                    )
                elif kind == "pause":
                    await asyncio.sleep(step[1])
                elif kind == "wait_reply":
                    # A bot's prompts on the way are answered; the step waits for the
                    # first message that is no prompt (a person's answer, a statement).
                    while True:
                        reply = await self._wait_for_reply(number, who, seen_replies)
                        if reply is None:
                            return  # went silent: nobody answered in time
                        seen_replies += 1
                        last_business_wamid = reply.wamid
                        # Reading the answer and typing the next message.
                        await asyncio.sleep(self.rng.uniform(*self.config.typing_seconds))
                        if not await self._answer_prompt(number, who, base, reply, exchange):
                            break
                elif kind == "silent":
                    return
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("customer %s stopped", index)
            return
        finally:
            self.active_customers -= 1
        # The script is done; the customer still answers a bot for a while (a closing
        # flow's rating after the agent resolved), without counting as active.
        await self._linger(number, who, base, seen_replies, exchange)

    async def _answer_prompt(
        self,
        number: SimNumber,
        who: customer_data.Persona,
        base: dict[str, Any],
        reply: SentMessage,
        exchange: _BotExchange,
    ) -> bool:
        """Answer ``reply`` if it is a prompt (a bot's buttons, list or question); False
        when it is none, or the customer has answered enough prompts already."""
        spec = customer_data.answer_to_prompt(
            reply.body,
            self.rng,
            order_no=exchange.order_no,
            in_bot_exchange=exchange.in_progress,
        )
        if spec is None or exchange.answered >= MAX_PROMPT_ANSWERS:
            exchange.in_progress = False
            return False
        exchange.answered += 1
        exchange.in_progress = True
        self.world.count("prompts_answered")
        await self._customer_send(number, who.key, {**base, **spec, "context_id": reply.wamid})
        return True

    async def _linger(
        self,
        number: SimNumber,
        who: customer_data.Persona,
        base: dict[str, Any],
        seen: int,
        exchange: _BotExchange,
    ) -> None:
        try:
            deadline = time.monotonic() + self.config.linger_seconds
            while time.monotonic() < deadline:
                reply = await self._wait_for_reply(
                    number, who, seen, timeout=deadline - time.monotonic()
                )
                if reply is None:
                    return
                seen += 1
                await asyncio.sleep(self.rng.uniform(*self.config.typing_seconds))
                await self._answer_prompt(number, who, base, reply, exchange)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("customer %s stopped", who.key)

    async def _customer_send(self, number: SimNumber, key: str, spec: dict[str, Any]) -> None:
        value, _ = self.customer_message(number, key, spec)
        await self.deliver_and_wait(number, value)

    async def _wait_for_reply(
        self,
        number: SimNumber,
        who: customer_data.Persona,
        seen: int,
        timeout: float | None = None,
    ) -> SentMessage | None:
        keys = {k for k in (who.wa_id, who.user_id) if k}
        deadline = time.monotonic() + (
            self.config.answer_timeout_seconds if timeout is None else timeout
        )
        while time.monotonic() < deadline:
            replies = [
                m
                for m in self.world.outbox
                if m.phone_number_id == number.phone_number_id
                and m.to in keys
                and m.body.get("type") != "reaction"
            ]
            if len(replies) > seen:
                return replies[seen]
            await asyncio.sleep(0.5)
        return None

    # ---------------------------------------------------------------- control API
    async def control_customer_message(self, request: Request) -> Response:
        key = request.path_params["key"]
        spec = await request.json()
        number = self.config.number(
            spec.get("phone_number_id") or self.config.numbers[0].phone_number_id
        )
        if number is None:
            return JSONResponse({"error": "unknown phone_number_id"}, status_code=400)
        value, wamid = self.customer_message(number, key, spec)
        status = await self.deliver_and_wait(number, value)
        message = value["messages"][0]
        media_id = (
            (message.get(message["type"]) or {}).get("id")
            if message["type"] in ("image", "document")
            else None
        )
        return JSONResponse({"wamid": wamid, "status": status, "media_id": media_id})

    async def control_outbox(self, request: Request) -> Response:
        to = request.query_params.get("to")
        items = [
            m.as_dict() for m in self.world.outbox if not to or m.to == _digits(to) or m.to == to
        ]
        return JSONResponse({"items": items})

    async def control_faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.world.faults.clear()
            return JSONResponse({"faults": 0})
        spec = await request.json()
        specs = spec if isinstance(spec, list) else [spec]
        for item in specs:
            self.world.faults.append(Fault(**item))
        return JSONResponse({"faults": len(self.world.faults)})

    async def control_stats(self, request: Request) -> Response:
        return JSONResponse(
            {
                **self.world.counters,
                "outbox": len(self.world.outbox),
                "active_customers": self.active_customers,
            }
        )


def create_app(simulator: Simulator) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await simulator.start()
        try:
            yield
        finally:
            await simulator.stop()

    routes = [
        Route(
            "/_sim/customers/{key}/messages", simulator.control_customer_message, methods=["POST"]
        ),
        Route("/_sim/outbox", simulator.control_outbox, methods=["GET"]),
        Route("/_sim/faults", simulator.control_faults, methods=["POST", "DELETE"]),
        Route("/_sim/stats", simulator.control_stats, methods=["GET"]),
        Route("/_media/{token}", simulator.download, methods=["GET"]),
        Route(
            "/{version:str}/{phone_number_id:str}/messages",
            simulator.send_message,
            methods=["POST"],
        ),
        Route(
            "/{version:str}/{phone_number_id:str}/media", simulator.upload_media, methods=["POST"]
        ),
        Route("/{version:str}/{media_id:str}", simulator.get_media, methods=["GET"]),
        Route("/{version:str}/{media_id:str}", simulator.delete_media, methods=["DELETE"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
