"""The account forms of the web app and the admin's sign-in."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm

from uptime.accounts import backends, totp
from uptime.accounts.lockout import wait_message

PASSWORD_INPUT = forms.PasswordInput(attrs={"autocomplete": "current-password"})
NEW_PASSWORD_INPUT = forms.PasswordInput(attrs={"autocomplete": "new-password"})


class LockoutAwareMixin:
    """A refused sign-in says how long to wait instead of "wrong password" while the address
    or account is locked out (uptime/accounts/lockout.py); the view answers it with a 429."""

    locked_for = 0

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if seconds := backends.seconds_locked(self.request):
                self.locked_for = seconds
                raise forms.ValidationError(wait_message(seconds), code="locked_out") from None
            raise


class SignInForm(LockoutAwareMixin, AuthenticationForm):
    pass


class AdminSignInForm(LockoutAwareMixin, AdminAuthenticationForm):
    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if totp.must_enrol(user):
            raise forms.ValidationError(totp.MUST_ENROL_MESSAGE, code="two_factor_required")


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=32, label="Code",
        help_text="The 6-digit code from your authenticator app, or a recovery code.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True}),
    )


class PasswordForm(forms.Form):
    password = forms.CharField(label="Your password", strip=False, widget=PASSWORD_INPUT)

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("This is not your password.")
        return password


class DisableTwoFactorForm(PasswordForm, CodeForm):
    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if not totp.verify(self.user, code):
            raise forms.ValidationError("This code is wrong or was used already.")
        return code


class NewRecoveryCodesForm(forms.Form):
    """The password, or a code from the app (a recovery code does not do: one leaked code must
    not become ten)."""

    prefix = "recovery"  # on the page beside the turn-off form, whose fields have these names
    password = forms.CharField(label="Your password", strip=False, required=False,
                               widget=PASSWORD_INPUT)
    code = forms.CharField(
        max_length=32, required=False, label="or a code from your authenticator app",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict:
        password, code = self.cleaned_data.get("password"), self.cleaned_data.get("code")
        if password:
            if not self.user.check_password(password):
                self.add_error("password", "This is not your password.")
        elif code:
            if not totp.verify_app_code(self.user, code):
                self.add_error("code", "This code is wrong or was used already.")
        else:
            raise forms.ValidationError("Enter your password or a code from the app.")
        return self.cleaned_data


class ResetRequestForm(forms.Form):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autofocus": True}))


class NewPasswordForm(forms.Form):
    new_password = forms.CharField(label="New password", strip=False, widget=NEW_PASSWORD_INPUT)

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_new_password(self) -> str:
        password = self.cleaned_data["new_password"]
        password_validation.validate_password(password, self.user)
        return password
