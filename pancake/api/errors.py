"""The client's error tree. Every message names the endpoint and page, never a token.

    PancakeError
    ├── AuthError            (error_code 102, 103, 105; HTTP 401/403)
    ├── RateLimitError       (HTTP 429 or error_code 429)
    ├── ApiError             (success:false with another code; HTTP 4xx)
    │   └── EndpointNotFound (HTTP 404/406: the route does not exist on this account)
    ├── ServerError          (HTTP 5xx, including proxies' HTML pages)
    ├── TransportError       (connect/read/timeouts: no usable answer)
    └── BadResponseError     (not JSON, HTML, or JSON of an unexpected shape)
"""
from __future__ import annotations

from pancake.redact import redact


class PancakeError(Exception):
    """Base class. ``str()`` is safe to show to a user: it carries no token."""

    def __init__(self, message: str, *, endpoint: str | None = None, page_id: str | None = None,
                 status_code: int | None = None, error_code: int | None = None) -> None:
        self.endpoint = endpoint
        self.page_id = page_id
        self.status_code = status_code
        self.error_code = error_code
        self.detail = redact(message)
        where = []
        if endpoint:
            where.append(endpoint)
        if page_id:
            where.append(f"page {page_id}")
        prefix = f"[{' · '.join(where)}] " if where else ""
        super().__init__(prefix + self.detail)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self):  # keep pickling (st.cache_data, multiprocessing) token-free
        return (_rebuild, (type(self), self.detail, self.endpoint, self.page_id,
                           self.status_code, self.error_code))


def _rebuild(cls, detail, endpoint, page_id, status_code, error_code):
    return cls(detail, endpoint=endpoint, page_id=page_id, status_code=status_code,
               error_code=error_code)


class AuthError(PancakeError):
    """The token is invalid (102), expired (103), renewed elsewhere (105), or refused (401)."""


class RateLimitError(PancakeError):
    """Too many requests for this page (HTTP 429 or error_code 429)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ApiError(PancakeError):
    """The API answered with success:false (or a 4xx) for a reason other than auth/limits."""


class EndpointNotFound(ApiError):
    """The route does not exist here (404/406): try the documented alternative."""


class ServerError(PancakeError):
    """HTTP 5xx from Pancake or a proxy in front of it."""


class TransportError(PancakeError):
    """The request got no usable answer: connect error, read error, timeout."""


class BadResponseError(PancakeError):
    """The answer was not JSON, was an HTML page, or had an unexpected shape."""
