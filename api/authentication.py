from django.conf import settings
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


class HttpsTokenAuthentication(TokenAuthentication):
    """Token authentication that, in production, refuses tokens sent in the clear.

    A token sent over plain HTTP has already leaked by the time a redirect to
    HTTPS could answer, so the request fails instead of quietly working.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and settings.TOKEN_AUTH_REQUIRE_HTTPS and not request.is_secure():
            raise AuthenticationFailed(
                "Token authentication requires HTTPS; revoke this token if it was sent in clear."
            )
        return result
