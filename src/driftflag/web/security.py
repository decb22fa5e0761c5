"""Secure headers on every response, and the throttle on failed sign-ins.

Every page is served with a Content Security Policy that allows nothing from outside (no script
at all; styles inline or from this server; images from this server or inline), no framing, no
referrer outside the site and ``Cache-Control: no-store`` (pages show children: no copy is kept
by a browser or proxy). Failed sign-ins are counted per user name and per address; after
:data:`~driftflag.web.config.THROTTLE_FAILURES` in
:data:`~driftflag.web.config.THROTTLE_MINUTES` minutes, sign-in is refused for that name or
address until the window passes.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from driftflag.web.config import THROTTLE_FAILURES, THROTTLE_MINUTES

CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SecureHeadersMiddleware:
    """Adds the headers Django's own middleware does not (CSP, permissions, no-store)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS)
        response.headers["Cache-Control"] = "no-store"
        return response


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def throttled(username: str, address: str) -> bool:
    """Whether sign-in is refused for this name or address (too many recent failures)."""
    from driftflag.web.models import FailedSignIn

    since = timezone.now() - timedelta(minutes=THROTTLE_MINUTES)
    recent = FailedSignIn.objects.filter(at__gte=since)
    return (recent.filter(username=username.lower()).count() >= THROTTLE_FAILURES
            or recent.filter(address=address).count() >= THROTTLE_FAILURES)


def record_failure(username: str, address: str) -> None:
    from driftflag.web.models import FailedSignIn

    FailedSignIn.objects.create(username=username.lower()[:150], address=address[:64])
    cutoff = timezone.now() - timedelta(days=1)
    FailedSignIn.objects.filter(at__lt=cutoff).delete()
