"""Fake of the Webex Meetings REST API (https://webexapis.com/v1), for meetd's
Webex backend.

Public contracts followed (facts only, no code taken from them):
  * developer.webex.com/docs/api/v1/meetings (Create a Meeting, Get a Meeting,
    Update a Meeting (PUT), Patch a Meeting, Delete a Meeting, List Meetings),
    as published in webex-openapi-specs public-spec/webex-meeting.json:
      - create answers 200 with the meeting; title required, <= 128 chars;
        agenda <= 1300; password optional, generated when absent; start/end
        in any ISO-8601 form, start not before now, end after start,
        duration 10 min .. 23 h 59 min; both are kept to the minute (seconds
        stripped, a start in the current minute moves to the next minute);
        joinBeforeHostMinutes one of 0, 5, 10, 15; invitees <= 1000, each
        with a required email and displayName <= 128;
      - a non-recurring meeting is a "meetingSeries" in state "active";
        phoneAndVideoSystemPassword is 8 digits; webLink is
        https://{site}/{site-prefix}/j.php?MTID=m<hex>; sipAddress is
        <meetingNumber>@<site>; siteUrl is the bare host name;
      - response time stamps are in the zone named by the `timezone` request
        header, UTC when absent;
      - DELETE answers 204; list defaults to meetingType=meetingSeries,
        max=10 (up to 100), from=now and to=from+7 days, lists series that
        overlap [from, to), and pages with an RFC 5988 Link rel="next" header.
  * developer.webex.com/docs/basics: errors are {"message", "errors":
    [{"description"}], "trackingId"}; 429 carries Retry-After.
  * developer.webex.com/docs/integrations: POST /v1/access_token with
    grant_type=refresh_token, client_id, client_secret, refresh_token answers
    {access_token, expires_in, refresh_token, refresh_token_expires_in}.

meetd configuration: api base = fake.url + "/v1".

Handler-specific faults (fake.fault(route, kind)):
  create/get/put/patch/delete/list: "expired_token" (401 once)
  token:                            "invalid_grant" (400 once)
"""
import base64
import datetime as dt
import re
import secrets
import string
import time
import urllib.parse
import uuid
import zoneinfo

if __package__ in (None, ""):                      # run as a script
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from fakes.base import FakeServer, serve_main
else:
    from .base import FakeServer, serve_main

UTC = dt.timezone.utc
MIN_DURATION = dt.timedelta(minutes=10)
MAX_DURATION = dt.timedelta(hours=23, minutes=59)
MAX_AHEAD = dt.timedelta(days=3652)               # "10 years or more in the future" is refused
JBH_MINUTES = {0, 5, 10, 15}
JOIN_SECURITY = {"allowJoin", "allowJoinWithLobby", "blockFromJoin"}
MEETING_TYPES = {"meetingSeries", "scheduledMeeting", "meeting"}
BOOL_FIELDS = ("enabledAutoRecordMeeting", "allowAnyUserToBeCoHost", "enabledJoinBeforeHost",
               "enableConnectAudioBeforeHost", "excludePassword", "publicMeeting",
               "enableAutomaticLock", "allowFirstUserToBeCoHost", "allowAuthenticatedDevices")
# Editable fields and the value each takes when a create or a PUT leaves it out.
DEFAULTS = {
    "agenda": "", "recurrence": None, "enabledAutoRecordMeeting": False,
    "allowAnyUserToBeCoHost": False, "enabledJoinBeforeHost": False,
    "enableConnectAudioBeforeHost": False, "joinBeforeHostMinutes": 0,
    "excludePassword": False, "publicMeeting": False, "reminderTime": 10,
    "unlockedMeetingJoinSecurity": "allowJoin", "enableAutomaticLock": False,
    "automaticLockMinutes": None, "allowFirstUserToBeCoHost": False,
    "allowAuthenticatedDevices": False,
}
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
ISO_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
                    r"(Z|[+-]\d{2}:?\d{2})?)?\Z")
INVALID_TOKEN = "The request requires a valid access token set in the Authorization request header."


class WebexError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def parse_iso(value, name, zone=UTC, date_only=False):
    """ISO-8601 string -> aware datetime; a value without offset is read in
    `zone` (the meeting's timezone). Date-only forms only where allowed."""
    m = ISO_RE.match(value) if isinstance(value, str) else None
    if m is None or (m.group(4) is None and not date_only):
        raise WebexError(400, f"Invalid {name}: '{value}' is not an ISO 8601 date and time.")
    y, mo, d, h, mi, s, frac, off = m.groups()
    try:
        if off is None:
            tz = zone
        elif off == "Z":
            tz = UTC
        else:
            sign = 1 if off[0] == "+" else -1
            tz = dt.timezone(sign * dt.timedelta(hours=int(off[1:3]), minutes=int(off[-2:])))
        micro = int((frac or "0").ljust(6, "0")[:6])
        return dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                           micro, tz).astimezone(UTC)
    except ValueError:
        raise WebexError(400, f"Invalid {name}: '{value}' is not a valid date and time.") from None


def fmt(when, zone):
    """Webex renders whole seconds; 'Z' in UTC, the offset elsewhere."""
    local = when.astimezone(zone)
    text = local.strftime("%Y-%m-%dT%H:%M:%S%z")
    if text.endswith("+0000") and zone in (UTC, zoneinfo.ZoneInfo("UTC")):
        return text[:-5] + "Z"
    return text[:-2] + ":" + text[-2:]


def get_zone(name):
    if not isinstance(name, str) or not name:
        raise WebexError(400, "Invalid timezone.")
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise WebexError(400, f"Invalid timezone: '{name}'.") from None


def digits(n, first_nonzero=True):
    head = str(secrets.randbelow(9) + 1) if first_nonzero else secrets.choice(string.digits)
    return head + "".join(secrets.choice(string.digits) for _ in range(n - 1))


def new_password():
    """Like Webex's generated ones (e.g. 'V5KdJgpvG88'): 11 letters and digits,
    with at least one upper, one lower and one digit."""
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(11))
        if any(c.isupper() for c in pw) and any(c.islower() for c in pw) and \
                any(c.isdigit() for c in pw):
            return pw


class WebexFake(FakeServer):
    routes = [
        ("POST", r"/v1/access_token", "token", "h_token"),
        ("POST", r"/v1/meetings", "create", "h_create"),
        ("GET", r"/v1/meetings", "list", "h_list"),
        ("GET", r"/v1/meetings/(?P<id>[^/]+)", "get", "h_get"),
        ("PUT", r"/v1/meetings/(?P<id>[^/]+)", "put", "h_put"),
        ("PATCH", r"/v1/meetings/(?P<id>[^/]+)", "patch", "h_patch"),
        ("DELETE", r"/v1/meetings/(?P<id>[^/]+)", "delete", "h_delete"),
    ]

    def __init__(self, access_token, client_id=None, client_secret=None, refresh_token=None,
                 site_url="example.webex.com", token_ttl=1209599,
                 host_email="host@example.com", host_display_name="Meeting Host"):
        super().__init__()
        self.access_token = access_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.site_url = site_url
        self.token_ttl = int(token_ttl)
        self.host_email = host_email
        self.host_display_name = host_display_name
        self.host_user_id = base64.b64encode(
            f"ciscospark://us/PEOPLE/{uuid.uuid4()}".encode()).decode().rstrip("=")
        self.tokens = {access_token: float("inf")}   # token -> expiry; the static one never expires
        self.tokens_issued = 0                        # access tokens issued by refresh
        self.meetings = {}                            # id -> meeting object as GET shows it (UTC)
        self.invitees = {}                            # id -> invitees given at create
        self.creates = 0

    # --- test helpers ------------------------------------------------------
    def expire_tokens(self):
        """Every access token (the configured one too) is now expired."""
        with self.lock:
            for t in self.tokens:
                self.tokens[t] = 0

    def reset(self):
        """Back to the freshly started state (tests share one server: stopping a
        ThreadingHTTPServer costs its 0.5 s poll interval)."""
        with self.lock:
            self.tokens = {self.access_token: float("inf")}
            self.meetings.clear()
            self.invitees.clear()
            self.tokens_issued = self.creates = 0
            self.log.clear()
            self.counts.clear()
            self.faults.clear()

    # --- error shapes --------------------------------------------------------
    def error_body(self, status, message):
        return {"message": message, "errors": [{"description": message}],
                "trackingId": f"ROUTERGW_{uuid.uuid4()}"}

    def not_found_body(self, req):
        return self.error_body(404, "The requested resource could not be found.")

    def _fail(self, err):
        body = self.error_body(err.status, err.message)
        return err.status, {"TrackingID": body["trackingId"]}, body

    # --- token endpoint ----------------------------------------------------
    def h_token(self, req, fault):
        try:
            form = req.form()
        except (UnicodeDecodeError, ValueError):
            form = {}
        if self.refresh_token is None:         # a fake started with a static token only
            return self._fail(WebexError(400, "POST failed: (invalid_request) this fake has no "
                                              "refresh token configured."))
        if form.get("grant_type") != "refresh_token":
            return self._fail(WebexError(400, "POST failed: (unsupported_grant_type) only "
                                              "grant_type=refresh_token is supported here."))
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return self._fail(WebexError(401, "POST failed: (invalid_client) The client "
                                              "credentials are invalid."))
        if form.get("refresh_token") != self.refresh_token or (fault and fault.kind == "invalid_grant"):
            return self._fail(WebexError(400, "POST failed: (invalid_grant) The refresh token "
                                              "provided is expired, revoked, malformed, or invalid."))
        token = secrets.token_urlsafe(48)
        with self.lock:
            self.tokens[token] = time.time() + self.token_ttl
            self.tokens_issued += 1
        return 200, {}, {"access_token": token, "expires_in": self.token_ttl,
                         "refresh_token": self.refresh_token,
                         "refresh_token_expires_in": 7775999}

    # --- common checks -------------------------------------------------------
    def _authorize(self, req, fault):
        auth = req.headers.get("Authorization") or ""
        token = auth[7:].strip() if auth.startswith("Bearer ") else None
        with self.lock:
            expiry = self.tokens.get(token, 0)
        if expiry <= time.time() or (fault and fault.kind == "expired_token"):
            raise WebexError(401, INVALID_TOKEN)

    def _body(self, req):
        try:
            body = req.json()
        except (UnicodeDecodeError, ValueError):
            body = None
        if not isinstance(body, dict):
            raise WebexError(400, "The request body is not valid JSON.")
        return body

    def _find(self, meeting_id):
        with self.lock:
            m = self.meetings.get(meeting_id)
        if m is None:
            raise WebexError(404, "Meeting not found.")
        return m

    def _view(self, req, meeting):
        """The meeting as this request sees it: times in the `timezone` header's zone."""
        name = req.headers.get("timezone")
        if not name:
            return meeting
        zone = get_zone(name)
        out = dict(meeting)
        for key in ("start", "end"):
            out[key] = fmt(parse_iso(meeting[key], key), zone)
        return out

    # --- validation ------------------------------------------------------------
    def _validate(self, body, current, required):
        """Checked, normalized values of the editable fields in body.
        `current` is the stored meeting for updates (None on create);
        `required` names fields that must be present."""
        for name in required:
            if body.get(name) in (None, ""):
                raise WebexError(400, f"{name} is required.")
        out = {}
        if "title" in body:
            t = body["title"]
            if not isinstance(t, str) or not t.strip() or len(t) > 128:
                raise WebexError(400, "title must be a non-empty string of at most 128 characters.")
            out["title"] = t
        if "agenda" in body:
            a = body["agenda"]
            if a is not None and (not isinstance(a, str) or len(a) > 1300):
                raise WebexError(400, "agenda must be a string of at most 1300 characters.")
            out["agenda"] = a or ""
        if "password" in body and body["password"] is not None:
            p = body["password"]
            if not isinstance(p, str) or not 4 <= len(p) <= 64 or any(c.isspace() for c in p):
                raise WebexError(400, "password does not conform to the site's password rules.")
            out["password"] = p
        for name in BOOL_FIELDS:
            if name in body:
                if not isinstance(body[name], bool):
                    raise WebexError(400, f"{name} must be a boolean.")
                out[name] = body[name]
        self._validate_numbers(body, out)
        zone_name = body.get("timezone", (current or {}).get("timezone", "UTC"))
        zone = get_zone(zone_name)
        out["timezone"] = zone_name
        if "start" in body or "end" in body or current is None:
            out["start"], out["end"] = self._schedule(body, current, zone)
        return out

    def _validate_numbers(self, body, out):
        if "joinBeforeHostMinutes" in body:
            v = body["joinBeforeHostMinutes"]
            if isinstance(v, bool) or v not in JBH_MINUTES:
                raise WebexError(400, "joinBeforeHostMinutes must be one of 0, 5, 10, 15.")
            out["joinBeforeHostMinutes"] = v
        for name in ("reminderTime", "automaticLockMinutes"):
            if name in body:
                v = body[name]
                if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                    raise WebexError(400, f"{name} must be a non-negative integer.")
                out[name] = v
        if "unlockedMeetingJoinSecurity" in body:
            if body["unlockedMeetingJoinSecurity"] not in JOIN_SECURITY:
                raise WebexError(400, "Invalid unlockedMeetingJoinSecurity.")
            out["unlockedMeetingJoinSecurity"] = body["unlockedMeetingJoinSecurity"]
        if "recurrence" in body:
            r = body["recurrence"]
            if r is not None and (not isinstance(r, str) or not r.startswith("FREQ=")):
                raise WebexError(400, "recurrence must be an RFC 2445 RRULE.")
            out["recurrence"] = r

    def _schedule(self, body, current, zone):
        """(start, end) as stored strings, after Webex's minute rounding and rules."""
        if current is None and ("start" not in body or "end" not in body):
            raise WebexError(400, "start and end are required.")
        start = parse_iso(body["start"], "start", zone) if "start" in body \
            else parse_iso(current["start"], "start")
        end = parse_iso(body["end"], "end", zone) if "end" in body else parse_iso(current["end"], "end")
        now_min = dt.datetime.now(UTC).replace(second=0, microsecond=0)
        start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
        if start < now_min:
            raise WebexError(400, "The start time cannot be earlier than the current time.")
        if start == now_min:                   # same minute as now: moved to the next minute
            start += dt.timedelta(minutes=1)
        if end <= start:
            raise WebexError(400, "The end time must be later than the start time.")
        if not MIN_DURATION <= end - start <= MAX_DURATION:
            raise WebexError(400, "The meeting duration must be between 10 minutes and "
                                  "23 hours 59 minutes.")
        if start - now_min >= MAX_AHEAD:
            raise WebexError(400, "A meeting cannot start 10 years or more in the future.")
        return fmt(start, UTC), fmt(end, UTC)

    def _validate_invitees(self, body):
        inv = body.get("invitees", [])
        if not isinstance(inv, list) or len(inv) > 1000:
            raise WebexError(400, "invitees must be an array of at most 1000 items.")
        out = []
        for i in inv:
            if not isinstance(i, dict) or not isinstance(i.get("email"), str) or \
                    not EMAIL_RE.match(i["email"]):
                raise WebexError(400, "Each invitee needs a valid email.")
            name = i.get("displayName", i["email"])
            if not isinstance(name, str) or len(name) > 128:
                raise WebexError(400, "Invitee displayName must be at most 128 characters.")
            if not isinstance(i.get("coHost", False), bool):
                raise WebexError(400, "Invitee coHost must be a boolean.")
            out.append({"email": i["email"], "displayName": name, "coHost": i.get("coHost", False)})
        if "sendEmail" in body and not isinstance(body["sendEmail"], bool):
            raise WebexError(400, "sendEmail must be a boolean.")
        return out

    # --- resource --------------------------------------------------------------
    def _build(self, fields, host_email):
        mid = secrets.token_hex(16)
        number = digits(11)
        prefix = self.site_url.split(".")[0]
        m = {"id": mid, "meetingNumber": number, "title": fields["title"]}
        m.update(DEFAULTS)
        m.update({
            "password": new_password(), "phoneAndVideoSystemPassword": digits(8, False),
            "meetingType": "meetingSeries", "state": "active", "timezone": "UTC",
            "hostUserId": self.host_user_id, "hostDisplayName": self.host_display_name,
            "hostEmail": host_email, "hostKey": digits(6, False), "siteUrl": self.site_url,
            "webLink": f"https://{self.site_url}/{prefix}/j.php?MTID=m{secrets.token_hex(16)}",
            "sipAddress": f"{number}@{self.site_url}", "dialInIpAddress": "192.0.2.68",
            "scheduledType": "meeting",
            "meetingOptions": {"enabledChat": True, "enabledVideo": True},
            "attendeePrivileges": {"enabledShareContent": True},
            "telephony": {
                "accessCode": number,
                "callInNumbers": [{"label": "United States Toll", "callInNumber": "+1-415-555-0100",
                                   "tollType": "toll"}],
                "links": [{"rel": "globalCallinNumbers",
                           "href": f"/v1/meetings/{mid}/globalCallinNumbers", "method": "GET"}]},
        })
        self._apply(m, fields)
        return m

    @staticmethod
    def _apply(meeting, fields):
        if "password" in fields and fields["password"] != meeting["password"]:
            # The numeric password for phones and video systems follows the password.
            meeting["phoneAndVideoSystemPassword"] = digits(8, False)
        meeting.update(fields)
        if meeting.get("recurrence") is None:
            meeting.pop("recurrence", None)   # a non-recurring series has no recurrence field

    # --- handlers ----------------------------------------------------------------
    def h_create(self, req, fault):
        try:
            self._authorize(req, fault)
            body = self._body(req)
            fields = self._validate(body, None, ("title", "start", "end"))
            invitees = self._validate_invitees(body)
            host = body.get("hostEmail", self.host_email)
            if not isinstance(host, str) or not EMAIL_RE.match(host):
                raise WebexError(400, "Invalid hostEmail.")
            meeting = self._build(fields, host)
            view = self._view(req, meeting)
        except WebexError as e:
            return self._fail(e)
        with self.lock:
            self.meetings[meeting["id"]] = meeting
            self.invitees[meeting["id"]] = invitees
            self.creates += 1
        return 200, {}, view

    def h_get(self, req, fault):
        try:
            self._authorize(req, fault)
            return 200, {}, self._view(req, self._find(req.match["id"]))
        except WebexError as e:
            return self._fail(e)

    def h_put(self, req, fault):
        return self._update(req, fault, full=True)

    def h_patch(self, req, fault):
        return self._update(req, fault, full=False)

    def _update(self, req, fault, full):
        try:
            self._authorize(req, fault)
            meeting = self._find(req.match["id"])
            body = self._body(req)
            required = ("title", "password", "start", "end") if full else ()
            fields = self._validate(body, meeting, required)
            if full:
                # PUT replaces every editable field: the absent ones go back to defaults.
                fields = {**DEFAULTS, **fields}
        except WebexError as e:
            return self._fail(e)
        with self.lock:
            self._apply(meeting, fields)
        try:
            return 200, {}, self._view(req, meeting)
        except WebexError as e:
            return self._fail(e)

    def h_delete(self, req, fault):
        try:
            self._authorize(req, fault)
            meeting = self._find(req.match["id"])
        except WebexError as e:
            return self._fail(e)
        with self.lock:
            self.meetings.pop(meeting["id"], None)
            self.invitees.pop(meeting["id"], None)
        return 204, {}, None

    def h_list(self, req, fault):
        try:
            self._authorize(req, fault)
            items, total = self._select(req.query)
            view = [self._view(req, m) for m in items]
        except WebexError as e:
            return self._fail(e)
        headers = {}
        offset = int(req.query.get("cursor") or 0)
        if offset + len(items) < total:
            q = dict(req.query, cursor=str(offset + len(items)))
            headers["Link"] = f'<{self.url}/v1/meetings?{urllib.parse.urlencode(q)}>; rel="next"'
        return 200, headers, {"items": view}

    def _select(self, q):
        """Meetings matching the List Meetings query -> (page, total matches)."""
        kind = q.get("meetingType") or "meetingSeries"
        if kind not in MEETING_TYPES:
            raise WebexError(400, f"Invalid meetingType: '{kind}'.")
        try:
            limit = min(int(q.get("max") or 10), 100)
            offset = int(q.get("cursor") or 0)
        except ValueError:
            raise WebexError(400, "max must be an integer.") from None
        if limit < 1 or offset < 0:
            raise WebexError(400, "max must be between 1 and 100.")
        with self.lock:
            found = sorted(self.meetings.values(), key=lambda m: (m["start"], m["id"]))
        if q.get("meetingNumber") or q.get("webLink"):
            # By number or link: from, to, meetingType and state are ignored.
            found = [m for m in found if m["meetingNumber"] == q.get("meetingNumber")
                     or m["webLink"] == q.get("webLink")]
        else:
            lo, hi = self._range(q)
            found = [m for m in found
                     if parse_iso(m["start"], "start") < hi and parse_iso(m["end"], "end") > lo]
            if q.get("state"):
                found = [m for m in found if m["state"] == q["state"]]
            if kind == "scheduledMeeting":
                found = [self._occurrence(m) for m in found]
            elif kind == "meeting":
                found = []                     # no meeting has ever been started here
        if q.get("hostEmail"):
            found = [m for m in found if m["hostEmail"] == q["hostEmail"]]
        return found[offset:offset + limit], len(found)

    @staticmethod
    def _range(q):
        week = dt.timedelta(days=7)
        lo = parse_iso(q["from"], "from", date_only=True) if q.get("from") else None
        hi = parse_iso(q["to"], "to", date_only=True) if q.get("to") else None
        if lo is None:
            lo = hi - week if hi is not None else dt.datetime.now(UTC)
        if hi is None:
            hi = lo + week
        if lo > hi:
            raise WebexError(400, "from cannot be after to.")
        return lo, hi

    @staticmethod
    def _occurrence(series):
        """The single scheduled meeting of a non-recurring series."""
        occ = dict(series)
        stamp = parse_iso(series["start"], "start").strftime("%Y%m%dT%H%M%SZ")
        occ.update({"id": f"{series['id']}_{stamp}", "meetingSeriesId": series["id"],
                    "meetingType": "scheduledMeeting", "state": "scheduled", "isModified": False})
        return occ


if __name__ == "__main__":
    serve_main(WebexFake)
