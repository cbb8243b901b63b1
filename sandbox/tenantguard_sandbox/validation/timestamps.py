"""Timestamps in the forms Graph writes them."""

from datetime import datetime, timezone


def utc_now(now=None):
    """``now`` as an aware UTC datetime (the current time when None)."""
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(timezone.utc)


def ticks_timestamp(moment):
    """``2019-10-14T19:53:11.3705634Z``: seven fractional digits, as the conditional access service writes."""
    moment = utc_now(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%07d" % (moment.microsecond * 10) + "Z"


def seconds_timestamp(moment):
    """``2022-09-30T10:59:01Z``, as the authentication strength service writes."""
    return utc_now(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
