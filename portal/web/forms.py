"""The admin pages' forms (Flask-WTF: each carries a CSRF token), with
messages in both languages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional, Regexp

from portal.anonymise import DEFAULT_THRESHOLD
from portal.publish.withdraw import MAX_REASON
from portal.queries import MAX_VERSION
from portal.publishing import audit
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


class WithdrawForm(FlaskForm):
    dataset = SelectField(_l("Dataset"), validators=[DataRequired(_l("Choose the dataset"))])
    version = IntegerField(_l("Version (optional)"), validators=[
        Optional(), NumberRange(1, MAX_VERSION, _l("Enter a version number, like 2"))])
    reason_en = TextAreaField(_l("Why, in English"), validators=[
        DataRequired(_l("Enter why it is withdrawn, in English")),
        Length(max=MAX_REASON, message=_l("Use 2,000 characters or fewer"))])
    reason_cy = TextAreaField(_l("Why, in Welsh"), validators=[
        DataRequired(_l("Enter why it is withdrawn, in Welsh")),
        Length(max=MAX_REASON, message=_l("Use 2,000 characters or fewer"))])
    replaced_by = SelectField(_l("Replaced by (optional)"))
    confirm = HiddenField()


class OverrideForm(FlaskForm):
    reason = TextAreaField(_l("Why publish although cells are at risk"), validators=[
        DataRequired(_l("Enter why this edition is published although cells are at risk")),
        Length(max=2000, message=_l("Use 2,000 characters or fewer"))])


class AuditFilterForm(FlaskForm):
    """The audit log's filters, read from the query string (no CSRF token: it changes nothing)."""

    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validate_choice=False, validators=[
        Optional(), AnyOf(("", *audit.ACTIONS), message=_l("Choose an action from the list"))])
    actor = StringField(_l("Who"), validators=[
        Length(max=audit.MAX_ACTOR, message=_l("Use 200 characters or fewer")),
        Regexp(r"^[^\x00-\x1f\x7f]*\Z", message=_l("Use letters, digits and punctuation only"))])
