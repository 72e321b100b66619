"""Fake of Google's OAuth token endpoint (service-account JWT bearer grant) and
the Calendar v3 events API with Google Meet conferences, for meetd's Google
Meet backend (protocols.md 2.6-2.7).

Public contracts followed (facts only, no code taken from them):
  * developers.google.com/identity/protocols/oauth2/service-account: POST the
    token_uri with grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and
    assertion=<RS256 JWT>; claims iss (the service account's email), scope
    (space-separated), aud (the token_uri), iat, exp (at most 1 h after iat),
    optional sub (a user to impersonate: domain-wide delegation). Answers
    {access_token, expires_in 3599, token_type "Bearer"}. Failures seen in
    practice: invalid_grant "Invalid JWT Signature.", invalid_grant
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a
    reasonable timeframe. ...", invalid_grant "Invalid grant: account not
    found", invalid_scope, and unauthorized_client "Client is unauthorized
    to retrieve access tokens using this method, ..." for a sub the client
    is not delegated for.
  * developers.google.com/calendar/api/v3/reference/events (insert, get,
    patch, delete) and the Event resource: conferenceDataVersion 0 (the
    default) ignores conferenceData in the body; version 1 honours
    conferenceData.createRequest {requestId, conferenceSolutionKey{type}};
    the conference starts "pending" (no entry points) and later reads
    "success" (conferenceId, entryPoints video/phone/more, hangoutLink) or
    "failure"; a client-chosen id is base32hex [a-v0-9], 5-1024 chars; a
    deleted event keeps existing with status "cancelled" ("the get method
    always returns them"); sendUpdates is all|externalOnly|none.
  * developers.google.com/calendar/api/guides/errors: errors are
    {"error":{"errors":[{domain, reason, message, ...}], "code", "message"}};
    401 authError "Invalid Credentials"; 409 duplicate; 410 deleted; 404
    notFound; 400 timeRangeEmpty; 429 rateLimitExceeded.
  * Issue trackers (spatie/laravel-google-calendar, googleapis clients): a
    service account without domain-wide delegation inviting attendees gets
    403 {domain "calendar", reason "forbiddenForServiceAccounts", "Service
    accounts cannot invite attendees without Domain-Wide Delegation of
    Authority."}.

meetd configuration: token URL = fake.url + "/token",
calendar base = fake.url + "/calendar/v3".

Conference timing: an insert with a createRequest answers "pending" when
pending_polls > 0. Each events.get of that event then counts one poll down;
the get that brings it to 0 answers the outcome (conference_outcome as it
was at insert time). So pending_polls=1: insert pending, first get success;
pending_polls=0: the insert itself answers the outcome.

Route names: token, insert, get, patch, delete.
Handler-specific faults: token: "invalid_grant" (400 once);
insert/get/patch/delete: "expired_token" (401 once).
"""
import base64
import datetime as dt
import json
import re
import secrets
import string
import time
import urllib.parse
import zoneinfo

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

if __package__ in (None, ""):                      # run as a script
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from fakes.base import FakeServer, serve_main
else:
    from .base import FakeServer, serve_main

UTC = dt.timezone.utc
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CALENDAR_SCOPES = {"https://www.googleapis.com/auth/calendar",
                   "https://www.googleapis.com/auth/calendar.events"}
SKEW = 300                                         # seconds of clock difference tolerated on iat
MAX_LIFETIME = 3600
EVENT_ID_RE = re.compile(r"[a-v0-9]{5,1024}\Z")
DATETIME_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?"
                         r"(Z|[+-]\d{2}:\d{2})?\Z", re.IGNORECASE)
SEND_UPDATES = ("all", "externalOnly", "none")
MEET_ICON = ("https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/"
             "logo_meet_2020q4_color_2x_web_512dp.png")
# Fields Google computes: a client's values for them are ignored.
READ_ONLY = {"kind", "etag", "id", "htmlLink", "created", "updated", "creator", "organizer",
             "iCalUID", "hangoutLink", "sequence", "status"}

SHORT_LIVED = ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
               "timeframe. Check your iat and exp values in the JWT claim.")
UNAUTHORIZED_CLIENT = ("Client is unauthorized to retrieve access tokens using this method, or "
                       "client not authorized for any of the scopes requested.")
NO_DWD = "Service accounts cannot invite attendees without Domain-Wide Delegation of Authority."


class GoogleError(Exception):
    def __init__(self, status, body, headers=None):
        super().__init__(body)
        self.status, self.body, self.headers = status, body, headers or {}

    def answer(self):
        return self.status, self.headers, self.body


def api_error(status, reason, message, domain="global", **extra):
    """Calendar's error body: one item in errors[], code and message repeated."""
    item = {"domain": domain, "reason": reason, "message": message, **extra}
    return GoogleError(status, {"error": {"errors": [item], "code": status, "message": message}})


def oauth_error(status, error, description):
    return GoogleError(status, {"error": error, "error_description": description})


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def rfc3339_ms(when):
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def load_public_key(key=None, pem=None, path=None):
    """A public key from a key object, PEM text (public key, certificate or
    private key) or a file holding such PEM."""
    if key is not None and not isinstance(key, (str, bytes)):
        return key.public_key() if hasattr(key, "private_bytes") else key
    data = key if key is not None else pem
    if data is None and path is not None:
        with open(path, "rb") as f:
            data = f.read()
    if data is None:
        raise ValueError("GoogleFake needs public_key_pem, public_key_file or public_key")
    data = data.encode() if isinstance(data, str) else data
    if b"CERTIFICATE" in data:
        return x509.load_pem_x509_certificate(data).public_key()
    if b"PRIVATE KEY" in data:
        return serialization.load_pem_private_key(data, password=None).public_key()
    return serialization.load_pem_public_key(data)


def meet_code():
    letters = string.ascii_lowercase
    return "-".join("".join(secrets.choice(letters) for _ in range(n)) for n in (3, 4, 3))


class GoogleFake(FakeServer):
    _CAL = r"/calendar/v3/calendars/(?P<cal>[^/]+)/events"
    routes = [
        ("POST", r"/token", "token", "h_token"),
        ("POST", _CAL, "insert", "h_insert"),
        ("GET", _CAL + r"/(?P<eid>[^/]+)", "get", "h_get"),
        ("PATCH", _CAL + r"/(?P<eid>[^/]+)", "patch", "h_patch"),
        ("DELETE", _CAL + r"/(?P<eid>[^/]+)", "delete", "h_delete"),
    ]

    def __init__(self, service_account_email=None, public_key_pem=None, allowed_subjects=None,
                 pending_polls=1, conference_outcome="success", token_ttl=3599,
                 public_key_file=None, client_email=None, public_key=None):
        super().__init__()
        # client_email / public_key: the names of the service account JSON key
        # file's field and of a key object, accepted as aliases.
        self.service_account_email = service_account_email or client_email
        if not self.service_account_email:
            raise ValueError("GoogleFake needs service_account_email")
        self.public_key = load_public_key(public_key, public_key_pem, public_key_file)
        if isinstance(allowed_subjects, str):       # from the command line: "a@x,b@x"
            allowed_subjects = {s for s in allowed_subjects.split(",") if s}
        self.allowed_subjects = None if allowed_subjects is None else set(allowed_subjects)
        self.pending_polls = int(pending_polls)
        if conference_outcome not in ("success", "failure"):
            raise ValueError("conference_outcome is 'success' or 'failure'")
        self.conference_outcome = conference_outcome
        self.token_ttl = int(token_ttl)
        self._clear_state()

    def _clear_state(self):
        self.tokens = {}             # access token -> {"exp", "sub", "scope"}
        self.tokens_issued = 0
        self.events = {}             # event id -> Event (live ones only)
        self.deleted = {}            # event id -> Event with status "cancelled"
        self.calendars = {}          # event id -> calendar id (the owner's email)
        self.conferences = {}        # event id -> {"left", "outcome", "request"}
        self.inserts = 0             # events actually created

    # --- test helpers ------------------------------------------------------
    def reset(self):
        """Back to the freshly started state (the module's tests share one server)."""
        with self.lock:
            self._clear_state()
            self.log.clear()
            self.counts.clear()
            self.faults.clear()

    def expire_tokens(self):
        with self.lock:
            for rec in self.tokens.values():
                rec["exp"] = 0

    # Aliases: `pending` (polls before the outcome) and `fail` (outcome failure).
    @property
    def pending(self):
        return self.pending_polls

    @pending.setter
    def pending(self, n):
        self.pending_polls = int(n or 0)

    @property
    def fail(self):
        return self.conference_outcome == "failure"

    @fail.setter
    def fail(self, yes):
        self.conference_outcome = "failure" if yes else "success"

    # --- error shapes ------------------------------------------------------------
    _REASONS = {400: ("badRequest", "Bad Request"), 401: ("authError", "Invalid Credentials"),
                403: ("forbidden", "Forbidden"), 404: ("notFound", "Not Found"),
                409: ("conflict", "Conflict"), 410: ("deleted", "Resource has been deleted"),
                429: ("rateLimitExceeded", "Rate Limit Exceeded"),
                500: ("backendError", "Backend Error"), 503: ("backendError", "Backend Error")}

    def error_body(self, status, message):
        reason, text = self._REASONS.get(status, ("backendError", message))
        domain = "usageLimits" if status == 429 else "global"
        return api_error(status, reason, text, domain).body

    # --- token endpoint ----------------------------------------------------
    def h_token(self, req, fault):
        try:
            claims = self._check_assertion(req, fault)
        except GoogleError as e:
            return e.answer()
        token = "ya29.c." + b64url(secrets.token_bytes(96))
        with self.lock:
            self.tokens[token] = {"exp": time.time() + self.token_ttl, "sub": claims.get("sub"),
                                  "scope": claims["scope"]}
            self.tokens_issued += 1
        return 200, {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"}, {
            "access_token": token, "expires_in": self.token_ttl, "token_type": "Bearer"}

    def _check_assertion(self, req, fault):
        """The verified claims of the assertion, or GoogleError."""
        ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        try:
            form = req.form() if ctype == "application/x-www-form-urlencoded" else {}
        except (UnicodeDecodeError, ValueError):
            form = {}
        if fault is not None and fault.kind == "invalid_grant":
            raise oauth_error(400, "invalid_grant", "Invalid grant: account not found")
        if not form.get("grant_type"):
            raise oauth_error(400, "invalid_request", "Required parameter is missing: grant_type")
        if form["grant_type"] != JWT_BEARER:
            raise oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {form['grant_type']}")
        if not form.get("assertion"):
            raise oauth_error(400, "invalid_request", "Required parameter is missing: assertion")
        header, claims, signing_input, signature = self._parse_jwt(form["assertion"])
        # iss picks the account whose keys verify the signature.
        if claims.get("iss") != self.service_account_email:
            raise oauth_error(400, "invalid_grant", "Invalid grant: account not found")
        if header.get("alg") != "RS256" or not self._signature_ok(signing_input, signature):
            raise oauth_error(400, "invalid_grant", "Invalid JWT Signature.")
        if claims.get("aud") != self.url + "/token":
            raise oauth_error(400, "invalid_grant", "Invalid JWT: Failed audience check.")
        self._check_times(claims)
        scopes = claims.get("scope")
        if not isinstance(scopes, str) or not CALENDAR_SCOPES & set(scopes.split()):
            raise oauth_error(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        sub = claims.get("sub")
        if sub is not None and sub != self.service_account_email and \
                self.allowed_subjects is not None and sub not in self.allowed_subjects:
            raise oauth_error(401, "unauthorized_client", UNAUTHORIZED_CLIENT)
        if sub == self.service_account_email:
            claims = {k: v for k, v in claims.items() if k != "sub"}   # itself: no delegation
        return claims

    @staticmethod
    def _parse_jwt(assertion):
        parts = assertion.split(".")
        try:
            if len(parts) != 3:
                raise ValueError
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
            if not isinstance(header, dict) or not isinstance(claims, dict):
                raise ValueError
        except (ValueError, UnicodeDecodeError):
            raise oauth_error(400, "invalid_grant",
                              "Invalid JWT: Failed to parse the assertion.") from None
        return header, claims, f"{parts[0]}.{parts[1]}".encode(), signature

    def _signature_ok(self, signing_input, signature):
        try:
            self.public_key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
            return True
        except (InvalidSignature, ValueError, TypeError):
            return False

    @staticmethod
    def _check_times(claims):
        iat, exp, now = claims.get("iat"), claims.get("exp"), time.time()
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (iat, exp))
        if not numbers or abs(iat - now) > SKEW or exp <= now or exp <= iat or exp - iat > MAX_LIFETIME:
            raise oauth_error(400, "invalid_grant", SHORT_LIVED)

    # --- Calendar: common checks ----------------------------------------------
    def _authorize(self, req, fault):
        unauthorized = api_error(401, "authError", "Invalid Credentials",
                                 locationType="header", location="Authorization")
        unauthorized.headers = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
        if fault is not None and fault.kind == "expired_token":
            raise unauthorized
        auth = req.headers.get("Authorization") or ""
        if auth[:7].lower() != "bearer ":
            raise unauthorized
        with self.lock:
            rec = self.tokens.get(auth[7:].strip())
        if rec is None or rec["exp"] <= time.time():
            raise unauthorized
        return rec

    def _calendar(self, req, token):
        """The calendar id of the path; "primary" is the caller's own."""
        cal = urllib.parse.unquote(req.match["cal"])
        return (token["sub"] or self.service_account_email) if cal == "primary" else cal

    @staticmethod
    def _query(req):
        """(conferenceDataVersion, sendUpdates) validated as Google does."""
        raw = req.query.get("conferenceDataVersion", "0")
        if raw not in ("0", "1"):
            raise api_error(400, "invalid", f"Invalid conference data version value: {raw}",
                            locationType="parameter", location="conferenceDataVersion")
        send = req.query.get("sendUpdates")
        if send is not None and send not in SEND_UPDATES:
            raise api_error(400, "invalidParameter",
                            f"Invalid string value: '{send}'. Allowed values: [all, externalOnly, none]",
                            locationType="parameter", location="sendUpdates")
        return int(raw), send

    @staticmethod
    def _body(req):
        try:
            body = req.json()
        except (UnicodeDecodeError, ValueError):
            body = None
        if not isinstance(body, dict):
            raise api_error(400, "parseError", "Parse Error")
        return body

    def _lookup(self, cal, eid):
        """(event, deleted?) in calendar `cal`, or GoogleError 404."""
        with self.lock:
            if self.calendars.get(eid) == cal:
                if eid in self.events:
                    return self.events[eid], False
                if eid in self.deleted:
                    return self.deleted[eid], True
        raise api_error(404, "notFound", "Not Found")

    # --- Calendar: validation ------------------------------------------------------
    @staticmethod
    def _when(value, which):
        """An aware datetime for start/end, or GoogleError 400."""
        if not isinstance(value, dict) or not (value.get("dateTime") or value.get("date")):
            raise api_error(400, "required", f"Missing {which} time.")
        zone = None
        if value.get("timeZone") is not None:
            try:
                zone = zoneinfo.ZoneInfo(value["timeZone"])
            except (ValueError, TypeError, zoneinfo.ZoneInfoNotFoundError):
                raise api_error(400, "invalid",
                                f"Invalid time zone definition for {which} time.") from None
        if not value.get("dateTime"):
            try:
                day = dt.date.fromisoformat(value["date"])
            except (TypeError, ValueError):
                raise api_error(400, "invalid", f"Invalid value for: {value['date']}") from None
            return dt.datetime.combine(day, dt.time(), zone or UTC)
        m = DATETIME_RE.match(value["dateTime"]) if isinstance(value["dateTime"], str) else None
        if m is None:
            raise api_error(400, "invalid", f"Invalid value for: {value['dateTime']}")
        y, mo, d, h, mi, s, _, offset = m.groups()
        if offset is None and zone is None:
            raise api_error(400, "required", f"Missing time zone definition for {which} time.")
        if offset is not None:                      # an explicit offset wins over timeZone
            minutes = 0 if offset.upper() == "Z" else \
                (1 if offset[0] == "+" else -1) * (int(offset[1:3]) * 60 + int(offset[4:6]))
            zone = dt.timezone(dt.timedelta(minutes=minutes))
        try:
            return dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=zone)
        except ValueError:
            raise api_error(400, "invalid", f"Invalid value for: {value['dateTime']}") from None

    def _check_event(self, ev, token):
        """Start/end, attendees and delegation of a complete (merged) event."""
        start, end = self._when(ev.get("start"), "start"), self._when(ev.get("end"), "end")
        if bool(ev["start"].get("dateTime")) != bool(ev["end"].get("dateTime")):
            raise api_error(400, "invalid",
                            "Start and end times must either both be date or both be dateTime.")
        if end < start:
            raise api_error(400, "timeRangeEmpty", "The specified time range is empty.", "calendar")
        for name in ("summary", "description", "location"):
            if ev.get(name) is not None and not isinstance(ev[name], str):
                raise api_error(400, "invalid", f"Invalid value for: {name}")
        attendees = ev.get("attendees") or []
        if not isinstance(attendees, list) or any(
                not isinstance(a, dict) or not isinstance(a.get("email"), str) or "@" not in a["email"]
                for a in attendees):
            raise api_error(400, "invalid", "Invalid attendee email.")
        if attendees and not token["sub"]:
            raise api_error(403, "forbiddenForServiceAccounts", NO_DWD, "calendar")

    @staticmethod
    def _create_request(ev):
        """The createRequest of an event body, validated; None when absent."""
        conf = ev.get("conferenceData")
        if conf is None:
            return None
        req = conf.get("createRequest") if isinstance(conf, dict) else None
        if req is None:
            return None
        key = (req.get("conferenceSolutionKey") or {}) if isinstance(req, dict) else {}
        if not isinstance(key, dict) or key.get("type") != "hangoutsMeet":
            raise api_error(400, "invalid", "Invalid conference type value.")
        if not isinstance(req.get("requestId"), str) or not req["requestId"]:
            raise api_error(400, "invalid", "Invalid conference create request.")
        return {"requestId": req["requestId"], "conferenceSolutionKey": {"type": "hangoutsMeet"}}

    # --- Calendar: conferences ---------------------------------------------------------
    def _start_conference(self, eid, request):
        state = {"left": self.pending_polls, "outcome": self.conference_outcome, "request": request}
        self.conferences[eid] = state
        self._render_conference(eid)

    def _render_conference(self, eid):
        """Writes the conference's current state into the stored event."""
        state, ev = self.conferences[eid], self.events.get(eid) or self.deleted.get(eid)
        code = "pending" if state["left"] > 0 else state["outcome"]
        request = dict(state["request"], status={"statusCode": code})
        if code != "success":
            ev["conferenceData"] = {"createRequest": request}
            ev.pop("hangoutLink", None)
            return
        meet = state.setdefault("code", meet_code())
        pin = state.setdefault("pin", "".join(secrets.choice(string.digits) for _ in range(9)))
        ev["conferenceData"] = {
            "createRequest": request,
            "entryPoints": [
                {"entryPointType": "video", "uri": f"https://meet.google.com/{meet}",
                 "label": f"meet.google.com/{meet}"},
                {"entryPointType": "phone", "uri": "tel:+1-202-555-0147",
                 "label": "+1 202-555-0147", "pin": pin, "regionCode": "US"},
                {"entryPointType": "more", "uri": f"https://tel.meet/{meet}?pin={pin}", "pin": pin},
            ],
            "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet",
                                   "iconUri": MEET_ICON},
            "conferenceId": meet,
        }
        ev["hangoutLink"] = f"https://meet.google.com/{meet}"

    def _poll(self, eid):
        state = self.conferences.get(eid)
        if state is not None and state["left"] > 0:
            state["left"] -= 1
            self._render_conference(eid)

    # --- Calendar: handlers ----------------------------------------------------------------
    def h_insert(self, req, fault):
        try:
            token = self._authorize(req, fault)
            cal = self._calendar(req, token)
            version, _ = self._query(req)
            body = self._body(req)
            eid = body.get("id")
            if eid is not None and (not isinstance(eid, str) or not EVENT_ID_RE.match(eid)):
                raise api_error(400, "invalid", "Invalid resource id value.")
            self._check_event(body, token)
            request = self._create_request(body) if version >= 1 else None
            with self.lock:
                if eid is not None and (eid in self.events or eid in self.deleted):
                    raise api_error(409, "duplicate", "The requested identifier already exists.")
                ev = self._build(cal, eid or self._new_id(), body)
                self.events[ev["id"]] = ev
                self.calendars[ev["id"]] = cal
                if request is not None:
                    self._start_conference(ev["id"], request)
                self.inserts += 1
                return 200, {}, json.loads(json.dumps(ev))
        except GoogleError as e:
            return e.answer()

    def _new_id(self):
        alphabet = "0123456789abcdefghijklmnopqrstuv"
        while True:
            eid = "".join(secrets.choice(alphabet) for _ in range(26))
            if eid not in self.events and eid not in self.deleted:
                return eid

    def _build(self, cal, eid, body):
        now = dt.datetime.now(UTC)
        ev = {"kind": "calendar#event", "etag": self._etag(), "id": eid, "status": "confirmed",
              "htmlLink": "https://www.google.com/calendar/event?eid=" + b64url(f"{eid} {cal}".encode()),
              "created": rfc3339_ms(now), "updated": rfc3339_ms(now)}
        for name, value in body.items():
            if name not in READ_ONLY and name != "conferenceData":
                ev[name] = json.loads(json.dumps(value))
        ev["creator"] = {"email": cal, "self": True}
        ev["organizer"] = {"email": cal, "self": True}
        ev["iCalUID"] = f"{eid}@google.com"
        ev["sequence"] = 0
        ev.setdefault("reminders", {"useDefault": True})
        ev.setdefault("eventType", "default")
        if ev.get("attendees"):
            ev["attendees"] = [dict(a, responseStatus=a.get("responseStatus", "needsAction"))
                               for a in ev["attendees"]]
        return ev

    @staticmethod
    def _etag():
        return f'"{int(time.time() * 1000) * 1000 + secrets.randbelow(1000)}"'

    def h_get(self, req, fault):
        try:
            token = self._authorize(req, fault)
            eid = urllib.parse.unquote(req.match["eid"])
            ev, _ = self._lookup(self._calendar(req, token), eid)
        except GoogleError as e:
            return e.answer()
        with self.lock:
            self._poll(eid)
            return 200, {}, json.loads(json.dumps(ev))

    def h_patch(self, req, fault):
        try:
            token = self._authorize(req, fault)
            eid = urllib.parse.unquote(req.match["eid"])
            ev, gone = self._lookup(self._calendar(req, token), eid)
            if gone:
                raise api_error(410, "deleted", "Resource has been deleted")
            version, _ = self._query(req)
            body = self._body(req)
            merged = self._merge(ev, {k: v for k, v in body.items()
                                      if k not in READ_ONLY and k != "conferenceData"})
            self._check_event(merged, token)
            request = self._create_request(body) if version >= 1 else None
        except GoogleError as e:
            return e.answer()
        with self.lock:
            if merged.get("start") != ev.get("start") or merged.get("end") != ev.get("end"):
                merged["sequence"] = ev.get("sequence", 0) + 1
            if merged.get("attendees"):
                merged["attendees"] = [dict(a, responseStatus=a.get("responseStatus", "needsAction"))
                                       for a in merged["attendees"]]
            merged["updated"], merged["etag"] = rfc3339_ms(dt.datetime.now(UTC)), self._etag()
            ev.clear()
            ev.update(merged)
            old = self.conferences.get(eid)
            new_request = old is None or old["request"]["requestId"] != (request or {}).get("requestId")
            if request is not None and new_request:
                self._start_conference(eid, request)
            return 200, {}, json.loads(json.dumps(ev))

    @classmethod
    def _merge(cls, base, patch):
        """Patch semantics: objects merge field by field, anything else replaces."""
        out = json.loads(json.dumps(base))
        for name, value in patch.items():
            if isinstance(value, dict) and isinstance(out.get(name), dict):
                out[name] = cls._merge(out[name], value)
            else:
                out[name] = json.loads(json.dumps(value))
        return out

    def h_delete(self, req, fault):
        try:
            token = self._authorize(req, fault)
            self._query(req)
            eid = urllib.parse.unquote(req.match["eid"])
            ev, gone = self._lookup(self._calendar(req, token), eid)
            if gone:
                raise api_error(410, "deleted", "Resource has been deleted")
        except GoogleError as e:
            return e.answer()
        with self.lock:
            ev["status"] = "cancelled"
            ev["updated"] = rfc3339_ms(dt.datetime.now(UTC))
            self.deleted[eid] = self.events.pop(eid)
        return 204, {}, b""


if __name__ == "__main__":
    serve_main(GoogleFake)
