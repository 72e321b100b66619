"""Fake of Zoom's OAuth endpoints and Meetings REST API, and a sender of Zoom's
signed webhooks, for meetd's Zoom backend (protocols.md 2.1-2.5).

Public contracts followed (facts only, no code taken from them):
  * developers.zoom.us/docs/internal-apps/s2s-oauth: POST /oauth/token with
    grant_type=account_credentials and account_id (query or form), HTTP Basic
    client authentication, form body; answers {access_token, token_type
    "bearer", expires_in, scope, api_url} and no refresh token. Zoom's page
    now allows several live tokens ("multiple"); the older behaviour, where a
    new token invalidated the previous one (devforum "Randomly receiving
    Invalid access token for Server-to-Server OAuth", SailPoint's Zoom
    connector notes), is token_mode="single".
  * developers.zoom.us/docs/integrations/oauth: GET /oauth/authorize
    (response_type=code, client_id, redirect_uri, state, optional PKCE
    code_challenge) redirects back with code and state; the code lives 5 min
    and is single-use; grant_type=authorization_code needs the same
    redirect_uri; grant_type=refresh_token rotates the refresh token.
    Errors are {"reason", "error"}: a wrong client is 401 invalid_client
    "Invalid client_id or client_secret"; a bad code is invalid_grant
    "Invalid authorization code <code>" (devforum threads); a reused refresh
    token is invalid_grant "Invalid Token!"; "Redirect URI mismatch." (4709)
    and "Unsupported grant type" (4705) are from
    developers.zoom.us/docs/integrations/oauth-error-messages.
  * JWT app (deprecated, deactivated 2023-09-08): Bearer HS256 JWT
    {"iss": API key, "exp"} signed with the API secret.
  * developers.zoom.us/docs/api/meetings: POST /users/{userId}/meetings -> 201
    with the meeting (11-digit numeric id, base64 uuid that may contain '/',
    join_url with pwd=, start_url with zak=, password, h323_password and
    pstn_password (numeric form), encrypted_password, settings incl.
    global_dial_in_numbers); GET /meetings/{id} -> 200 with status;
    PATCH -> 204 (omitted fields unchanged); DELETE -> 204; PUT
    /meetings/{id}/status {"action":"end"} -> 204; GET /users/{userId}/meetings
    pages with page_size (max 300) and next_page_token. A uuid in a path may
    be double URL-encoded. Access tokens only in the Authorization header
    (query access_token refused since 2023-02-14).
  * marketplace.zoom.us/docs/api-reference/error-definitions: errors are
    {"code", "message"}; a bad body is 400 code 300, either "Request Body
    should be a valid JSON object." or "Validation Failed." with
    errors[{field, message}]; 401 code 124 "Invalid access token." (an
    expired one says "Access token is expired."); 404 code 3001 "Meeting does
    not exist: <id>.".
  * developers.zoom.us/docs/api/rate-limits: Create Meeting is Medium; 100
    create/update requests per user per day; the daily 429 carries
    X-RateLimit-Type: Daily-limit and Retry-After as a UTC date-time.
  * developers.zoom.us/docs/api/webhooks: envelope {event, event_ts (ms),
    payload{account_id, object}}, headers x-zm-request-timestamp,
    x-zm-signature = "v0=" + hex(HMAC-SHA256(secret, "v0:{ts}:{raw body}")),
    x-zm-trackingid; endpoint.url_validation's answer is
    {plainToken, encryptedToken = hex(HMAC-SHA256(secret, plainToken))}.

meetd configuration: oauth base = fake.url, api base = fake.url + "/v2".

Route names (for fake.fault / fake.count): token, authorize, create, get,
update, delete, end, list.
Handler-specific faults:
  token:                            "invalid_grant" (400 once; a refresh token
                                    presented with it is revoked)
  create/get/update/delete/end/list: "expired_token" (401 code 124 once)
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import string
import time
import urllib.error
import urllib.parse
import urllib.request
import zoneinfo

if __package__ in (None, ""):                      # run as a script
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from fakes.base import FakeServer, serve_main
else:
    from .base import FakeServer, serve_main

UTC = dt.timezone.utc
WEB = "https://us05web.zoom.us"                    # the host of Zoom's sample URLs
CODE_TTL = 300                                     # authorization codes live 5 minutes
PAGE_MAX = 300
# instant, scheduled, recurring with no fixed time, recurring with a fixed time
MEETING_TYPES = {1, 2, 3, 8}
PASSWORD_RE = re.compile(r"[A-Za-z0-9@\-_*]{1,10}\Z")
# The two start_time forms Zoom documents: UTC with Z, or local time + timezone.
START_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(Z?)\Z")
BOOL_SETTINGS = {
    "host_video", "participant_video", "cn_meeting", "in_meeting", "join_before_host",
    "mute_upon_entry", "watermark", "use_pmi", "enforce_login", "close_registration",
    "show_share_button", "allow_multiple_devices", "registrants_confirmation_email",
    "waiting_room", "registrants_email_notification", "meeting_authentication",
    "focus_mode", "private_meeting", "email_notification", "host_save_video_order",
    "alternative_hosts_email_notification", "device_testing",
}
ENUM_SETTINGS = {
    "jbh_time": {0, 5, 10, 15},
    "approval_type": {0, 1, 2},
    "registration_type": {1, 2, 3},
    "audio": {"both", "telephony", "voip", "thirdParty"},
    "auto_recording": {"local", "cloud", "none"},
    "encryption_type": {"enhanced_encryption", "e2ee"},
}
READ_ONLY_SETTINGS = {"global_dial_in_numbers"}
S2S_SCOPE = ("meeting:read:meeting:admin meeting:write:meeting:admin "
             "meeting:update:meeting:admin meeting:delete:meeting:admin "
             "meeting:read:list_meetings:admin meeting:update:status:admin")
USER_SCOPE = S2S_SCOPE.replace(":admin", "")
DAILY_LIMIT_MESSAGE = ("You have exceeded the daily rate limit ({limit}) of Meeting Create/Update "
                       "API requests permitted for this particular user. You may resume these "
                       "requests at GMT 00:00:00.")
QPS_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."


class ZoomError(Exception):
    """An answer other than success: status, headers and the JSON body."""

    def __init__(self, status, body, headers=None):
        super().__init__(body)
        self.status, self.body, self.headers = status, body, headers or {}

    def answer(self):
        return self.status, self.headers, self.body


def api_error(status, code, message, errors=None):
    body = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return ZoomError(status, body)


def oauth_error(status, error, reason):
    return ZoomError(status, {"reason": reason, "error": error})


INVALID_TOKEN = (401, 124, "Invalid access token.")
EXPIRED_TOKEN = (401, 124, "Access token is expired.")


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def utc_text(when):
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_utc_midnight(now=None):
    now = now or dt.datetime.now(UTC)
    return dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), UTC)


def jwt_shaped(claims):
    """An opaque token shaped like Zoom's (a JWT the client must not parse)."""
    head = b64url(json.dumps({"alg": "HS512", "v": "2.0", "kid": secrets.token_hex(8)}).encode())
    return f"{head}.{b64url(json.dumps(claims).encode())}.{b64url(secrets.token_bytes(64))}"


def numeric_passcode(password):
    """Zoom's numeric form of a passcode (for H.323 and phone): the digits
    themselves, or digits derived from an alphanumeric passcode."""
    if password.isdigit():
        return password
    digest = hashlib.sha256(password.encode()).digest()
    return "".join(str(b % 10) for b in digest[:max(6, len(password))])


def default_settings():
    return {
        "host_video": False, "participant_video": False, "cn_meeting": False,
        "in_meeting": False, "join_before_host": False, "jbh_time": 0,
        "mute_upon_entry": False, "watermark": False, "use_pmi": False,
        "approval_type": 2, "audio": "voip", "auto_recording": "none",
        "enforce_login": False, "enforce_login_domains": "", "alternative_hosts": "",
        "alternative_host_update_polls": False, "close_registration": False,
        "show_share_button": False, "allow_multiple_devices": False,
        "registrants_confirmation_email": True, "waiting_room": False,
        "request_permission_to_unmute_participants": False,
        "global_dial_in_countries": ["US"],
        "global_dial_in_numbers": [
            {"country_name": "US", "city": "New York", "number": "+1 646 555 0100",
             "type": "toll", "country": "US"},
            {"country_name": "US", "city": "San Jose", "number": "+1 669 555 0199",
             "type": "toll", "country": "US"},
        ],
        "registrants_email_notification": True, "meeting_authentication": False,
        "encryption_type": "enhanced_encryption",
        "approved_or_denied_countries_or_regions": {"enable": False},
        "breakout_room": {"enable": False}, "alternative_hosts_email_notification": True,
        "device_testing": False, "focus_mode": False, "private_meeting": False,
        "email_notification": True, "host_save_video_order": False,
    }


# --- body validation (what meetd sends) ------------------------------------------
def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _check_start(value, timezone):
    m = START_RE.match(value) if isinstance(value, str) else None
    if m is None:
        return None
    y, mo, d, h, mi, s, z = m.groups()
    try:
        tz = UTC if z else zoneinfo.ZoneInfo(timezone or "UTC")
        return dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=tz)
    except (ValueError, TypeError, zoneinfo.ZoneInfoNotFoundError):
        return None


def _valid_zone(name):
    try:
        zoneinfo.ZoneInfo(name)
        return True
    except (ValueError, TypeError, zoneinfo.ZoneInfoNotFoundError):
        return False


def _field_errors(body):
    """[(field, message)] for the fields present in a create/update body.
    A JSON null counts as absent (Zoom's deserializer treats it so)."""
    errs = []

    def bad(field, message="Invalid field."):
        errs.append({"field": field, "message": message})

    def has(name):
        return body.get(name) is not None

    if has("topic") and (not isinstance(body["topic"], str) or len(body["topic"]) > 200):
        bad("topic")
    if has("type") and (not _is_int(body["type"]) or body["type"] not in MEETING_TYPES):
        bad("type")
    if has("timezone") and (not isinstance(body["timezone"], str) or not _valid_zone(body["timezone"])):
        bad("timezone")
    if has("start_time") and _check_start(body["start_time"], body.get("timezone")) is None:
        bad("start_time")
    if has("duration") and (not _is_int(body["duration"]) or body["duration"] < 0):
        bad("duration")
    password = body.get("password")
    if password is not None and (not isinstance(password, str) or not PASSWORD_RE.match(password)):
        bad("password", "Password must be 10 characters or less and may only contain the "
                        "following characters: [a-z A-Z 0-9 @ - _ *].")
    if has("agenda") and (not isinstance(body["agenda"], str) or len(body["agenda"]) > 2000):
        bad("agenda")
    if has("schedule_for") and not isinstance(body["schedule_for"], str):
        bad("schedule_for")
    if has("recurrence") and not isinstance(body["recurrence"], dict):
        bad("recurrence")
    if has("settings"):
        errs.extend(_settings_errors(body["settings"]))
    return errs


def _settings_errors(settings):
    if not isinstance(settings, dict):
        return [{"field": "settings", "message": "Invalid field."}]
    errs = []
    for name, value in settings.items():
        if value is None:
            continue
        if name in BOOL_SETTINGS and not isinstance(value, bool):
            errs.append({"field": f"settings.{name}", "message": "Invalid field."})
        elif name in ENUM_SETTINGS and (isinstance(value, bool) or value not in ENUM_SETTINGS[name]):
            errs.append({"field": f"settings.{name}", "message": "Invalid field."})
        elif name == "alternative_hosts" and not isinstance(value, str):
            errs.append({"field": f"settings.{name}", "message": "Invalid field."})
    return errs


class ZoomFake(FakeServer):
    _MEETING = r"(?P<mid>[^/]+)"
    _USER = r"(?P<user>[^/]+)"
    routes = [
        ("POST", r"/oauth/token", "token", "h_token"),
        ("GET", r"/oauth/authorize", "authorize", "h_authorize"),
        ("POST", rf"/v2/users/{_USER}/meetings", "create", "h_create"),
        ("GET", rf"/v2/users/{_USER}/meetings", "list", "h_list"),
        ("GET", rf"/v2/meetings/{_MEETING}", "get", "h_get"),
        ("PATCH", rf"/v2/meetings/{_MEETING}", "update", "h_update"),
        ("DELETE", rf"/v2/meetings/{_MEETING}", "delete", "h_delete"),
        ("PUT", rf"/v2/meetings/{_MEETING}/status", "end", "h_end"),
    ]

    def __init__(self, account_id, client_id, client_secret, webhook_secret=None,
                 token_ttl=3600, token_mode="multiple", jwt_api_key=None,
                 jwt_api_secret=None, redirect_uri=None, daily_create_limit=None):
        super().__init__()
        if token_mode not in ("multiple", "single"):
            raise ValueError("token_mode is 'multiple' or 'single'")
        self.account_id = account_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.webhook_secret = webhook_secret
        self.token_ttl = int(token_ttl)
        self.token_mode = token_mode
        self.jwt_api_key = jwt_api_key
        self.jwt_api_secret = jwt_api_secret
        self.redirect_uri = redirect_uri
        self.daily_create_limit = None if daily_create_limit in (None, "") else int(daily_create_limit)
        self._clear_state()

    def _clear_state(self):
        self.tokens = {}             # access token -> {"exp", "owner", "user"}
        self.refresh_tokens = {}     # refresh token -> {"user", "live"}
        self.codes = {}              # code -> {redirect_uri, exp, user, challenge, method, used}
        self.tokens_issued = 0
        self.meetings = {}           # meeting id (int) -> meeting object as GET answers it
        self.hosts = {}              # meeting id -> host key (the userId it was created under)
        self.deleted = {}            # meeting id -> the object when it was deleted
        self.creates = 0             # meetings actually created
        self.quota = {}              # (host key, UTC date) -> create/update requests counted
        self._pages = {}             # next_page_token -> (host, type, offset)

    # --- test helpers ------------------------------------------------------
    def reset(self):
        """Back to the freshly started state (tests share one server: stopping a
        ThreadingHTTPServer costs its 0.5 s poll interval)."""
        with self.lock:
            self._clear_state()
            self.log.clear()
            self.counts.clear()
            self.faults.clear()

    def expire_tokens(self):
        """Every access token issued so far is now past its lifetime (Zoom then
        answers 401 code 124)."""
        with self.lock:
            for rec in self.tokens.values():
                rec["exp"] = 0

    def issue_code(self, redirect_uri, user_id=None, code_challenge=None, method="S256"):
        """An authorization code as if `user_id` (a new user when None) had
        consented for `redirect_uri`."""
        with self.lock:
            code = secrets.token_urlsafe(24)
            self.codes[code] = {"redirect_uri": redirect_uri, "exp": time.time() + CODE_TTL,
                                "user": user_id or "u" + secrets.token_hex(10),
                                "challenge": code_challenge, "method": method, "used": False}
            return code

    def set_status(self, meeting_id, status):
        """Marks a meeting "waiting", "started" or "finished" (as the host's
        client would); returns the meeting object."""
        with self.lock:
            m = self.meetings[int(meeting_id)]
            m["status"] = status
            return m

    def live_meetings(self, user_id=None):
        with self.lock:
            return [m for mid, m in self.meetings.items()
                    if user_id is None or self.hosts.get(mid) == user_id]

    # --- error shapes ------------------------------------------------------------
    def error_body(self, status, message):
        if status == 429:
            return {"code": 429, "message": QPS_MESSAGE}
        return {"code": status, "message": message}

    # --- OAuth ---------------------------------------------------------------------
    def _check_client(self, req):
        auth = req.headers.get("Authorization") or ""
        ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        ok = False
        if auth[:6].lower() == "basic ":
            try:
                pair = base64.b64decode(auth[6:].strip(), validate=True).decode()
                cid, _, secret = pair.partition(":")
                ok = (hmac.compare_digest(cid.encode(), self.client_id.encode())
                      and hmac.compare_digest(secret.encode(), self.client_secret.encode()))
            except (ValueError, UnicodeDecodeError):
                ok = False
        if not ok or ctype != "application/x-www-form-urlencoded":
            raise oauth_error(401, "invalid_client", "Invalid client_id or client_secret")

    def h_token(self, req, fault):
        try:
            self._check_client(req)
            try:
                params = {**req.query, **req.form()}
            except (UnicodeDecodeError, ValueError):
                params = dict(req.query)
            if fault is not None and fault.kind == "invalid_grant":
                with self.lock:
                    rec = self.refresh_tokens.get(params.get("refresh_token") or "")
                    if rec is not None:
                        rec["live"] = False
                raise oauth_error(400, "invalid_grant", "Invalid Token!")
            grant = params.get("grant_type")
            if not grant:
                raise oauth_error(400, "invalid_request", "Missing grant type")
            grants = {"account_credentials": self._grant_account,
                      "authorization_code": self._grant_code,
                      "refresh_token": self._grant_refresh}
            if grant not in grants:
                raise oauth_error(400, "unsupported_grant_type", "Unsupported grant type")
            return 200, {"Cache-Control": "no-store"}, grants[grant](params)
        except ZoomError as e:
            return e.answer()

    def _grant_account(self, params):
        if params.get("account_id") != self.account_id:
            raise oauth_error(400, "invalid_request", "Invalid account_id")
        return self._issue(("account", self.account_id), None, S2S_SCOPE)

    def _grant_code(self, params):
        code = params.get("code") or ""
        with self.lock:
            rec = self.codes.get(code)
            if rec is None or rec["used"] or rec["exp"] <= time.time():
                raise oauth_error(400, "invalid_grant", f"Invalid authorization code {code}")
            if params.get("redirect_uri") != rec["redirect_uri"]:
                raise oauth_error(400, "invalid_request", "Redirect URI mismatch.")
            if rec["challenge"] is not None and not self._pkce_ok(rec, params.get("code_verifier")):
                raise oauth_error(400, "invalid_request", "Invalid code_verifier.")
            rec["used"] = True                      # single use, even if the answer is lost
            return self._issue(("user", rec["user"]), rec["user"], USER_SCOPE, refresh=True)

    @staticmethod
    def _pkce_ok(rec, verifier):
        if not verifier:
            return False
        if rec["method"] == "plain":
            return hmac.compare_digest(verifier, rec["challenge"])
        want = b64url(hashlib.sha256(verifier.encode()).digest())
        return hmac.compare_digest(want, rec["challenge"])

    def _grant_refresh(self, params):
        presented = params.get("refresh_token") or ""
        with self.lock:
            rec = self.refresh_tokens.get(presented)
            if rec is None or not rec["live"]:
                raise oauth_error(400, "invalid_grant", "Invalid Token!")
            rec["live"] = False                     # rotation: the old one dies now
            return self._issue(("user", rec["user"]), rec["user"], USER_SCOPE, refresh=True)

    def _issue(self, owner, user, scope, refresh=False):
        now = time.time()
        token = jwt_shaped({"aud": "https://oauth.zoom.us", "uid": user or owner[1],
                            "ver": 9, "iss": "zm:cid:" + self.client_id,
                            "exp": int(now) + self.token_ttl, "iat": int(now),
                            "jti": secrets.token_hex(16)})
        with self.lock:
            if self.token_mode == "single":
                for t in [t for t, r in self.tokens.items() if r["owner"] == owner]:
                    del self.tokens[t]
            self.tokens[token] = {"exp": now + self.token_ttl, "owner": owner, "user": user}
            self.tokens_issued += 1
            out = {"access_token": token, "token_type": "bearer", "expires_in": self.token_ttl,
                   "scope": scope, "api_url": self.url}
            if refresh:
                rt = jwt_shaped({"uid": user, "jti": secrets.token_hex(16)})
                self.refresh_tokens[rt] = {"user": user, "live": True}
                out["refresh_token"] = rt
        return out

    def h_authorize(self, req, fault):
        """Stands in for the user's consent: straight back to redirect_uri."""
        q = req.query
        if q.get("response_type") != "code":
            return 400, {}, {"reason": "Unsupported response type", "error": "unsupported_response_type"}
        if q.get("client_id") != self.client_id:
            return 400, {}, {"reason": "Invalid client_id", "error": "invalid_client"}
        redirect = q.get("redirect_uri")
        if not redirect or (self.redirect_uri is not None and redirect != self.redirect_uri):
            return 400, {}, {"reason": "Redirect URI mismatch.", "error": "invalid_request"}
        method = q.get("code_challenge_method") or "plain"
        if q.get("code_challenge") and method not in ("S256", "plain"):
            return 400, {}, {"reason": "Invalid code_challenge_method", "error": "invalid_request"}
        code = self.issue_code(redirect, code_challenge=q.get("code_challenge") or None, method=method)
        back = {"code": code}
        if "state" in q:
            back["state"] = q["state"]
        sep = "&" if urllib.parse.urlsplit(redirect).query else "?"
        return 302, {"Location": redirect + sep + urllib.parse.urlencode(back)}, b""

    # --- REST: authentication --------------------------------------------------------
    def _authorize(self, req, fault):
        """The token record behind the Bearer header, or ZoomError 401 code 124."""
        if fault is not None and fault.kind == "expired_token":
            raise api_error(*EXPIRED_TOKEN)
        auth = req.headers.get("Authorization") or ""
        if auth[:7].lower() != "bearer " or not auth[7:].strip():
            raise api_error(*INVALID_TOKEN)      # a query access_token is never looked at
        token = auth[7:].strip()
        with self.lock:
            rec = self.tokens.get(token)
        if rec is None:
            return self._jwt_app(token)
        if rec["exp"] <= time.time():
            raise api_error(*EXPIRED_TOKEN)
        return rec

    def _jwt_app(self, token):
        """A legacy JWT app's HS256 token, when this fake has such an app."""
        if not self.jwt_api_key or not self.jwt_api_secret or token.count(".") != 2:
            raise api_error(*INVALID_TOKEN)
        head, body, sig = token.split(".")
        try:
            header = json.loads(b64url_decode(head))
            claims = json.loads(b64url_decode(body))
            given = b64url_decode(sig)
        except (ValueError, UnicodeDecodeError):
            raise api_error(*INVALID_TOKEN) from None
        want = hmac.new(self.jwt_api_secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
        if not isinstance(header, dict) or header.get("alg") != "HS256" or \
                not hmac.compare_digest(given, want) or not isinstance(claims, dict) or \
                claims.get("iss") != self.jwt_api_key:
            raise api_error(*INVALID_TOKEN)
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp <= time.time():
            raise api_error(*EXPIRED_TOKEN)
        return {"exp": exp, "owner": ("jwt", self.jwt_api_key), "user": None}

    # --- REST: helpers --------------------------------------------------------------------
    @staticmethod
    def _host_key(user_id, token):
        """'me' is the token's user (or the account's owner for S2S/JWT)."""
        user_id = urllib.parse.unquote(user_id)
        if user_id == "me":
            return token.get("user") or "me"
        return user_id

    @staticmethod
    def _json_body(req):
        ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        try:
            body = req.json()
        except (UnicodeDecodeError, ValueError):
            body = None
        if ctype != "application/json" or not isinstance(body, dict):
            raise api_error(400, 300, "Request Body should be a valid JSON object.")
        errs = _field_errors(body)
        if errs:
            raise api_error(400, 300, "Validation Failed.", errs)
        return body

    def _find(self, raw_id):
        """The meeting for a path segment: a numeric id, or a uuid (possibly
        double URL-encoded); ZoomError 404 code 3001 otherwise."""
        with self.lock:
            if raw_id.isdigit():
                m = self.meetings.get(int(raw_id))
            else:
                uuid_ = urllib.parse.unquote(urllib.parse.unquote(raw_id))
                m = next((x for x in self.meetings.values() if x["uuid"] == uuid_), None)
        if m is None:
            raise api_error(404, 3001, f"Meeting does not exist: {urllib.parse.unquote(raw_id)}.")
        return m

    def _count_quota(self, host):
        """Counts one create/update for `host`, or raises the daily-limit 429."""
        if self.daily_create_limit is None:
            return
        now = dt.datetime.now(UTC)
        key = (host, now.date())
        with self.lock:
            used = self.quota.get(key, 0)
            if used >= self.daily_create_limit:
                err = api_error(429, 429, DAILY_LIMIT_MESSAGE.format(limit=self.daily_create_limit))
                err.headers = {"X-RateLimit-Category": "Medium", "X-RateLimit-Type": "Daily-limit",
                               "X-RateLimit-Limit": str(self.daily_create_limit),
                               "X-RateLimit-Remaining": "0",
                               "Retry-After": utc_text(next_utc_midnight(now))}
                raise err
            self.quota[key] = used + 1

    def _refund_quota(self, host):
        key = (host, dt.datetime.now(UTC).date())
        with self.lock:
            if self.quota.get(key):
                self.quota[key] -= 1

    # --- REST: meeting objects -----------------------------------------------------------
    def _new_id(self):
        while True:
            mid = secrets.randbelow(9 * 10 ** 10) + 10 ** 10          # 11 digits
            if mid not in self.meetings and mid not in self.deleted:
                return mid

    def _new_uuid(self):
        # Every second uuid has a '/', every fourth starts with one, so that
        # meetd's double URL-encoding of uuids in paths is exercised.
        want_slash, want_lead = self.creates % 2 == 1, self.creates % 4 == 3
        while True:
            u = base64.b64encode(secrets.token_bytes(16)).decode()
            if ("/" in u) == want_slash and (not want_lead or u.startswith("/")):
                return u

    @staticmethod
    def _new_password():
        alphabet = string.ascii_lowercase + string.digits
        return "".join(secrets.choice(alphabet) for _ in range(6))

    def _set_password(self, m, password):
        m["password"] = password
        m["h323_password"] = m["pstn_password"] = numeric_passcode(password)
        m["encrypted_password"] = b64url(secrets.token_bytes(24)) + ".1"
        m["join_url"] = f"{WEB}/j/{m['id']}?pwd={m['encrypted_password']}"

    def _apply(self, m, body):
        """Writes the present fields of a validated body into meeting m."""
        for name in ("topic", "type", "duration", "timezone", "agenda", "schedule_for", "recurrence"):
            if body.get(name) is not None:
                m[name] = body[name]
        if body.get("start_time") is not None:
            m["start_time"] = utc_text(_check_start(body["start_time"], m.get("timezone")))
        if body.get("password") is not None:
            self._set_password(m, body["password"])
        for name, value in (body.get("settings") or {}).items():
            if name not in READ_ONLY_SETTINGS and value is not None:
                m["settings"][name] = value
        if m.get("type") == 3:
            m.pop("start_time", None)               # recurring with no fixed time has none
        elif "start_time" not in m:
            m["start_time"] = utc_text(dt.datetime.now(UTC))

    def _build(self, host, body):
        now = dt.datetime.now(UTC)
        mid = self._new_id()
        zak = jwt_shaped({"sk": secrets.token_hex(8), "mnum": str(mid)})
        m = {
            "uuid": self._new_uuid(), "id": mid,
            "host_id": b64url(hashlib.sha256(host.encode()).digest())[:22],
            "host_email": host if "@" in host else f"{host}@example.com",
            "topic": "Zoom Meeting", "type": 2, "status": "waiting",
            "duration": 60, "timezone": "UTC", "agenda": "",
            "created_at": utc_text(now),
            "start_url": f"{WEB}/s/{mid}?zak={zak}",
            "settings": default_settings(), "pre_schedule": False,
        }
        self._set_password(m, self._new_password())
        self._apply(m, body)
        return m

    # --- REST: handlers -------------------------------------------------------------------
    def h_create(self, req, fault):
        try:
            token = self._authorize(req, fault)
            host = self._host_key(req.match["user"], token)
            self._count_quota(host)
            try:
                body = self._json_body(req)
            except ZoomError:
                self._refund_quota(host)            # a refused body is not a create
                raise
        except ZoomError as e:
            return e.answer()
        with self.lock:
            m = self._build(host, body)
            self.meetings[m["id"]] = m
            self.hosts[m["id"]] = host
            self.creates += 1
            return 201, {}, json.loads(json.dumps(m))

    def h_get(self, req, fault):
        try:
            self._authorize(req, fault)
            m = self._find(req.match["mid"])
        except ZoomError as e:
            return e.answer()
        with self.lock:
            return 200, {}, json.loads(json.dumps(m))

    def h_update(self, req, fault):
        try:
            self._authorize(req, fault)
            m = self._find(req.match["mid"])
            host = self.hosts.get(m["id"], "me")
            self._count_quota(host)
            try:
                body = self._json_body(req)
            except ZoomError:
                self._refund_quota(host)
                raise
        except ZoomError as e:
            return e.answer()
        with self.lock:
            self._apply(m, body)
        return 204, {}, b""

    def h_delete(self, req, fault):
        try:
            self._authorize(req, fault)
            for name in ("schedule_for_reminder", "cancel_meeting_reminder"):
                if req.query.get(name) not in (None, "true", "false"):
                    raise api_error(400, 300, f"Invalid field: {name}.")
            m = self._find(req.match["mid"])
        except ZoomError as e:
            return e.answer()
        with self.lock:
            self.meetings.pop(m["id"], None)
            self.hosts.pop(m["id"], None)
            self.deleted[m["id"]] = m
        return 204, {}, b""

    def h_end(self, req, fault):
        try:
            self._authorize(req, fault)
            m = self._find(req.match["mid"])
            try:
                body = req.json()
            except (UnicodeDecodeError, ValueError):
                body = None
            if not isinstance(body, dict):
                raise api_error(400, 300, "Request Body should be a valid JSON object.")
            if body.get("action") not in ("end", "recover"):
                raise api_error(400, 300, "Validation Failed.",
                                [{"field": "action", "message": "Invalid field."}])
        except ZoomError as e:
            return e.answer()
        if body["action"] == "end":
            with self.lock:
                m["status"] = "finished"
        return 204, {}, b""

    def h_list(self, req, fault):
        try:
            token = self._authorize(req, fault)
            host = self._host_key(req.match["user"], token)
            size, kind, offset = self._page_params(req.query, host)
        except ZoomError as e:
            return e.answer()
        with self.lock:
            mine = [m for mid, m in self.meetings.items()
                    if self.hosts.get(mid) == host and self._listed(m, kind)]
            page = mine[offset:offset + size]
            token_out = ""
            if offset + size < len(mine):
                token_out = secrets.token_urlsafe(24)
                self._pages[token_out] = (host, kind, offset + size)
            return 200, {}, {"page_size": size, "total_records": len(mine),
                             "next_page_token": token_out,
                             "meetings": [self._list_item(m) for m in page]}

    def _page_params(self, q, host):
        try:
            size = int(q.get("page_size") or 30)
        except ValueError:
            raise api_error(400, 300, "Validation Failed.",
                            [{"field": "page_size", "message": "Invalid field."}]) from None
        size = max(1, min(size, PAGE_MAX))
        kind = q.get("type") or "scheduled"
        if kind not in ("scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings"):
            raise api_error(400, 300, "Validation Failed.",
                            [{"field": "type", "message": "Invalid field."}])
        offset = 0
        if q.get("next_page_token"):
            with self.lock:
                page = self._pages.get(q["next_page_token"])
            if page is None or page[0] != host or page[1] != kind:
                raise api_error(400, 300, "Invalid next_page_token.")
            offset = page[2]
        return size, kind, offset

    @staticmethod
    def _listed(m, kind):
        if kind == "live":
            return m["status"] == "started"
        if kind in ("upcoming", "upcoming_meetings"):
            return m.get("start_time", "") >= utc_text(dt.datetime.now(UTC))
        if kind == "previous_meetings":
            return m["status"] == "finished"
        return True

    @staticmethod
    def _list_item(m):
        keys = ("uuid", "id", "host_id", "topic", "type", "start_time", "duration",
                "timezone", "agenda", "created_at", "join_url")
        return {k: m[k] for k in keys if k in m}


# --- webhooks ----------------------------------------------------------------------------
USER_AGENT = "Zoom Marketplace/1.0a"
DEFAULT_ACCOUNT_ID = "fakeZoomAccount0000001"


def webhook_signature(secret, ts, raw_body):
    """x-zm-signature: "v0=" + hex(HMAC-SHA256(secret, "v0:{ts}:{raw body}"))."""
    message = b"v0:" + str(ts).encode() + b":" + raw_body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def expected_encrypted_token(secret, plain):
    """The encryptedToken an endpoint.url_validation answer must carry."""
    return hmac.new(secret.encode(), plain.encode(), hashlib.sha256).hexdigest()


def _post(url, raw, headers, timeout):
    req = urllib.request.Request(url, data=raw, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:         # 4xx/5xx are answers, not failures
        return e.code, e.headers, e.read()


def _signed_post(url, raw, secret, ts, sign, bad_signature, extra_headers, timeout):
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               "x-zm-request-timestamp": str(ts),
               "x-zm-trackingid": "v=2.0;clid=aw1;rid=WEBHOOK_" + secrets.token_hex(16)}
    if sign:
        # a wrong key gives a well-formed signature that must not verify
        key = secret + "-wrong" if bad_signature else secret
        headers["x-zm-signature"] = webhook_signature(key, ts, raw)
    headers.update(extra_headers or {})
    return _post(url, raw, headers, timeout)


def send_webhook(url, event, obj, secret, ts=None, sign=True, bad_signature=False,
                 extra_headers=None, body_override=None, account_id=DEFAULT_ACCOUNT_ID,
                 download_token=None, timeout=10):
    """POSTs Zoom's envelope for `event` with `obj` as payload.object, signed
    as Zoom signs it; returns (status, headers, body bytes). body_override
    (bytes) replaces the serialized envelope (and is what gets signed)."""
    ts = int(time.time()) if ts is None else ts
    if body_override is not None:
        raw = body_override if isinstance(body_override, bytes) else body_override.encode()
    else:
        envelope = {"event": event, "payload": {"account_id": account_id, "object": obj},
                    "event_ts": int(ts) * 1000 + secrets.randbelow(1000)}
        if event == "recording.completed":
            envelope["download_token"] = download_token or jwt_shaped({"dt": secrets.token_hex(8)})
        raw = json.dumps(envelope, separators=(",", ":")).encode()
    return _signed_post(url, raw, secret, ts, sign, bad_signature, extra_headers, timeout)


def url_validation(url, secret, plain_token, sign=True, ts=None, bad_signature=False, timeout=10):
    """Zoom's endpoint.url_validation request (signed like every event since
    the validation is not exempt); returns (status, headers, body bytes)."""
    ts = int(time.time()) if ts is None else ts
    raw = json.dumps({"payload": {"plainToken": plain_token},
                      "event_ts": int(ts) * 1000, "event": "endpoint.url_validation"},
                     separators=(",", ":")).encode()
    return _signed_post(url, raw, secret, ts, sign, bad_signature, None, timeout)


# --- payload objects (protocols.md 2.5) ------------------------------------------------------
def _base_object(meeting, id_as_string=False):
    """The fields every meeting event shares, from a meeting object (as in
    fake.meetings) or a bare id."""
    if not isinstance(meeting, dict):
        meeting = {"id": int(meeting), "uuid": base64.b64encode(secrets.token_bytes(16)).decode()}
    obj = {
        "id": meeting["id"],
        "uuid": meeting.get("uuid"),
        "host_id": meeting.get("host_id", b64url(secrets.token_bytes(16))[:22]),
        "topic": meeting.get("topic", "Zoom Meeting"),
        "type": meeting.get("type", 2),
        "start_time": meeting.get("start_time", utc_text(dt.datetime.now(UTC))),
        "timezone": meeting.get("timezone", "UTC"),
        "duration": meeting.get("duration", 60),
    }
    obj["id"] = str(obj["id"]) if id_as_string else int(obj["id"])
    return obj


def meeting_started(meeting, start_time=None, id_as_string=False):
    obj = _base_object(meeting, id_as_string)
    if start_time:
        obj["start_time"] = start_time
    return obj


def meeting_ended(meeting, end_time=None, id_as_string=False):
    obj = _base_object(meeting, id_as_string)
    obj["end_time"] = end_time or utc_text(dt.datetime.now(UTC))
    return obj


def participant(user_name="Guest", email="", user_id=None, join_time=None):
    """A participant{} block; reuse it for joined and left of the same person."""
    pid = user_id or str(16778240 + secrets.randbelow(10 ** 6))
    return {"user_id": pid, "user_name": user_name, "id": b64url(secrets.token_bytes(16))[:22],
            "participant_uuid": b64url(secrets.token_bytes(16))[:22],
            "join_time": join_time or utc_text(dt.datetime.now(UTC)), "email": email,
            "registrant_id": "", "participant_user_id": "", "customer_key": "",
            "phone_number": ""}


def participant_joined(meeting, who=None, id_as_string=False):
    obj = _base_object(meeting, id_as_string)
    obj["participant"] = dict(who or participant())
    return obj


def participant_left(meeting, who=None, leave_time=None, leave_reason="left the meeting.",
                     id_as_string=False):
    obj = _base_object(meeting, id_as_string)
    p = dict(who or participant())
    p["leave_time"] = leave_time or utc_text(dt.datetime.now(UTC))
    p["leave_reason"] = leave_reason
    obj["participant"] = p
    return obj


_EXTENSIONS = {"MP4": "MP4", "M4A": "M4A", "CHAT": "TXT", "TRANSCRIPT": "VTT", "CC": "VTT",
               "TIMELINE": "JSON"}
_RECORDING_TYPES = {"MP4": "shared_screen_with_speaker_view", "M4A": "audio_only",
                    "CHAT": "chat_file", "TRANSCRIPT": "audio_transcript", "CC": "closed_caption",
                    "TIMELINE": "timeline"}


def recording_completed(meeting, file_types=("MP4", "M4A"), account_id=DEFAULT_ACCOUNT_ID,
                        host_email="host@example.com", id_as_string=False):
    obj = _base_object(meeting, id_as_string)
    start = dt.datetime.now(UTC) - dt.timedelta(minutes=30)
    files = []
    for kind in file_types:
        fid = secrets.token_hex(16)
        files.append({
            "id": fid, "meeting_id": obj["uuid"], "recording_start": utc_text(start),
            "recording_end": utc_text(start + dt.timedelta(minutes=29)),
            "file_type": kind, "file_extension": _EXTENSIONS.get(kind, kind),
            "file_size": 1000 + secrets.randbelow(10 ** 7),
            "play_url": f"{WEB}/rec/play/{fid}",
            "download_url": f"{WEB}/rec/download/{fid}",
            "status": "completed", "recording_type": _RECORDING_TYPES.get(kind, "shared_screen"),
        })
    obj.update({"account_id": account_id, "host_email": host_email,
                "total_size": sum(f["file_size"] for f in files),
                "recording_count": len(files), "share_url": f"{WEB}/rec/share/{secrets.token_hex(12)}",
                "password": "", "recording_files": files})
    return obj


if __name__ == "__main__":
    serve_main(ZoomFake)
