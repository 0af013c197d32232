"""Options that became keyword-only, still accepted by position for one release.

Public functions take their data by position and every option by keyword
(``pb.classify_statements(statements, threshold=0.6)``). Where an option
used to be positional, :func:`deprecated_positional` lets old calls keep
working for one more release, with a :class:`FutureWarning` (shown by
default, in notebooks too) naming the keyword to use instead.
"""
from __future__ import annotations

import functools
import inspect
import warnings

__all__ = ["deprecated_positional"]

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def deprecated_positional(*names: str):
    """Accept the keyword-only options ``names`` by position too, with a FutureWarning.

    Parameters
    ----------
    *names : str
        The options in the order they used to follow the data arguments;
        each must be keyword-only in the decorated function's signature.

    Examples
    --------
    >>> @deprecated_positional("k", "random_state")
    ... def cluster_abstracts(works, *, k=None, random_state=0): ...
    >>> cluster_abstracts(works, 5)  # doctest: +SKIP
    FutureWarning: cluster_abstracts(): pass k by keyword (k=...); ...
    """

    def decorate(func):
        parameters = inspect.signature(func).parameters
        n_data = sum(p.kind in _POSITIONAL for p in parameters.values())
        if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters.values()):
            raise TypeError(f"{func.__qualname__} takes *args: no option can have been positional")
        for name in names:
            if name not in parameters or parameters[name].kind is not inspect.Parameter.KEYWORD_ONLY:
                raise TypeError(f"{func.__qualname__}: {name!r} is not a keyword-only parameter")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if len(args) > n_data:
                extra = args[n_data:]
                if len(extra) > len(names):
                    raise TypeError(f"{func.__name__}() takes {n_data} positional argument"
                                    f"{'' if n_data == 1 else 's'} but {len(args)} were given")
                moved = dict(zip(names, extra))
                for name in moved:
                    if name in kwargs:
                        raise TypeError(f"{func.__name__}() got multiple values for argument {name!r}")
                it = "it" if len(moved) == 1 else "them"
                warnings.warn(
                    f"{func.__name__}(): pass {' and '.join(moved)} by keyword "
                    f"({', '.join(f'{name}=...' for name in moved)}); passing {it} by position is deprecated "
                    "and stops working in the next release of peerbib",
                    FutureWarning, stacklevel=2)
                args, kwargs = args[:n_data], {**kwargs, **moved}
            return func(*args, **kwargs)

        wrapper.deprecated_positional = names  # the options still taken by position, for introspection
        return wrapper

    return decorate
