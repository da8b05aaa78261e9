"""Answers that must not tell an attacker more than a wrong password would."""


def locked_out(request, original_response, credentials):
    """A locked-out login gets the very page a wrong password gets (AXES_LOCKOUT_CALLABLE).

    The login view has already rendered the form with its "wrong user name or password" error,
    because the locked-out authentication failed; we return that page unchanged.
    """
    return original_response
