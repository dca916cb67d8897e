"""Form pieces shared by the admin and the back office."""

from django import forms
from django.utils.translation import gettext as _

from .errors import ValidationFailed


class ReportPeriodForm(forms.Form):
    """A report's filter form with `date_from` and `date_to` fields: the end not before
    the start, at most `max_days` apart; then the subclass's `filters()` is built once,
    so that its own refusals (a date outside the calendar) show on their fields."""

    max_days = 366

    def clean(self):
        data = super().clean()
        first, last = data.get("date_from"), data.get("date_to")
        if first and last and last < first:
            self.add_error("date_to", _("The end date is before the start date."))
        elif first and last and (last - first).days > self.max_days:
            self.add_error("date_to", _("At most %(days)d days at once.") % {"days": self.max_days})
        elif not self.errors:
            try:
                self.filters()
            except ValidationFailed as exc:
                for name, problems in (exc.fields or {}).items():
                    self.add_error(name, problems)
        return data

    def filters(self):
        raise NotImplementedError
