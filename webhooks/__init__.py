"""Outgoing webhooks, the pure part: what an endpoint subscribes to, how a message is signed (Standard
Webhooks), and when a failed delivery is tried again. Storage and delivery live in storage/webhooks.py
and pipeline/webhook_delivery.py."""
