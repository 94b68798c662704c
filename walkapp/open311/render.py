"""GeoReport documents as JSON or XML, and every error in the spec's shape.

The XML follows the spec's own mapping (its "Spark convention"): a list becomes a wrapper
element holding one element per item (services/service, service_requests/request,
errors/error, attributes/attribute, values/value, endpoints/endpoint, formats/format); a
null becomes an empty element; booleans are true/false. No namespace, no attributes.
"""

from __future__ import annotations

import json
import re
import uuid
from xml.etree import ElementTree as ET

from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException

from walkapp.extensions import db

ITEMS = {
    "services": "service", "service_requests": "request", "errors": "error",
    "attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format",
}
MIMETYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# Characters XML 1.0 cannot carry, even escaped; an input's text from an old phone might.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def _fill(parent: ET.Element, name: str, value) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _fill(element, key, inner)
    elif isinstance(value, list):
        for inner in value:
            _fill(element, ITEMS[name], inner)
    else:
        element.text = _text(value)


def to_xml(root: str, data: dict | list) -> str:
    top = ET.Element(root)
    items = data.items() if isinstance(data, dict) else ((ITEMS[root], d) for d in data)
    for name, value in items:
        _fill(top, name, value)
    return DECLARATION + ET.tostring(top, encoding="unicode")


def document(fmt: str, root: str, data: dict | list, status: int = 200) -> Response:
    """`root` names the XML document element; JSON is the data itself."""
    body = json.dumps(data, ensure_ascii=False) if fmt == "json" else to_xml(root, data)
    return Response(body, status=status, content_type=MIMETYPES[fmt])


def format_of_path(path: str) -> str:
    """JSON for a .json URL; XML, the spec's required format, for anything else."""
    return "json" if path.endswith(".json") else "xml"


def errors(status: int, *descriptions: str, fmt: str | None = None) -> Response:
    fmt = fmt or (request.view_args or {}).get("fmt") or format_of_path(request.path)
    body = [{"code": status, "description": d} for d in descriptions]
    return document(fmt, "errors", body, status)


def http_error(err: HTTPException) -> Response:
    """Werkzeug's errors (no such URL, wrong method, body too large, rate limit…) as the
    spec's error list, never an HTML page."""
    status = err.code or 400
    if status == 404:
        description = (f"No such resource: {request.path}. The resources are listed in "
                       f"/open311/v2/discovery.xml")
    elif status == 405:
        allowed = err.get_response().headers.get("Allow", "")
        description = f"{request.method} is not allowed here; use {allowed or 'GET'}"
    elif status == 413:
        limit = request.max_content_length
        description = "The request body is too large" + (f" (at most {limit} bytes)"
                                                         if limit else "")
    else:
        description = err.description or err.name
    resp = errors(status, description)
    if status == 405 and err.get_response().headers.get("Allow"):
        resp.headers["Allow"] = err.get_response().headers["Allow"]
    return resp


def unexpected(err: Exception) -> Response:
    """Any other failure: logged with a reference, rolled back, and answered as the spec's
    "general service error" (400) that the client passes on to us."""
    reference = uuid.uuid4().hex[:12]
    current_app.logger.exception("open311: unexpected error (reference %s)", reference)
    db.session.rollback()
    return errors(400, f"General service error: the request could not be processed. "
                       f"Tell the municipality this reference: {reference}")
