"""The one error the analytics code raises for a user's or a source's mistake: printed as one line."""

from coursebuild.errors import CoursebuildError


class AnalyticsError(CoursebuildError):
    """A source, store or filter problem; the command line prints the message and exits with 1."""

    exit_code = 1


class FilterError(CoursebuildError):
    """A filter that names something unknown: a mistake in the command (exit 2)."""

    exit_code = 2
