"""Fake of Microsoft identity platform (client credentials) + Microsoft Graph
onlineMeetings, for meetd's Teams backend.

Public contracts followed (facts only, no code taken from them):
  * Token: learn.microsoft.com "Microsoft identity platform and the OAuth 2.0
    client credentials flow" -- POST /{tenant}/oauth2/v2.0/token, form body,
    scope https://graph.microsoft.com/.default; errors carry error,
    error_description ("AADSTSnnnn: ..."), error_codes, timestamp, trace_id,
    correlation_id, error_uri (AADSTS7000215 wrong secret, 7000218 no secret,
    700016 unknown app, 90002 unknown tenant, 1002012 bad scope,
    70003 unsupported grant type, 900144 missing parameter).
  * microsoftgraph/microsoft-graph-docs-contrib, api-reference/v1.0:
    api/application-post-onlinemeetings.md (201 + onlineMeeting; passcode is
    generated and cannot be chosen), api/onlinemeeting-createorget.md
    (externalId required; 201 when created, 200 when an existing meeting is
    returned; start defaults to now, end to start + 1 h; end without start or
    end before start is an error), api/onlinemeeting-update.md (PATCH -> 200
    with the updated resource; start and end must come together; organizer
    cannot change; only attendees of participants are updatable),
    api/onlinemeeting-delete.md (204), resources/onlinemeeting.md and
    resources/joinmeetingidsettings.md (joinMeetingIdSettings cannot be
    modified after creation).
  * learn.microsoft.com/graph/errors: {"error":{"code","message","innerError":
    {"date","request-id","client-request-id"}}}; 401 InvalidAuthenticationToken.
  * learn.microsoft.com/graph/cloud-communication-online-meeting-application-
    access-policy: app-only calls for a user without a granted application
    access policy are refused (403; exact body not published, see below).

meetd configuration: login base = fake.url, graph base = fake.url + "/v1.0".

Handler-specific faults (fake.fault(route, kind)):
  token:               "invalid_client" (401 as for a wrong secret)
  create/create_or_get/get/patch/delete:
                       "expired_token" (401 as for an expired token),
                       "no_policy" (403 as for a user without access policy)
"""
import base64
import datetime as dt
import json
import re
import secrets
import string
import threading
import time
import urllib.parse
import uuid

if __package__ in (None, ""):                      # run as a script
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from fakes.base import FakeServer, serve_main
else:
    from .base import FakeServer, serve_main

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
# Graph's own application id appears in its WWW-Authenticate challenge.
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"

_USER = r"(?P<user>[^/]+)"
_MEETING = r"(?P<meeting>[^/]+)"

# Properties a client may send on create / createOrGet; the read-only ones are
# accepted and ignored (Graph ignores read-only values it generates itself).
CREATE_PROPS = {
    "subject", "startDateTime", "endDateTime", "participants", "lobbyBypassSettings",
    "joinMeetingIdSettings", "allowedPresenters", "isEntryExitAnnounced",
    "allowMeetingChat", "allowAttendeeToEnableCamera", "allowAttendeeToEnableMic",
    "allowTeamworkReactions", "recordAutomatically", "chatInfo",
}
READ_ONLY_PROPS = {
    "id", "creationDateTime", "joinWebUrl", "joinUrl", "audioConferencing",
    "videoTeleconferenceId", "joinInformation", "@odata.type", "@odata.context",
}
# onlinemeeting-update.md "Request body": the properties PATCH may change.
PATCH_PROPS = {
    "subject", "startDateTime", "endDateTime", "participants", "lobbyBypassSettings",
    "allowedPresenters", "isEntryExitAnnounced", "allowMeetingChat",
    "allowAttendeeToEnableCamera", "allowAttendeeToEnableMic", "allowTeamworkReactions",
    "recordAutomatically",
}
BOOL_PROPS = {"isEntryExitAnnounced", "allowAttendeeToEnableCamera", "allowAttendeeToEnableMic",
              "allowTeamworkReactions", "recordAutomatically"}
PRESENTERS = {"everyone", "organization", "roleIsPresenter", "organizer", "unknownFutureValue"}
LOBBY_SCOPES = {"organizer", "organization", "organizationAndFederated", "everyone",
                "invited", "organizationExcludingGuests", "unknownFutureValue"}
CHAT_MODES = {"enabled", "disabled", "limited", "unknownFutureValue"}
ROLES = {"attendee", "presenter", "producer", "coorganizer", "unknownFutureValue"}

# ISO-8601 date-time with a mandatory zone (Z or +hh:mm): Graph's DateTime is an
# Edm.DateTimeOffset, so a value without an offset is refused here.
ISO_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?"
                    r"(Z|[+-]\d{2}:?\d{2})\Z")


class GraphError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def parse_iso(value, name):
    """ISO-8601 string with zone -> aware UTC datetime, else GraphError 400."""
    if not isinstance(value, str):
        raise GraphError(400, "BadRequest",
                         f"Cannot convert the literal '{value}' to the expected type "
                         f"'Edm.DateTimeOffset' for property '{name}'.")
    m = ISO_RE.match(value)
    try:
        if m is None:
            raise ValueError
        y, mo, d, h, mi, s, frac, zone = m.groups()
        micro = int((frac or "0").ljust(7, "0")[:6])
        if zone == "Z":
            tz = dt.timezone.utc
        else:
            sign = 1 if zone[0] == "+" else -1
            zh, zm = int(zone[1:3]), int(zone[-2:])
            if zh > 14 or zm > 59:
                raise ValueError
            tz = dt.timezone(sign * dt.timedelta(hours=zh, minutes=zm))
        when = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), micro, tz)
    except ValueError:
        raise GraphError(400, "BadRequest",
                         f"The value '{value}' of property '{name}' is not a valid "
                         f"Edm.DateTimeOffset.") from None
    return when.astimezone(dt.timezone.utc)


def fmt_utc(when):
    """Graph's rendering: UTC, 7 fractional digits, 'Z'."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond:06d}0Z"


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def digits(n):
    return str(secrets.randbelow(9) + 1) + "".join(secrets.choice(string.digits)
                                                   for _ in range(n - 1))


class GraphFake(FakeServer):
    routes = [
        ("POST", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token", "token", "h_token"),
        ("POST", rf"/v1\.0/users/{_USER}/onlineMeetings", "create", "h_create"),
        ("POST", rf"/v1\.0/users/{_USER}/onlineMeetings/createOrGet", "create_or_get",
         "h_create_or_get"),
        ("GET", rf"/v1\.0/users/{_USER}/onlineMeetings/{_MEETING}", "get", "h_get"),
        ("PATCH", rf"/v1\.0/users/{_USER}/onlineMeetings/{_MEETING}", "patch", "h_patch"),
        ("DELETE", rf"/v1\.0/users/{_USER}/onlineMeetings/{_MEETING}", "delete", "h_delete"),
    ]

    def __init__(self, tenant_id, client_id, client_secret, token_ttl=3599, policy_users=None):
        super().__init__()
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl = int(token_ttl)
        if isinstance(policy_users, str):           # from the command line: "id1,id2"
            policy_users = {u for u in policy_users.split(",") if u}
        self.policy_users = None if policy_users is None else set(policy_users)
        self.tokens = {}             # access token -> expiry (epoch seconds)
        self.tokens_issued = 0
        self.meetings = {}           # meeting id -> onlineMeeting resource (live)
        self.owners = {}             # meeting id -> organizer user id
        self.creates = 0             # meetings actually created (create + new createOrGet)
        self._local = threading.local()

    # --- test helpers ------------------------------------------------------
    def expire_tokens(self):
        """Every token issued so far is now past its lifetime."""
        with self.lock:
            for t in self.tokens:
                self.tokens[t] = 0

    def reset(self):
        """Back to the freshly started state (tests share one server: stopping a
        ThreadingHTTPServer costs its 0.5 s poll interval)."""
        with self.lock:
            self.tokens.clear()
            self.meetings.clear()
            self.owners.clear()
            self.tokens_issued = self.creates = 0
            self.log.clear()
            self.counts.clear()
            self.faults.clear()

    def meetings_of(self, user_id):
        with self.lock:
            return [m for mid, m in self.meetings.items() if self.owners[mid] == user_id]

    # --- error shapes --------------------------------------------------------
    _CODES = {400: "BadRequest", 401: "InvalidAuthenticationToken", 403: "Forbidden",
              404: "NotFound", 409: "Conflict", 429: "TooManyRequests",
              500: "InternalServerError", 502: "BadGateway", 503: "ServiceUnavailable",
              504: "GatewayTimeout"}

    def _graph_error(self, code, message):
        req_id = str(uuid.uuid4())
        return {"error": {"code": code, "message": message, "innerError": {
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
            "request-id": req_id,
            "client-request-id": getattr(self._local, "client_request_id", None) or req_id}}}

    def error_body(self, status, message):
        return self._graph_error(self._CODES.get(status, "UnknownError"), message)

    def not_found_body(self, req):
        # Base answers 404 for any unrouted method/path; keep code and status agreeing.
        segment = req.path.rstrip("/").rsplit("/", 1)[-1]
        return self._graph_error("NotFound", f"{req.method} is not supported on a resource "
                                             f"ending in the segment '{segment}'.")

    def _fail(self, err):
        headers = {"request-id": str(uuid.uuid4())}
        if err.status == 401:
            headers["WWW-Authenticate"] = (
                'Bearer realm="", authorization_uri="https://login.microsoftonline.com/'
                f'common/oauth2/authorize", client_id="{GRAPH_APP_ID}"')
        return err.status, headers, self._graph_error(err.code, err.message)

    # --- token endpoint ----------------------------------------------------
    def _aad_error(self, status, error, code, text):
        now = dt.datetime.now(dt.timezone.utc)
        trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
        return status, {}, {
            "error": error,
            "error_description": f"AADSTS{code}: {text} Trace ID: {trace} "
                                 f"Correlation ID: {corr} Timestamp: {stamp}",
            "error_codes": [code], "timestamp": stamp, "trace_id": trace,
            "correlation_id": corr,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}"}

    def h_token(self, req, fault):
        tenant = req.match["tenant"]
        try:
            form = req.form()
        except (UnicodeDecodeError, ValueError):
            form = {}
        if tenant != self.tenant_id:
            return self._aad_error(400, "invalid_request", 90002,
                                   f"Tenant '{tenant}' not found. Check to make sure you have "
                                   "the correct tenant ID and are signing into the correct cloud.")
        for name in ("grant_type", "client_id", "scope"):
            if not form.get(name):
                return self._aad_error(400, "invalid_request", 900144,
                                       f"The request body must contain the following "
                                       f"parameter: '{name}'.")
        if form["grant_type"] != "client_credentials":
            return self._aad_error(400, "unsupported_grant_type", 70003,
                                   "The app requested an unsupported grant type "
                                   f"'{form['grant_type']}'.")
        if form["client_id"] != self.client_id:
            return self._aad_error(400, "unauthorized_client", 700016,
                                   f"Application with identifier '{form['client_id']}' was not "
                                   f"found in the directory '{tenant}'.")
        if not form.get("client_secret"):
            return self._aad_error(401, "invalid_client", 7000218,
                                   "The request body must contain the following parameter: "
                                   "'client_assertion' or 'client_secret'.")
        if form["client_secret"] != self.client_secret or (fault and fault.kind == "invalid_client"):
            return self._aad_error(401, "invalid_client", 7000215,
                                   "Invalid client secret provided. Ensure the secret being "
                                   "sent in the request is the client secret value, not the "
                                   "client secret ID, for a secret added to app "
                                   f"'{self.client_id}'.")
        if form["scope"] != GRAPH_SCOPE:
            return self._aad_error(400, "invalid_scope", 1002012,
                                   f"The provided value for scope {form['scope']} is not valid. "
                                   "Client credential flows must have a scope value with "
                                   "/.default suffixed to the resource identifier "
                                   "(application ID URI).")
        token = self._new_token()
        with self.lock:
            self.tokens[token] = time.time() + self.token_ttl
            self.tokens_issued += 1
        return 200, {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}, {
            "token_type": "Bearer", "expires_in": self.token_ttl,
            "ext_expires_in": self.token_ttl, "access_token": token}

    def _new_token(self):
        # JWT-shaped and opaque to the client, as Graph tokens must be treated.
        head = b64url(json.dumps({"typ": "JWT", "alg": "RS256"}).encode())
        body = b64url(json.dumps({"aud": "https://graph.microsoft.com", "tid": self.tenant_id,
                                  "appid": self.client_id, "roles": ["OnlineMeetings.ReadWrite.All"],
                                  "exp": int(time.time()) + self.token_ttl,
                                  "uti": secrets.token_urlsafe(16)}).encode())
        return f"{head}.{body}.{b64url(secrets.token_bytes(64))}"

    # --- common checks for the Graph routes -----------------------------------
    def _authorize(self, req, fault):
        """Bearer token issued here and alive, then the access policy for the user."""
        self._local.client_request_id = req.headers.get("client-request-id")
        auth = req.headers.get("Authorization") or ""
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.")
        with self.lock:
            expiry = self.tokens.get(auth[7:].strip())
        if expiry is None:
            raise GraphError(401, "InvalidAuthenticationToken", "Access token validation failure.")
        if expiry <= time.time() or (fault and fault.kind == "expired_token"):
            raise GraphError(401, "InvalidAuthenticationToken",
                             "Lifetime validation failed, the token is expired.")
        user = req.match["user"]
        if (self.policy_users is not None and user not in self.policy_users) or \
                (fault and fault.kind == "no_policy"):
            raise GraphError(403, "Forbidden", "No application access policy found for this app.")
        return user

    def _body(self, req):
        ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        try:
            body = req.json()
        except (UnicodeDecodeError, ValueError):
            body = None
        if ctype != "application/json" or not isinstance(body, dict):
            raise GraphError(400, "BadRequest",
                             "Unable to read JSON request payload. Please ensure Content-Type "
                             "header is set and payload is of valid JSON format.")
        return body

    def _owned(self, user, meeting_id):
        with self.lock:
            if self.owners.get(meeting_id) != user:
                raise GraphError(404, "NotFound",
                                 f"The onlineMeeting '{meeting_id}' was not found.")
            return self.meetings[meeting_id]

    # --- validation ------------------------------------------------------------
    def _check_props(self, body, allowed, ignored=frozenset()):
        for name in body:
            if name in ignored:
                continue
            if name not in allowed:
                raise GraphError(400, "BadRequest",
                                 f"The property '{name}' does not exist on type "
                                 "'microsoft.graph.onlineMeeting' or cannot be set here. Make "
                                 "sure to only use property names that are defined by the type.")

    def _check_values(self, body):
        """Types and enumerations of the writable properties present in body."""
        if "subject" in body and body["subject"] is not None and not isinstance(body["subject"], str):
            raise GraphError(400, "BadRequest", "Property 'subject' must be a string.")
        for name in BOOL_PROPS & body.keys():
            if not isinstance(body[name], bool):
                raise GraphError(400, "BadRequest", f"Property '{name}' must be a boolean.")
        for name, allowed in (("allowedPresenters", PRESENTERS), ("allowMeetingChat", CHAT_MODES)):
            if name in body and body[name] not in allowed:
                raise GraphError(400, "BadRequest",
                                 f"Requested value '{body[name]}' was not found for '{name}'.")
        if "lobbyBypassSettings" in body:
            lobby = body["lobbyBypassSettings"]
            if not isinstance(lobby, dict) or \
                    ("scope" in lobby and lobby["scope"] not in LOBBY_SCOPES) or \
                    not isinstance(lobby.get("isDialInBypassEnabled", False), bool):
                raise GraphError(400, "BadRequest", "Invalid lobbyBypassSettings.")
        if "joinMeetingIdSettings" in body:
            jm = body["joinMeetingIdSettings"]
            if not isinstance(jm, dict) or not isinstance(jm.get("isPasscodeRequired", True), bool):
                raise GraphError(400, "BadRequest", "Invalid joinMeetingIdSettings.")
        if "participants" in body:
            self._check_participants(body["participants"])

    def _check_participants(self, parts):
        if not isinstance(parts, dict) or not isinstance(parts.get("attendees", []), list):
            raise GraphError(400, "BadRequest", "Invalid participants.")
        for who in parts.get("attendees", []):
            ident = who.get("identity") if isinstance(who, dict) else None
            upn = who.get("upn") if isinstance(who, dict) else None
            if not isinstance(who, dict) or (ident is None and not upn) or \
                    (ident is not None and not isinstance(ident, dict)) or \
                    (upn is not None and not isinstance(upn, str)) or \
                    who.get("role", "attendee") not in ROLES | {None}:
                raise GraphError(400, "BadRequest", "Invalid meetingParticipantInfo in attendees.")

    def _times(self, body, now, require_both):
        """(start, end) from body with the createOrGet defaults, or raise 400."""
        has_start, has_end = "startDateTime" in body, "endDateTime" in body
        if require_both and has_start != has_end:
            raise GraphError(400, "BadRequest",
                             "Both startDateTime and endDateTime must be provided to change "
                             "the meeting time.")
        if has_end and not has_start:
            raise GraphError(400, "BadRequest", "endDateTime cannot be provided without startDateTime.")
        start = parse_iso(body["startDateTime"], "startDateTime") if has_start else now
        end = parse_iso(body["endDateTime"], "endDateTime") if has_end else start + dt.timedelta(hours=1)
        if end <= start:
            raise GraphError(400, "BadRequest", "endDateTime must be after startDateTime.")
        return start, end

    # --- resource ----------------------------------------------------------------
    def _new_id(self, user, thread):
        # Graph ids are opaque base64 strings; insist on '-' and '_' being
        # present so meetd's path building and storage are tested with them.
        while True:
            raw = f"1*{user}*0**{thread}".encode() + secrets.token_bytes(6)
            mid = b64url(raw)
            if "-" in mid and "_" in mid and mid not in self.meetings:
                return mid

    @staticmethod
    def _attendees(parts):
        out = []
        for who in (parts or {}).get("attendees", []):
            user = dict((who.get("identity") or {}).get("user") or {})
            entry = {"upn": who.get("upn"), "role": who.get("role") or "attendee",
                     "identity": {"user": user or None}}
            out.append(entry)
        return out

    def _build(self, user, body, start, end, now, external_id):
        thread_key = b64url(secrets.token_bytes(30))
        thread = f"19:meeting_{thread_key}@thread.v2"
        mid = self._new_id(user, thread)
        context = urllib.parse.quote(json.dumps({"Tid": self.tenant_id, "Oid": user},
                                                separators=(",", ":")), safe="")
        join = (f"https://teams.microsoft.com/l/meetup-join/"
                f"{urllib.parse.quote(thread, safe='')}/0?context={context}")
        conf_id = digits(9)
        passcode_required = (body.get("joinMeetingIdSettings") or {}).get("isPasscodeRequired", True)
        lobby = {"scope": "organization", "isDialInBypassEnabled": False}
        lobby.update(body.get("lobbyBypassSettings") or {})
        return {
            "@odata.context": f"https://graph.microsoft.com/v1.0/$metadata#users('{user}')"
                              "/onlineMeetings/$entity",
            "id": mid,
            "creationDateTime": fmt_utc(now),
            "startDateTime": fmt_utc(start),
            "endDateTime": fmt_utc(end),
            "joinUrl": join,
            "joinWebUrl": join,
            "subject": body.get("subject"),
            "externalId": external_id,
            "videoTeleconferenceId": digits(10),
            "isBroadcast": False,
            "isEntryExitAnnounced": body.get("isEntryExitAnnounced", True),
            "allowedPresenters": body.get("allowedPresenters", "everyone"),
            "allowMeetingChat": body.get("allowMeetingChat", "enabled"),
            "allowAttendeeToEnableCamera": body.get("allowAttendeeToEnableCamera", True),
            "allowAttendeeToEnableMic": body.get("allowAttendeeToEnableMic", True),
            "allowTeamworkReactions": body.get("allowTeamworkReactions", True),
            "recordAutomatically": body.get("recordAutomatically", False),
            "lobbyBypassSettings": lobby,
            "joinMeetingIdSettings": {
                "isPasscodeRequired": passcode_required,
                "joinMeetingId": digits(12),
                # Generated by the service; any passcode the client sent is ignored.
                "passcode": self._passcode() if passcode_required else None,
            },
            "chatInfo": {"threadId": thread, "messageId": "0", "replyChainMessageId": None},
            "participants": {
                "organizer": {"upn": f"{user}@{self.tenant_id}.onmicrosoft.example",
                              "role": "presenter",
                              "identity": {"user": {"id": user, "displayName": None,
                                                    "tenantId": self.tenant_id,
                                                    "identityProvider": "AAD"}}},
                "attendees": self._attendees(body.get("participants")),
                "producers": [], "contributors": []},
            "audioConferencing": {
                "conferenceId": conf_id,
                "tollNumber": "+1 206-555-0100",
                "tollFreeNumber": "+1 800-555-0100",
                "tollNumbers": ["+1 206-555-0100"],
                "tollFreeNumbers": ["+1 800-555-0100"],
                "dialinUrl": f"https://dialin.teams.microsoft.com/{uuid.uuid4()}?id={conf_id}"},
        }

    @staticmethod
    def _passcode():
        alphabet = string.ascii_letters + string.digits
        while True:
            code = "".join(secrets.choice(alphabet) for _ in range(6))
            if any(c.isdigit() for c in code) and any(c.isalpha() for c in code):
                return code

    def _store(self, user, meeting):
        with self.lock:
            self.meetings[meeting["id"]] = meeting
            self.owners[meeting["id"]] = user
            self.creates += 1

    # --- handlers ----------------------------------------------------------------
    def h_create(self, req, fault):
        try:
            user = self._authorize(req, fault)
            body = self._body(req)
            self._check_props(body, CREATE_PROPS, READ_ONLY_PROPS | {"externalId"})
            self._check_values(body)
            now = dt.datetime.now(dt.timezone.utc)
            start, end = self._times(body, now, require_both=False)
        except GraphError as e:
            return self._fail(e)
        meeting = self._build(user, body, start, end, now, external_id=None)
        self._store(user, meeting)
        return 201, {}, meeting

    def h_create_or_get(self, req, fault):
        try:
            user = self._authorize(req, fault)
            body = self._body(req)
            self._check_props(body, CREATE_PROPS | {"externalId"}, READ_ONLY_PROPS)
            ext = body.get("externalId")
            if not isinstance(ext, str) or not ext:
                raise GraphError(400, "BadRequest", "externalId is required and must be a string.")
            self._check_values(body)
            now = dt.datetime.now(dt.timezone.utc)
            start, end = self._times(body, now, require_both=False)
        except GraphError as e:
            return self._fail(e)
        with self.lock:                  # check-and-create atomically: one meeting per externalId
            for mid, m in self.meetings.items():
                if self.owners[mid] == user and m["externalId"] == ext:
                    return 200, {}, m
            meeting = self._build(user, body, start, end, now, external_id=ext)
            self._store(user, meeting)
        return 201, {}, meeting

    def h_get(self, req, fault):
        try:
            user = self._authorize(req, fault)
            return 200, {}, self._owned(user, req.match["meeting"])
        except GraphError as e:
            return self._fail(e)

    def h_patch(self, req, fault):
        try:
            user = self._authorize(req, fault)
            meeting = self._owned(user, req.match["meeting"])
            body = self._body(req)
            self._check_props(body, PATCH_PROPS)
            self._check_values(body)
            if "organizer" in (body.get("participants") or {}):
                raise GraphError(400, "BadRequest", "The organizer of a meeting cannot be updated.")
            if "startDateTime" in body or "endDateTime" in body:
                start, end = self._times(body, None, require_both=True)
            else:
                start = end = None
        except GraphError as e:
            return self._fail(e)
        with self.lock:
            self._apply_patch(meeting, body, start, end)
        return 200, {}, meeting

    @staticmethod
    def _apply_patch(meeting, body, start, end):
        if start is not None:
            meeting["startDateTime"], meeting["endDateTime"] = fmt_utc(start), fmt_utc(end)
        for name in ("subject", "allowedPresenters", "allowMeetingChat") + tuple(BOOL_PROPS):
            if name in body:
                meeting[name] = body[name]
        if "lobbyBypassSettings" in body:
            meeting["lobbyBypassSettings"].update(body["lobbyBypassSettings"])
        if "attendees" in (body.get("participants") or {}):
            # The full attendee list replaces the old one (onlinemeeting-update.md).
            meeting["participants"]["attendees"] = GraphFake._attendees(body["participants"])

    def h_delete(self, req, fault):
        try:
            user = self._authorize(req, fault)
            meeting = self._owned(user, req.match["meeting"])
        except GraphError as e:
            return self._fail(e)
        with self.lock:
            self.meetings.pop(meeting["id"], None)
            self.owners.pop(meeting["id"], None)
        return 204, {}, None


if __name__ == "__main__":
    serve_main(GraphFake)
