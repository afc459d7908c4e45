"""Select widgets that render hundreds of options without a template per option.

Why: Django draws every ``<option>`` through its own template. The office's assignment
form on a task page lists every unit twice (lead and co-units): with a province's 300
units that is 600 template renders, most of the task page's time. These widgets emit the
same HTML (escaped, with the same ids, optgroups and selections) straight from Python.
"""

from __future__ import annotations

import html
from typing import Any

from django import forms
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def _esc(text: Any) -> str:
    """``conditional_escape`` without its lazy-string wrapper: the same text, a third the time."""
    if hasattr(text, "__html__"):
        return text.__html__()
    return html.escape(str(text))


class _FastOptions:
    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)  # type: ignore[attr-defined]
        if self.allow_multiple_selected:  # type: ignore[attr-defined]
            final["multiple"] = True
        # In Django's order: the name, then the attributes as given; True is bare, False
        # and None are left out.
        head = format_html('<select name="{}"', name) + "".join(
            f" {k}" if v is True else format_html(' {}="{}"', k, v)
            for k, v in final.items()
            if v is not False and v is not None
        )
        parts: list[str] = []
        wanted = {str(v) for v in self.format_value(value)}  # type: ignore[attr-defined]
        multiple = self.allow_multiple_selected  # type: ignore[attr-defined]
        chosen = False

        def option(v: Any, label: Any) -> str:
            # As Django: a single select marks only the first option with the value.
            nonlocal chosen
            v = "" if v is None else str(v)
            selected = v in wanted and (multiple or not chosen)
            chosen = chosen or selected
            return '<option value="{}"{}>{}</option>'.format(
                _esc(v), " selected" if selected else "", _esc(label)
            )

        for group_value, group_label in self.choices:  # type: ignore[attr-defined]
            if isinstance(group_label, list | tuple):
                parts.append(format_html('<optgroup label="{}">', group_value))
                parts.extend(option(v, label) for v, label in group_label)
                parts.append("</optgroup>")
            else:
                parts.append(option(group_value, group_label))
        return mark_safe(f"{head}>{''.join(parts)}</select>")


class FastSelect(_FastOptions, forms.Select):
    """``forms.Select`` with the same HTML, drawn without templates."""


class FastSelectMultiple(_FastOptions, forms.SelectMultiple):
    """``forms.SelectMultiple`` with the same HTML, drawn without templates."""
