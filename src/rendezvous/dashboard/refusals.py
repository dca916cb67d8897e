from rendezvous.core.errors import DomainError


def form_errors(exc: DomainError) -> dict[str, list[str]]:
    """A domain refusal as a page's form errors: per field, or its message for the form."""
    return dict(exc.fields or {}) or {"__all__": [exc.message]}
