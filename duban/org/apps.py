from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "duban.org"
    label = "org"
    verbose_name = _("组织与账号")

    def ready(self) -> None:
        from django.contrib.auth import signals

        from duban.org import authn

        signals.user_logged_in.connect(authn.on_logged_in, dispatch_uid="duban_login")
        signals.user_logged_out.connect(authn.on_logged_out, dispatch_uid="duban_logout")
        signals.user_login_failed.connect(authn.on_login_failed, dispatch_uid="duban_failed")
