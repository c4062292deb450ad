from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """?page=2&page_size=100 on every list; "next" and "previous" are complete URLs."""

    page_size_query_param = "page_size"
    max_page_size = 200


class CursorPagination(pagination.CursorPagination):
    """For histories that grow while a client pages through them (check results): a cursor
    never repeats or skips a row when new ones arrive, where page numbers would shift."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("-checked_at", "-id")
