"""What every small form (表单) shares: the save button or Enter saves, the cancel button cancels."""

from __future__ import annotations

from textual import events
from textual.widgets import Button, Input


def typed(event: events.Key) -> bool:
    return event.is_printable or event.key in ("tab", "backspace")


def pass_to_the_form_on_top(app, event: events.Key) -> bool:
    """A key typed just after the one that opened a form: the terminal sent both at once, so it was
    queued for the screen below and reaches the app only after the form opened. It goes on to the
    form (``below`` marks keys that came from a screen under the top one)."""
    below = getattr(event, "below", None)
    top = app.screen
    if below is None or below is top or not isinstance(top, TypeAhead) or not typed(event):
        return False
    event.stop()
    event.prevent_default()
    app.post_message(events.Key(event.key, event.character))  # from the top again, as if typed now
    return True


class TypeAhead:
    """Mixin for a form: text is never lost. Keys typed while it opens (before its fields exist or
    have the focus: a quick typist, a busy machine) go to its first field in order, a Tab on to the
    next; text typed while a button has the focus goes to the field last typed in (else the first)."""

    def on_key(self, event: events.Key) -> None:
        if not (self.focused is None or isinstance(self.focused, Button)) or not typed(event):
            return  # a field, a tick box or a list takes its own keys (space ticks a box)
        if event.key == "tab" and self.focused is not None:
            return  # the focus moves on as usual
        event.stop()
        event.prevent_default()
        self._typed_ahead = [*getattr(self, "_typed_ahead", []), event]
        self.call_after_refresh(self._type_ahead)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, Input):
            self._typed_in = event.widget

    def _type_ahead(self) -> None:
        """The keys kept, typed again now that the fields are there: into the field last typed in (or
        the first), through the app as any key is, so a Tab moves on and letters go into the field."""
        fields = list(self.query(Input))
        pending, self._typed_ahead = getattr(self, "_typed_ahead", []), []
        if not fields:
            self._typed_ahead = pending  # not drawn yet: kept for the next refresh
            if pending:
                self.call_after_refresh(self._type_ahead)
            return
        if not isinstance(self.focused, Input):
            field = getattr(self, "_typed_in", None)
            (field if field is not None and field.is_attached else fields[0]).focus(scroll_visible=False)
        for key in pending:
            self.app.post_message(events.Key(key.key, key.character))


class SaveOrCancel(TypeAhead):
    """Mixin for a modal form with buttons ``#save`` and ``#cancel`` and ``action_save``/``action_cancel``."""

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def on_input_submitted(self) -> None:
        self.action_save()
