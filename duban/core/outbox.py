"""The outbox: mail and webhooks leave only after the change that caused them committed,
and never twice.

A service that wants to tell the outside world calls :func:`add` inside its own
transaction: the :class:`~duban.core.models.OutboxMessage` row and the job that will send
it commit or roll back with the change. The job calls :func:`deliver`, which

1. returns at once when the message is already marked sent (a retry after a failed
   commit of the job's outcome, a second worker);
2. counts the attempt, sends, and marks the message sent in its own short transaction,
   before the queue records the job as done.

The window left (the process dies between the receiver's answer and that one-row commit)
is covered by the idempotency key that travels with the message: webhooks carry it in
``Idempotency-Key``, mails in a ``Message-ID`` derived from it, so a receiver that sees it
twice can drop the repeat.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from duban.core.models import OutboxMessage

Sender = Callable[[OutboxMessage], dict[str, Any]]

#: The job that sends each channel's messages.
JOB_OF_CHANNEL = {
    OutboxMessage.Channel.EMAIL: "send_email",
    OutboxMessage.Channel.WEBHOOK: "deliver_webhook",
    OutboxMessage.Channel.CASCADE: "push_cascade_report",
}


def add(channel: str, key: str, payload: dict[str, Any]) -> tuple[OutboxMessage, bool]:
    """Queue one message in the caller's transaction; idempotent by ``key``.

    Returns (message, created). The sending job is enqueued with the same key.
    """
    from duban.core.jobs import enqueue

    with transaction.atomic():
        message, created = OutboxMessage.objects.get_or_create(
            key=key, defaults={"channel": channel, "payload": payload}
        )
        if created:
            enqueue(JOB_OF_CHANNEL[channel], key=key, args={"outbox": message.pk})
    return message, created


def message_id(key: str) -> str:
    """A stable e-mail ``Message-ID`` for an idempotency key: the same key, the same id."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@duban.outbox>"


def deliver(pk: int, send: Sender) -> dict[str, Any]:
    """Send message ``pk`` with ``send`` unless it is already sent; see the module doc."""
    message = OutboxMessage.objects.get(pk=pk)
    if message.sent_at is not None:
        return {"outbox": pk, "already_sent": True}
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=pk).update(attempts=F("attempts") + 1)
    result = send(message)
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=pk, sent_at__isnull=True).update(
            sent_at=timezone.now(), result=result
        )
    return {"outbox": pk, **result}
