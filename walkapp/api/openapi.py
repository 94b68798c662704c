"""GET /openapi.json: the OpenAPI 3.1 description of API v1.

Request bodies come from the same pydantic models the routes validate with, so the document
cannot drift from the code; responses are described here beside the routes they document.
"""

from functools import cache

from flask import jsonify

from walkapp.api import bp
from walkapp.api.devices import CURSOR
from walkapp.schemas import JOIN_CODE, CommentItem, EmailRequest, PushRequest, TrackRequest

REF = "#/components/schemas/{model}"


def _obj(props: dict, required: list[str] | None = None, **extra) -> dict:
    return {"type": "object", "properties": props, "required": required or list(props), **extra}


NULLABLE_STR = {"type": ["string", "null"]}
DATETIME = {"type": "string", "format": "date-time"}
DEPARTMENT = {"anyOf": [_obj({"slug": {"type": "string"}, "name": {"type": "string"}}),
                        {"type": "null"}]}
POINT = _obj({"type": {"const": "Point"}, "coordinates": {
    "type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}})
GEOMETRY = {"anyOf": [_obj({"type": {"type": "string"}}, ["type"]), {"type": "null"}]}
LABELS = _obj({lang: {"type": "string"} for lang in ("sv", "da", "en")})
FIELD_ERROR = _obj({"field": {"type": "string"}, "message": {"type": "string"}},
                   ["field", "message"])

SCHEMAS = {
    "Error": _obj({"error": _obj({
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "array", "items": FIELD_ERROR}})}),
    "Device": _obj({"device_id": {"type": "string"}, "token": {"type": "string"}}),
    # Items are checked one by one: an item that is not a valid CommentItem does not fail the
    # request, it is answered "rejected" with its errors in `results` (the others still go in).
    "SyncRequest": _obj({"comments": {
        "type": "array", "minItems": 1, "maxItems": 200,
        "items": {"anyOf": [{"$ref": REF.format(model="CommentItem")}, {}],
                  "description": "a CommentItem; any other value is answered 'rejected' in "
                                 "results, naming the fields at fault"}}}),
    "SyncResult": _obj({
        "id": NULLABLE_STR,
        "status": {"enum": ["created", "unchanged", "updated", "rejected"]},
        "errors": {"type": "array", "items": FIELD_ERROR},
        "department": DEPARTMENT,
        "comment_status": NULLABLE_STR,
        "missing_photos": {"type": "array", "items": {"type": "string", "format": "uuid"},
                           "description": "photos announced but not uploaded yet"},
    }),
    "SyncResponse": _obj({"results": {"type": "array",
                                      "items": {"$ref": REF.format(model="SyncResult")}}}),
    "Walk": _obj({
        "join_code": {"type": "string"}, "title": {"type": "string"},
        "locality": {"type": "string"}, "starts_at": DATETIME,
        "status": {"enum": ["planned", "open", "closed"]},
        "meeting_point": _obj({"description": {"type": "string"},
                               "location": {"anyOf": [POINT, {"type": "null"}]}}),
        "area": GEOMETRY, "route": GEOMETRY,
        "municipality": _obj({"name": {"type": "string"},
                              "default_language": {"enum": ["sv", "da", "en"]}}),
        "categories": {"type": "array", "items": _obj({"slug": {"type": "string"},
                                                       "labels": LABELS})},
        "kinds": {"type": "array", "items": _obj({"slug": {"enum": ["question", "opinion",
                                                                    "idea"]},
                                                  "labels": LABELS})},
        "tiles": _obj({"url": {"type": "string", "description": "Leaflet URL template"},
                       "attribution": {"type": "string"}, "min_zoom": {"type": "integer"},
                       "max_zoom": {"type": "integer"}}),
        "offline": _obj({
            "bbox": {"anyOf": [{"type": "array", "items": {"type": "number"},
                                "minItems": 4, "maxItems": 4}, {"type": "null"}],
                     "description": "west, south, east, north to cache for offline use"},
            "min_zoom": {"type": "integer"}, "max_zoom": {"type": "integer"},
            "max_tiles": {"type": "integer"}}),
    }),
    "OwnComment": _obj({
        "id": {"type": "string", "format": "uuid"}, "walk": {"type": "string"},
        "kind": {"enum": ["question", "opinion", "idea"]}, "category": {"type": "string"},
        "text": {"type": "string"}, "location": POINT,
        "accuracy_m": {"type": ["number", "null"]}, "created_at": DATETIME,
        "received_at": DATETIME,
        "status": {"type": "string", "description": "the primary's status when merged"},
        "editable": {"type": "boolean"},
        "merged": {"type": "boolean",
                   "description": "merged into a similar input; its answers are shown here"},
        "department": DEPARTMENT,
        "promised_at": {"type": ["string", "null"], "format": "date",
                        "description": "the date the department promised an answer or the "
                                       "work by (municipality's local date)"},
        "photos": {"type": "array", "items": _obj({"id": {"type": "string"},
                                                    "stored": {"type": "boolean"}})},
        "responses": {"type": "array", "items": _obj({
            "status": {"type": "string"}, "text": {"type": "string"}, "at": DATETIME})},
        "changed_at": DATETIME,
    }),
    "Feed": _obj({
        "comments": {"type": "array", "items": {"$ref": REF.format(model="OwnComment")}},
        "cursor": {"type": ["string", "null"], "pattern": CURSOR,
                   "description": "pass as `since` to get what changed after this page; it "
                                  "stays behind changes younger than the settle window, so "
                                  "those come again on the next call (apply them by id)"},
        "has_more": {"type": "boolean",
                     "description": "ask again now with the new cursor"}}),
    "PhotoStored": _obj({"id": {"type": "string"}, "comment": {"type": "string"},
                         "status": {"const": "stored"}, "width": {"type": "integer"},
                         "height": {"type": "integer"}}),
    "Me": _obj({
        "device_id": {"type": "string"}, "created_at": DATETIME,
        "language": {"enum": ["sv", "da", "en", None]},
        "contact_email": {**NULLABLE_STR, "description": "given to hear of answers by e-mail"},
        "push": {"type": "boolean", "description": "answers are announced by Web Push"}}),
    "Erased": _obj({
        "drafts_deleted": {"type": "integer",
                           "description": "inputs no official had reviewed, deleted"},
        "inputs_kept": {"type": "integer",
                        "description": "submitted inputs kept as public records, no longer "
                                       "linked to any device"}}),
    "PushKey": _obj({"public_key": {
        "type": "string", "description": "VAPID applicationServerKey (base64url P-256 point)"}}),
    "TrackStored": _obj({"id": {"type": "string"},
                         "status": {"enum": ["created", "unchanged", "updated"]},
                         "points": {"type": "integer"}}),
}


def _json(schema: str) -> dict:
    return {"application/json": {"schema": {"$ref": REF.format(model=schema)}}}


def _err(description: str) -> dict:
    return {"description": description, "content": _json("Error")}


def _ok(description: str, schema: str) -> dict:
    return {"description": description, "content": _json(schema)}


AUTH = [{"deviceToken": []}]
# Every operation that takes a device token may answer this.
NO_TOKEN = {"401": _err("missing or unknown device token")}
# Every operation with a body: the body must arrive within the server's read timeout.
STALLED = {"408": _err("the body stopped arriving before it was complete; send it again")}
UUID_PARAM = {"type": "string", "format": "uuid"}


def _path_param(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": description}


JOIN_CODE_PARAM = _path_param("join_code", {"type": "string", "pattern": JOIN_CODE},
                              "the walk's join code (case-insensitive)")


PATHS = {
    "/api/v1/devices": {"post": {
        "operationId": "registerDevice", "summary": "Register an anonymous device",
        "description": "Rate-limited per client address.",
        "responses": {"201": _ok("device id and its secret token (shown once)", "Device"),
                      "429": _err("too many registrations")}}},
    "/api/v1/walks/{join_code}": {"get": {
        "operationId": "getWalk", "summary": "A walk, for offline use",
        "parameters": [JOIN_CODE_PARAM],
        "responses": {"200": _ok("the walk", "Walk"), "404": _err("no walk has this code")}}},
    "/api/v1/sync": {"post": {
        "operationId": "sync", "summary": "Send comments (idempotent on each comment's id)",
        "security": AUTH,
        "requestBody": {"required": True, "content": _json("SyncRequest")},
        "responses": {
            "200": _ok("one result per item, in item order", "SyncResponse"),
            "400": _err("body not JSON or not the expected shape"),
            **NO_TOKEN, **STALLED,
            "413": _err("too many items or too large a body")}}},
    "/api/v1/comments/{comment_id}/photos/{photo_id}": {"put": {
        "operationId": "putPhoto", "summary": "Upload one photo of a comment (idempotent)",
        "description": "The image is decoded and re-encoded as JPEG: EXIF, comments and "
                       "other metadata are dropped. Rate-limited per device (only uploads "
                       "that need decoding count).",
        "security": AUTH,
        "parameters": [_path_param("comment_id", UUID_PARAM, "the comment's id"),
                       _path_param("photo_id", UUID_PARAM, "the photo's client-made id")],
        "requestBody": {"required": True, "content": {
            t: {"schema": {"type": "string", "contentMediaType": t}}
            for t in ("image/jpeg", "image/png", "image/webp")}},
        "responses": {
            "201": _ok("stored (re-encoded JPEG, EXIF removed)", "PhotoStored"),
            "200": _ok("already stored", "PhotoStored"),
            "400": _err("empty body"), **NO_TOKEN,
            "403": _err("the comment belongs to another device"),
            "404": _err("no such comment"),
            **STALLED,
            "409": _err("photo id used elsewhere, too many photos, or comment reviewed"),
            "413": _err("too many bytes or pixels"),
            "415": _err("not a JPEG, PNG or WebP image"),
            "429": _err("this device sent too many photos recently (Retry-After says when "
                        "to try again)"),
            "503": _err("the server is busy decoding other photos; try again shortly")}}},
    "/api/v1/comments/{comment_id}": {"delete": {
        "operationId": "deleteComment", "summary": "Withdraw an own comment before review",
        "security": AUTH,
        "parameters": [_path_param("comment_id", UUID_PARAM, "the comment's id")],
        "responses": {
            "204": {"description": "deleted, with its photos"},
            **NO_TOKEN,
            "403": _err("the comment belongs to another device"),
            "404": _err("no such comment"),
            "409": _err("already reviewed by an official")}}},
    "/api/v1/devices/me/comments": {"get": {
        "operationId": "myComments", "summary": "The device's comments with status and answers",
        "security": AUTH,
        "parameters": [{"name": "since", "in": "query", "required": False,
                        "schema": {"type": "string", "pattern": CURSOR},
                        "description": "cursor from the previous page"}],
        "responses": {"200": _ok("comments changed since the cursor", "Feed"),
                      "400": _err("invalid cursor"),
                      **NO_TOKEN}}},
    "/api/v1/walks/{join_code}/tracks/{track_id}": {"put": {
        "operationId": "putTrack", "summary": "Store a recorded route (idempotent, opt-in)",
        "security": AUTH,
        "parameters": [JOIN_CODE_PARAM,
                       _path_param("track_id", UUID_PARAM, "the track's client-made id")],
        "requestBody": {"required": True, "content": _json("TrackRequest")},
        "responses": {
            "201": _ok("created", "TrackStored"), "200": _ok("unchanged or updated",
                                                             "TrackStored"),
            "400": _err("not JSON or not a valid track"),
            **NO_TOKEN, **STALLED,
            "403": _err("the track belongs to another device"),
            "404": _err("no walk has this code"),
            "409": _err("the track belongs to another walk"),
            "413": _err("too large")}}},
    "/api/v1/push/key": {"get": {
        "operationId": "pushKey", "summary": "The key to subscribe to answer notifications with",
        "responses": {"200": _ok("the server's VAPID public key", "PushKey")}}},
    "/api/v1/devices/me/push": {
        "put": {
            "operationId": "subscribePush",
            "summary": "Announce answers to this device's inputs by Web Push (opt-in)",
            "security": AUTH,
            "requestBody": {"required": True, "content": _json("PushRequest")},
            "responses": {
                "201": _ok("subscribed", "Me"), "200": _ok("subscription renewed", "Me"),
                "400": _err("not JSON, or not a subscription at a browser push service"),
                **NO_TOKEN, "413": _err("too large")}},
        "delete": {
            "operationId": "unsubscribePush", "summary": "No more push notifications",
            "security": AUTH,
            "responses": {"204": {"description": "the subscription is forgotten"},
                          **NO_TOKEN}}},
    "/api/v1/devices/me/email": {
        "put": {
            "operationId": "setEmail",
            "summary": "An address to hear of answers by e-mail (opt-in, used for nothing else)",
            "security": AUTH,
            "requestBody": {"required": True, "content": _json("EmailRequest")},
            "responses": {
                "201": _ok("address saved", "Me"), "200": _ok("address confirmed again", "Me"),
                "400": _err("not JSON, or not an e-mail address"), **NO_TOKEN,
                "413": _err("too large")}},
        "delete": {
            "operationId": "removeEmail", "summary": "Forget the address",
            "security": AUTH,
            "responses": {"204": {"description": "the address is forgotten"}, **NO_TOKEN}}},
    "/api/v1/openapi.json": {"get": {
        "operationId": "openapi", "summary": "This document",
        "responses": {"200": {"description": "OpenAPI 3.1",
                              "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    # Last: fuzzing the erasure ends the device, and every call after it answers 401.
    "/api/v1/devices/me": {
        "get": {
            "operationId": "me", "summary": "What the server holds about this device",
            "security": AUTH,
            "responses": {"200": _ok("the device's own data", "Me"), **NO_TOKEN}},
        "delete": {
            "operationId": "eraseMe",
            "summary": "Erase this device's personal data and unreviewed drafts",
            "description": "Deletes the contact e-mail, the push subscription, recorded "
                           "routes, pending notices and every input no official has "
                           "reviewed yet, then the device and its token (which stops "
                           "working). Submitted inputs are public records: they are kept, "
                           "no longer linked to the device.",
            "security": AUTH,
            "responses": {"200": _ok("erased", "Erased"), **NO_TOKEN}}},
}


@cache
def document() -> dict:
    schemas = dict(SCHEMAS)
    for model in (CommentItem, TrackRequest, PushRequest, EmailRequest):
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return {
        "openapi": "3.1.0",
        "info": {"title": "walkapp API", "version": "1.0.0",
                 "description": "Offline-first sync of community-walk comments. Errors are "
                                "always JSON: {error: {code, message, fields[]}}."},
        "paths": PATHS,
        "components": {"schemas": schemas, "securitySchemes": {
            "deviceToken": {"type": "http", "scheme": "bearer",
                            "description": "token from POST /api/v1/devices"}}},
    }


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(document())
