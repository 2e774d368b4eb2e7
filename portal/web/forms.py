"""The admin pages' forms (Flask-WTF: each carries a CSRF token), with
messages in both languages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from portal.anonymise import DEFAULT_THRESHOLD
from portal.publishing.accounts import EMAIL, MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(_l("Enter your email address"))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password"))])


class PackageForm(FlaskForm):
    package = FileField(_l("Data package (zip)"), validators=[FileRequired(_l("Choose a zip file to upload"))])


class ResponsesForm(FlaskForm):
    responses = FileField(_l("Responses (CSV)"), validators=[FileRequired(_l("Choose the responses file"))])
    invitations = FileField(_l("Invitations (CSV)"), validators=[FileRequired(_l("Choose the invitations file"))])
    threshold = IntegerField(_l("Suppression threshold (respondents)"), default=DEFAULT_THRESHOLD,
                             validators=[Optional(), NumberRange(2, 1000, _l("Enter a threshold from 2 to 1000"))])
    demonstration = BooleanField(_l("These are demonstration (synthetic) responses"))


class PublishForm(FlaskForm):
    changelog_en = TextAreaField(_l("What changed, in English"),
                                 validators=[DataRequired(_l("Enter what changed, in English")),
                                             Length(max=2000, message=_l("Use 2,000 characters or fewer"))])
    changelog_cy = TextAreaField(_l("What changed, in Welsh"),
                                 validators=[DataRequired(_l("Enter what changed, in Welsh")),
                                             Length(max=2000, message=_l("Use 2,000 characters or fewer"))])


class UserForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(_l("Enter an email address")),
                                                        Regexp(EMAIL, message=_l("Enter an email address like name@example.org"))])
    role = SelectField(_l("Role"), choices=[("editor", _l("Editor")), ("admin", _l("Administrator"))])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter a password")),
        Length(min=MIN_PASSWORD_LENGTH, max=1024, message=_l("Use at least 12 characters"))])


class TokenForm(FlaskForm):
    user = SelectField(_l("For"), coerce=int)
    name = StringField(_l("Name of the token"), validators=[
        DataRequired(_l("Give the token a name")), Length(max=100, message=_l("Use 100 characters or fewer"))])
