"""A Django 5.2 shop that logs its customers in with mozilla-django-oidc 5.0, unmodified, as the
README's OpenID Connect walkthrough sets it up: PKCE on, RS256, scopes `openid phone`, and a
backend keyed on `sub` (the stock one keys users on `email`, which otpgram does not have).

Driven by the Rust test `relying_parties` through Django's test client (the shop's side) and
real HTTP to otpgram (the browser's side, with the customer's login session cookie):

    python shop.py <issuer> <client_id> <client_secret> <otpgram_login cookie>...

logs in each customer (one login session cookie each) in turn, in a fresh browser, and prints
one JSON line: the Django user each became (or the error), and how many users the shop has.
"""

import json
import sys
from urllib.parse import urlsplit

import django
from django.conf import settings

ISSUER, CLIENT_ID, CLIENT_SECRET = sys.argv[1:4]
COOKIES = sys.argv[4:]

settings.configure(
    DEBUG=False,
    SECRET_KEY="a-shop-that-only-lives-in-a-test-0123456789",
    ALLOWED_HOSTS=["localhost"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "mozilla_django_oidc",
    ],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    AUTHENTICATION_BACKENDS=[__name__ + ".OtpgramBackend"],
    OIDC_RP_CLIENT_ID=CLIENT_ID,
    OIDC_RP_CLIENT_SECRET=CLIENT_SECRET,
    OIDC_OP_AUTHORIZATION_ENDPOINT=ISSUER + "/login",
    OIDC_OP_TOKEN_ENDPOINT=ISSUER + "/oauth/token",
    OIDC_OP_USER_ENDPOINT=ISSUER + "/oauth/userinfo",
    OIDC_OP_JWKS_ENDPOINT=ISSUER + "/.well-known/jwks.json",
    OIDC_RP_SIGN_ALGO="RS256",
    OIDC_RP_SCOPES="openid phone",
    OIDC_USE_PKCE=True,
    LOGIN_REDIRECT_URL="/whoami",
    LOGIN_REDIRECT_URL_FAILURE="/failed",
)
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import include, path  # noqa: E402
from mozilla_django_oidc.auth import OIDCAuthenticationBackend  # noqa: E402


class OtpgramBackend(OIDCAuthenticationBackend):
    """The README's backend: a customer is their `sub`, and the phone is kept beside it."""

    def filter_users_by_claims(self, claims):
        sub = claims.get("sub")
        if not sub:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(username=sub)

    def create_user(self, claims):
        return self.UserModel.objects.create_user(
            username=claims["sub"], first_name=claims.get("phone_number", "")
        )

    def update_user(self, user, claims):
        user.first_name = claims.get("phone_number", "")
        user.save()
        return user


def whoami(request):
    if not request.user.is_authenticated:
        return JsonResponse({"error": "not logged in"}, status=401)
    return JsonResponse({"username": request.user.username, "phone": request.user.first_name})


def failed(request):
    return JsonResponse({"error": "the login failed"}, status=400)


urlpatterns = [
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("whoami", whoami),
    path("failed", failed),
]


def log_in(cookie):
    import requests

    shop = Client(HTTP_HOST="localhost")
    # The shop's "Log in" button: to otpgram, with state, nonce and the PKCE challenge.
    start = shop.get("/oidc/authenticate/")
    if start.status_code != 302:
        return {"error": f"authenticate answered {start.status_code}"}
    # The browser at otpgram, already signed in there: straight back with a code.
    back = requests.get(
        start["Location"], cookies={"otpgram_login": cookie}, allow_redirects=False, timeout=10
    )
    if back.status_code != 303:
        return {"error": f"otpgram answered {back.status_code}: {back.text[:300]}"}
    callback = urlsplit(back.headers["Location"])
    done = shop.get(callback.path + "?" + callback.query)
    if done.status_code != 302 or done["Location"] != "/whoami":
        return {"error": f"the callback answered {done.status_code} {done.get('Location')}"}
    return shop.get("/whoami").json()


def main():
    call_command("migrate", verbosity=0)
    customers = [log_in(cookie) for cookie in COOKIES]
    print(json.dumps({"customers": customers, "users": get_user_model().objects.count()}))


main()
