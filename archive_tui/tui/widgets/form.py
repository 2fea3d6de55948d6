"""What every small form (表单) shares: the save button or Enter saves, the cancel button cancels."""

from __future__ import annotations

from textual.widgets import Button


class SaveOrCancel:
    """Mixin for a modal form with buttons ``#save`` and ``#cancel`` and ``action_save``/``action_cancel``."""

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def on_input_submitted(self) -> None:
        self.action_save()
