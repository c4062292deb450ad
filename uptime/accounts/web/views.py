"""The web app's account pages and the guarded sign-in of the web and the admin: thin, over
accounts/ (lockout, sessions, passwords, totp, deletion)."""

import time

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model, login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from knox.models import get_token_model

from uptime.accounts import backends, lockout, passwords, totp
from uptime.accounts import throttles as reset_throttle
from uptime.accounts.deletion import delete_account
from uptime.accounts.lockout import wait_message
from uptime.accounts.models import BrowserSession, TokenDevice
from uptime.accounts.sessions import devices_of, end_browser_sessions

from .forms import (
    AdminSignInForm,
    CodeForm,
    DisableTwoFactorForm,
    NewPasswordForm,
    NewRecoveryCodesForm,
    PasswordForm,
    ResetRequestForm,
    SignInForm,
)

PENDING_USER = "two_factor_pending_user"
PENDING_BACKEND = "two_factor_pending_backend"
PENDING_NEXT = "two_factor_pending_next"
PENDING_SINCE = "two_factor_pending_since"
# How long the code step waits after the password: a browser left at it (a shared computer)
# should not stay one code away from the account.
PENDING_SECONDS = 5 * 60
TOO_MANY_REQUESTS = 429


class GuardedLoginView(auth_views.LoginView):
    """Django's login, with the lockout's page (429, how long to wait) and the second step for
    an account with two-factor on: the password alone does not sign in, it leads to the code."""

    form_class = SignInForm
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.locked_for:
            response.status_code = TOO_MANY_REQUESTS
            response["Retry-After"] = str(form.locked_for)
        return response

    def form_valid(self, form):
        user = form.get_user()
        if totp.is_enabled(user):
            self.request.session[PENDING_USER] = user.pk
            self.request.session[PENDING_BACKEND] = user.backend
            self.request.session[PENDING_NEXT] = self.get_success_url()
            self.request.session[PENDING_SINCE] = time.time()
            return redirect("web:login-code")
        response = super().form_valid(form)
        if totp.must_enrol(user):
            messages.warning(self.request, "Set up two-factor sign-in: staff accounts on this "
                                           "server need it.")
            return redirect("web:two-factor")
        return response


class AdminLoginView(GuardedLoginView):
    """/admin/login/: the same guard and second step, with the admin's page and its rule that
    only staff get in."""

    form_class = AdminSignInForm
    template_name = "admin/login.html"

    def get_context_data(self, **kwargs):
        return {**admin.site.each_context(self.request), **super().get_context_data(**kwargs),
                "site_header": admin.site.site_header}

    def get_default_redirect_url(self) -> str:
        return reverse("admin:index")


class LoginCodeView(View):
    """The second step: the code for the account whose password was right."""

    def pending_user(self):
        session = self.request.session
        pk = session.get(PENDING_USER)
        if pk is None:
            return None
        if time.time() - session.get(PENDING_SINCE, 0) > PENDING_SECONDS:
            for key in (PENDING_USER, PENDING_BACKEND, PENDING_NEXT, PENDING_SINCE):
                session.pop(key, None)
            messages.info(self.request, "Signing in took too long: enter your password again.")
            return None
        return get_user_model().objects.filter(pk=pk, is_active=True).first()

    def get(self, request):
        if self.pending_user() is None:
            return redirect("web:login")
        return render(request, "accounts/login_code.html", {"form": CodeForm()})

    def post(self, request):
        user = self.pending_user()
        if user is None:
            return redirect("web:login")
        form = CodeForm(request.POST)
        status = 200
        if form.is_valid():
            if seconds := lockout.seconds_locked(
                lockout.client_address(request), f"user:{user.pk}"
            ):
                form.add_error(None, wait_message(seconds))
                status = TOO_MANY_REQUESTS
            elif totp.verify(user, form.cleaned_data["code"]):
                next_url = request.session.get(PENDING_NEXT, "")
                login(request, user, backend=request.session[PENDING_BACKEND])
                if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
                    next_url = resolve_url(settings.LOGIN_REDIRECT_URL)
                return HttpResponseRedirect(next_url)
            elif seconds := backends.record_failure(request, user.get_username()):
                form.add_error(None, wait_message(seconds))
                status = TOO_MANY_REQUESTS
            else:
                form.add_error("code", "This code is wrong or was used already.")
        return render(request, "accounts/login_code.html", {"form": form}, status=status)


class AccountView(LoginRequiredMixin, View):
    """Password, two-factor, where you are signed in, and deleting the account."""

    def get(self, request):
        browsers = BrowserSession.objects.filter(user=request.user).order_by("-created_at")
        return render(request, "accounts/account.html", {
            "nav": "account",
            "devices": devices_of(request.user),
            "browsers": browsers,
            "current_session_key": request.session.session_key,
            "two_factor": totp.is_enabled(request.user),
        })


class RevokeDeviceView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        device = get_object_or_404(TokenDevice, pk=pk, token__user=request.user)
        get_token_model().objects.filter(pk=device.token_id).delete()
        messages.success(request, f"{device} is signed out.")
        return redirect("web:account")


class RevokeBrowserView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        browser = get_object_or_404(BrowserSession, pk=pk, user=request.user)
        if browser.session_key == request.session.session_key:
            return redirect("web:logout")
        end_browser_sessions([browser])
        messages.success(request, "That browser is signed out.")
        return redirect("web:account")


class PasswordChangeView(LoginRequiredMixin, View):
    def get(self, request):
        return render(request, "accounts/password_change.html",
                      {"nav": "account", "form": PasswordChangeForm(request.user)})

    def post(self, request):
        form = PasswordChangeForm(request.user, request.POST)
        if not form.is_valid():
            if "old_password" in form.errors:
                backends.record_failure(request, request.user.get_username())
            return render(request, "accounts/password_change.html",
                          {"nav": "account", "form": form}, status=400)
        passwords.set_new_password(
            request.user, form.cleaned_data["new_password1"],
            keep_session_key=request.session.session_key,
        )
        update_session_auth_hash(request, request.user)
        messages.success(request, "Password changed. Every other device and browser is signed out.")
        return redirect("web:account")


class PasswordResetRequestView(View):
    def get(self, request):
        return render(request, "accounts/password_reset.html", {"form": ResetRequestForm()})

    def post(self, request):
        form = ResetRequestForm(request.POST)
        if not form.is_valid():
            return render(request, "accounts/password_reset.html", {"form": form}, status=400)
        if seconds := reset_throttle.seconds_to_wait(request, form.cleaned_data["email"]):
            form.add_error(None, reset_throttle.wait_message(seconds))
            response = render(request, "accounts/password_reset.html", {"form": form},
                              status=TOO_MANY_REQUESTS)
            response["Retry-After"] = str(seconds)
            return response
        passwords.send_reset_mail(form.cleaned_data["email"])
        # The same page whether or not an account has this email: no account probing.
        return render(request, "accounts/password_reset.html",
                      {"sent_to": form.cleaned_data["email"]})


class PasswordResetConfirmView(View):
    def get(self, request, uid: str, token: str):
        user = passwords.user_for_reset(uid, token)
        form = NewPasswordForm(user) if user else None
        return render(request, "accounts/password_reset_confirm.html", {"form": form},
                      status=200 if user else 400)

    def post(self, request, uid: str, token: str):
        user = passwords.user_for_reset(uid, token)
        if user is None:
            return render(request, "accounts/password_reset_confirm.html", {"form": None},
                          status=400)
        form = NewPasswordForm(user, request.POST)
        if not form.is_valid():
            return render(request, "accounts/password_reset_confirm.html", {"form": form},
                          status=400)
        passwords.set_new_password(user, form.cleaned_data["new_password"])
        messages.success(request, "Password changed: sign in with it. Every device and browser "
                                  "that was signed in is signed out.")
        return redirect("web:login")


class DeleteAccountView(LoginRequiredMixin, View):
    def get(self, request):
        return render(request, "accounts/delete.html",
                      {"nav": "account", "form": PasswordForm(request.user)})

    def post(self, request):
        form = PasswordForm(request.user, request.POST)
        if not form.is_valid():
            backends.record_failure(request, request.user.get_username())
            return render(request, "accounts/delete.html", {"nav": "account", "form": form},
                          status=400)
        delete_account(request.user)
        request.session.flush()
        messages.success(request, "Your account and everything in it are deleted.")
        return redirect("web:login")


class TwoFactorView(LoginRequiredMixin, View):
    """Enrol (a secret and its otpauth:// URI, confirmed with a code, then the recovery codes
    shown once), or turn it off (password and a code)."""

    template = "accounts/two_factor.html"

    def page(self, request, status: int = 200, **context):
        return render(request, self.template, {
            "nav": "account", "enabled": totp.is_enabled(request.user),
            "required": totp.must_enrol(request.user),
            "disable_form": DisableTwoFactorForm(request.user),
            "recovery_form": NewRecoveryCodesForm(request.user), **context,
        }, status=status)

    def get(self, request):
        return self.page(request)

    def post(self, request):
        action = request.POST.get("action")
        user = request.user
        if action == "start" and not totp.is_enabled(user):
            two_factor = totp.start_enrolment(user)
            return self.page(request, secret=two_factor.secret,
                             uri=totp.provisioning_uri(two_factor), code_form=CodeForm())
        if action == "confirm":
            form = CodeForm(request.POST)
            codes = totp.confirm_enrolment(user, form.data.get("code", "")) \
                if form.is_valid() else None
            if codes is None:
                two_factor = user.two_factor if hasattr(user, "two_factor") else None
                if two_factor is None:
                    return redirect("web:two-factor")
                form.add_error("code", "This code is wrong: try the one your app shows now.")
                return self.page(request, 400, secret=two_factor.secret,
                                 uri=totp.provisioning_uri(two_factor), code_form=form)
            return self.page(request, recovery_codes=codes)
        if action == "recovery-codes" and totp.is_enabled(user):
            return self.new_recovery_codes(request)
        if action == "disable":
            form = DisableTwoFactorForm(user, request.POST)
            if not form.is_valid():
                return self.page(request, 400, disable_form=form)
            totp.disable(user)
            messages.success(request, "Two-factor sign-in is off.")
            return redirect("web:account")
        return redirect("web:two-factor")

    def new_recovery_codes(self, request):
        user = request.user
        if seconds := lockout.seconds_locked(
            lockout.client_address(request), lockout.account_key(user.get_username())
        ):
            return self.page(request, TOO_MANY_REQUESTS, recovery_wait=wait_message(seconds))
        form = NewRecoveryCodesForm(user, request.POST)
        if not form.is_valid():
            if form.has_error("password") or form.has_error("code"):
                backends.record_failure(request, user.get_username())
            return self.page(request, 400, recovery_form=form)
        return self.page(request, recovery_codes=totp.new_recovery_codes(user), renewed=True)
