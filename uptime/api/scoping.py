"""The one place where API querysets are limited to what the requesting user may see."""

from django.db.models import QuerySet


def visible_to(queryset: QuerySet, user, owner_field: str = "owner") -> QuerySet:
    """Staff see every row (as in the admin); everyone else only the rows they own."""
    if user.is_staff:
        return queryset
    return queryset.filter(**{owner_field: user})


# For viewsets: every list, lookup and action goes through get_queryset(), so another user's id
# is simply not found. That answers 404, never 403: an id reveals nothing about whether it exists.
# (A comment, not a docstring: drf-spectacular would publish a docstring in every operation.)
class OwnedObjectsMixin:
    # The lookup from the viewset's model to the owning user, e.g. "monitor__owner".
    owner_field = "owner"

    def get_queryset(self) -> QuerySet:
        return visible_to(super().get_queryset(), self.request.user, self.owner_field)
