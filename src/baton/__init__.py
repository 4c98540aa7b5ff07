"""Baton: a self-hosted shared team inbox for WhatsApp Business."""
