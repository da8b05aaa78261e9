"""Answers that must not tell an attacker more than a wrong password would."""

from django.shortcuts import render

CSRF_REFUSED = (
    "画面を開いてから時間がたったか、別の画面でログインし直したため、この操作を受け付けられませんでした。"
    "画面を開き直して、もう一度操作してください。"
)


def csrf_failure(request, reason=""):
    """A form sent without a valid CSRF token (CSRF_FAILURE_VIEW): most often a page left open
    across a new login; said in one Japanese sentence, on the site's own 403 page."""
    return render(request, "403.html", {"message": CSRF_REFUSED}, status=403)


def locked_out(request, original_response, credentials):
    """A locked-out login gets the very page a wrong password gets (AXES_LOCKOUT_CALLABLE).

    The login view has already rendered the form with its "wrong user name or password" error,
    because the locked-out authentication failed; we return that page unchanged.
    """
    return original_response
