"""Who may open the staff UI. Querysets do the finer filtering (selectors take the user)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from .roles import Role


def staff_required(view=None, *, roles: tuple[Role, ...] = ()):
    """Anonymous visitors go to the staff login; logged-in non-staff (or the wrong role) get 403."""

    def decorator(view_func):
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_staff or (roles and not user.has_role(*roles)):
                raise PermissionDenied
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator
