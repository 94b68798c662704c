"""The one error the GeoReport layer raises: an HTTP status and the spec's description."""


class GeoReportError(Exception):
    """Answered as the spec's [{"code", "description"}] with this HTTP status: 404 for what
    does not exist, 403 for a missing or wrong api_key, 400 for anything else the request
    got wrong (the description names the parameter)."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


def bad(description: str) -> GeoReportError:
    return GeoReportError(400, description)


def not_found(description: str) -> GeoReportError:
    return GeoReportError(404, description)


def forbidden(description: str) -> GeoReportError:
    return GeoReportError(403, description)
