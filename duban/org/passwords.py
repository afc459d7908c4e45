"""Password rules with messages in our own catalog.

Why: Django's Simplified Chinese catalog has no translation of the minimum-length
messages, so the Chinese password form said "This password is too short…" (issue 14).
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's minimum length rule, worded in Chinese (English through the catalog)."""

    def get_error_message(self) -> str:
        return ngettext(
            "密码太短，至少需要 %(min_length)d 个字符。",
            "密码太短，至少需要 %(min_length)d 个字符。",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return ngettext(
            "密码至少需要 %(min_length)d 个字符。",
            "密码至少需要 %(min_length)d 个字符。",
            self.min_length,
        ) % {"min_length": self.min_length}
