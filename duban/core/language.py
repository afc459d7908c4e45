"""Which language stored text is written in."""

from __future__ import annotations


def in_site_language(fn):  # type: ignore[no-untyped-def]
    """Run ``fn`` in the site's language (zh-hans), whoever triggered it.

    Light reasons and notice reasons are stored text that every user reads later; they
    must not be written in English because an English-speaking user pressed the button.
    """
    import functools

    from django.conf import settings
    from django.utils import translation

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        with translation.override(settings.LANGUAGE_CODE):
            return fn(*args, **kwargs)

    return wrapper
