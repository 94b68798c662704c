"""One error shape: JSON `{"error": {...}}` for the API, the usual HTML pages elsewhere."""

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid", 429: "rate_limited", 500: "internal_error",
}


class ApiError(Exception):
    """Raised anywhere under /api to answer a 4xx with a specific code, message and fields."""

    def __init__(self, status: int, code: str, message: str, fields: list[dict] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or []


def field_error(field: str, message: str) -> dict:
    return {"field": field, "message": message}


def error_response(status: int, code: str, message: str, fields: list[dict] | None = None):
    body = {"error": {"code": code, "message": message, "fields": fields or []}}
    return jsonify(body), status


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _open311() -> bool:
    # Errors raised before a blueprint is known (no such URL, wrong method) still owe an
    # Open311 client the spec's error list.
    return request.path.startswith("/open311/")


def init_app(app) -> None:
    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        return error_response(err.status, err.code, err.message, err.fields)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        if _open311():
            from walkapp.open311.render import http_error

            return http_error(err)
        status = err.code or 500
        if _wants_json():
            resp, status = error_response(status, CODES.get(status, "error"), err.description)
            if status == 405 and err.get_response().headers.get("Allow"):
                resp.headers["Allow"] = err.get_response().headers["Allow"]
            return resp, status
        if status in (403, 404, 413, 429):
            return render_template("error.html", status=status, message=err.description), status
        return err

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        if _open311():
            from walkapp.open311.render import unexpected

            return unexpected(err)
        app.logger.exception("unhandled error")
        if _wants_json():
            return error_response(500, "internal_error", "Internal server error.")
        return render_template("error.html", status=500, message="Internal server error."), 500
