/*
 * stmt.c — the statement table. `retry_safe` marks statements whose repeat
 * cannot change the outcome (reads, and writes that are idempotent by key);
 * only those are re-sent after a connection is lost mid-call.
 */
#include "store/stmt.h"

#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"
#define NOW_MS "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)"
/* GCRA on a row of rate_limits whose VALUES carry (now + step, step,
 * window); `allowed` is assigned first so the tat assignment sees the
 * decision (assignments run left to right). */
#define GCRA_UPDATE \
	"ON DUPLICATE KEY UPDATE " \
	"allowed = (GREATEST(tat, VALUE(tat) - VALUE(step_ms)) + VALUE(step_ms) " \
	"  - (VALUE(tat) - VALUE(step_ms)) <= VALUE(window_ms)), " \
	"tat = IF(allowed, GREATEST(tat, VALUE(tat) - VALUE(step_ms)) + VALUE(step_ms), tat), " \
	"step_ms = VALUE(step_ms), window_ms = VALUE(window_ms) "
/* The meeting projection, in the order of enum meeting_col (stmt.h). */
#define MEETING_COLS \
	"m.id, m.event_id, m.organizer_id, m.platform, m.platform_meeting_id, m.meeting_url, " \
	"m.code, m.passcode_box, m.invite_box, m.dial_in_number, m.dial_in_password_box, " \
	"m.host_key_box, m.title, m.description, " ISO("m.scheduled_for") ", " \
	"LEFT(DATE_FORMAT(m.scheduled_for, '%Y-%m-%d %H:%i:%s.%f'), 23), m.duration_minutes, m.timezone, " \
	"m.participant_limit, m.require_password, m.waiting_room, m.status, " ISO("m.started_at") ", " \
	ISO("m.ended_at") ", " ISO("m.cancelled_at") ", " ISO("m.created_at") ", " \
	ISO("m.updated_at") ", m.version, mm.role, " \
	"TIMESTAMPDIFF(SECOND, m.started_at, COALESCE(m.ended_at, UTC_TIMESTAMP(3))), " \
	"m.host_url_box, m.remote_status, TIMESTAMPDIFF(SECOND, m.remote_checked_at, UTC_TIMESTAMP(3)), " \
	"m.recording_url, m.remote_account, m.allow_guests, m.locked, m.waiting_room_everyone, " \
	"m.mute_on_entry, m.disable_camera, m.screen_share_permissions, m.chat_permissions, " \
	"m.recording_permissions, m.allowed_domains, m.open_participants"

/* The user projection read by users.c (enum user_col there): keep the two
 * in the same order. An account without a login address shows the first
 * email an identity provider gave, with that provider's verification. */
#define USER_FIRST_CLAIM(col) \
	"(SELECT i." col " FROM user_identities i WHERE i.user_id = u.id AND i.email IS NOT NULL " \
	"ORDER BY i.created_at LIMIT 1)"
#define USER_COLS \
	"u.id, u.kind, COALESCE(u.email, " USER_FIRST_CLAIM("email") "), " \
	"IF(u.email IS NULL, COALESCE(" USER_FIRST_CLAIM("email_verified") ", 0), 0), " \
	"u.display_name, u.role, u.time_zone, u.language, u.guest_meeting_id, " \
	ISO("u.created_at") ", " ISO("u.disabled_at") ", " ISO("u.deleted_at") ", " \
	"u.password_hash IS NOT NULL"

const struct stmt_def stmt_defs[STMT__MAX] = {
	[STMT_PING] = { "SELECT 1", true },
	/* run once per connection (db.c): database.lock_wait_timeout */
	[STMT_SESSION_LOCK_WAIT] = { "SET SESSION innodb_lock_wait_timeout = ?", true },
	[STMT_MIGRATION_COUNT] = {
		"SELECT COUNT(*), COALESCE(MAX(version), 0) FROM schema_migrations", true },
	[STMT_USER_INSERT] = {
		"INSERT INTO users (id, email, password_hash, display_name, role, created_at, updated_at) "
		"VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))", false },
	[STMT_USER_BY_EMAIL] = {
		"SELECT id, email, password_hash, display_name, role, "
		"DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'), disabled_at IS NOT NULL "
		"FROM users WHERE email = ?", true },
	[STMT_USER_BY_ID] = {
		/* email: the login address, else the first identity's claim */
		"SELECT u.id, COALESCE(u.email, (SELECT i.email FROM user_identities i "
		"WHERE i.user_id = u.id AND i.email IS NOT NULL ORDER BY i.created_at LIMIT 1)), "
		"u.display_name, u.role, DATE_FORMAT(u.created_at, '%Y-%m-%dT%H:%i:%sZ'), "
		"u.password_hash IS NOT NULL, u.kind FROM users u WHERE u.id = ?", true },
	[STMT_APIKEY_INSERT] = {
		"INSERT INTO api_keys (id, user_id, prefix, secret_hash, name, created_at) "
		"VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(3))", false },
	[STMT_APIKEY_BY_PREFIX] = {
		"SELECT k.id, k.user_id, k.secret_hash, u.role, u.disabled_at IS NOT NULL FROM api_keys k "
		"JOIN users u ON u.id = k.user_id WHERE k.prefix = ? AND k.revoked_at IS NULL", true },
	[STMT_APIKEY_TOUCH] = {
		"UPDATE api_keys SET last_used_at = UTC_TIMESTAMP(3) WHERE id = ? "
		"AND (last_used_at IS NULL OR last_used_at < UTC_TIMESTAMP(3) - INTERVAL 60 SECOND)", true },
	[STMT_APIKEY_LIST] = {
		"SELECT id, prefix, name, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'), "
		"DATE_FORMAT(last_used_at, '%Y-%m-%dT%H:%i:%sZ') FROM api_keys "
		"WHERE user_id = ? AND revoked_at IS NULL ORDER BY id LIMIT 100", true },
	[STMT_APIKEY_REVOKE] = {
		"UPDATE api_keys SET revoked_at = UTC_TIMESTAMP(3) WHERE id = ? AND user_id = ? "
		"AND revoked_at IS NULL", true },
	[STMT_IDENTITY_USER] = {
		/* the one user lookup of an authenticated request: who, and whether
		 * they may still act (disabled, signed out everywhere) */
		"SELECT u.id, u.role, u.kind, u.guest_meeting_id, u.disabled_at IS NOT NULL, "
		"u.tokens_valid_after, COALESCE(u.email, i.email), IF(u.email IS NULL, i.email_verified, 0), "
		"u.display_name, u.time_zone, u.language, " ISO("u.created_at") ", u.password_hash IS NOT NULL "
		"FROM user_identities i JOIN users u ON u.id = i.user_id "
		"WHERE i.issuer = ? AND i.subject = ?", true },
	[STMT_IDENTITY_NEW_USER] = {
		"INSERT INTO users (id, kind, guest_meeting_id, display_name, role, created_at, updated_at) "
		"VALUES (?, ?, ?, ?, 'user', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))", false },
	[STMT_IDENTITY_INSERT] = {
		"INSERT INTO user_identities (issuer, subject, user_id, email, email_verified, created_at) "
		"VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(3))", false },
	[STMT_USERS_GET] = {
		"SELECT " USER_COLS " FROM users u WHERE u.id = ?", true },
	[STMT_USERS_LIST] = {
		"SELECT " USER_COLS " FROM users u WHERE u.id > ? ORDER BY u.id LIMIT ?", true },
	[STMT_USERS_UPDATE_PROFILE] = {
		"UPDATE users SET display_name = IF(?, ?, display_name), time_zone = IF(?, ?, time_zone), "
		"language = IF(?, ?, language), updated_at = UTC_TIMESTAMP(3) "
		"WHERE id = ? AND deleted_at IS NULL", true },
	[STMT_USERS_SET_DISABLED] = {
		"UPDATE users SET disabled_at = IF(?, COALESCE(disabled_at, UTC_TIMESTAMP(3)), NULL), "
		"updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND deleted_at IS NULL", true },
	[STMT_USERS_SIGN_OUT] = {
		"UPDATE users SET tokens_valid_after = GREATEST(tokens_valid_after, ?), "
		"updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND deleted_at IS NULL", true },
	[STMT_USERS_ERASE] = {
		"UPDATE users SET email = NULL, password_hash = NULL, display_name = '', time_zone = NULL, "
		"language = NULL, disabled_at = COALESCE(disabled_at, UTC_TIMESTAMP(3)), "
		"deleted_at = UTC_TIMESTAMP(3), tokens_valid_after = GREATEST(tokens_valid_after, ?), "
		"updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND deleted_at IS NULL", false },
	[STMT_USERS_FORGET_CLAIMS] = {
		"UPDATE user_identities SET email = NULL, email_verified = 0 WHERE user_id = ?", true },
	[STMT_USERS_REVOKE_KEYS] = {
		"UPDATE api_keys SET revoked_at = UTC_TIMESTAMP(3) WHERE user_id = ? AND revoked_at IS NULL", true },
	[STMT_USERS_DROP_ZOOM] = {
		"DELETE FROM zoom_connections WHERE user_id = ?", true },
	[STMT_USERS_DROP_GRANTS] = {
		"DELETE FROM provider_tokens WHERE provider = 'zoom_user' AND account = ?", true },
	[STMT_LIMIT_TAKE] = {
		/* GCRA in one statement */
		"INSERT INTO rate_limits (k, tat, step_ms, window_ms, allowed) "
		"VALUES (?, " NOW_MS " + ?, ?, ?, 1) " GCRA_UPDATE
		"RETURNING allowed, tat, " NOW_MS, false },
	[STMT_LIMIT_TAKE2] = {
		/* two buckets, one statement (a create's category and platform) */
		"INSERT INTO rate_limits (k, tat, step_ms, window_ms, allowed) "
		"VALUES (?, " NOW_MS " + ?, ?, ?, 1), (?, " NOW_MS " + ?, ?, ?, 1) " GCRA_UPDATE
		"RETURNING k, allowed, tat, " NOW_MS, false },
	[STMT_IDENTITY_TAKE] = {
		/* authenticate and limit in one round trip: the caller's bucket,
		 * keyed by their user id, found through their identity; the row
		 * carries their account back (schema 007) */
		"INSERT INTO rate_limits (k, tat, step_ms, window_ms, allowed, user_id, role, kind, "
		"guest_meeting_id, disabled, tokens_valid_after) "
		"SELECT CONCAT('u:', u.id, ':', ?), " NOW_MS " + ?, ?, ?, 1, u.id, u.role, u.kind, "
		"u.guest_meeting_id, u.disabled_at IS NOT NULL, u.tokens_valid_after "
		"FROM user_identities i JOIN users u ON u.id = i.user_id WHERE i.issuer = ? AND i.subject = ? "
		GCRA_UPDATE ", "
		"user_id = VALUE(user_id), role = VALUE(role), kind = VALUE(kind), "
		"guest_meeting_id = VALUE(guest_meeting_id), disabled = VALUE(disabled), "
		"tokens_valid_after = VALUE(tokens_valid_after) "
		"RETURNING user_id, role, kind, guest_meeting_id, disabled, tokens_valid_after, allowed, tat, "
		NOW_MS, false },
	[STMT_LIMIT_PURGE] = {
		"DELETE FROM rate_limits WHERE tat < " NOW_MS " - 1000 LIMIT 5000", true },
	[STMT_ATTEMPT_TAKE_PAIR] = {
		/* the meeting's and the address's counters in one statement; a
		 * window that has passed starts again at this attempt */
		"INSERT INTO attempt_counters (k, window_start, window_ms, failures, admitted) "
		"VALUES (?, " NOW_MS ", ?, 1, 1), (?, " NOW_MS ", ?, 1, 1) ON DUPLICATE KEY UPDATE "
		"admitted = (window_start + window_ms <= VALUE(window_start) OR failures < ?), "
		"failures = IF(window_start + window_ms <= VALUE(window_start), 1, "
		"  IF(admitted, failures + 1, failures)), "
		"window_start = IF(window_start + window_ms <= VALUE(window_start), VALUE(window_start), window_start), "
		"window_ms = VALUE(window_ms) "
		"RETURNING k, admitted, window_start + window_ms - " NOW_MS, false },
	[STMT_ATTEMPT_REFUND] = {
		"UPDATE attempt_counters SET failures = failures - 1 WHERE k = ? AND failures > 0", false },
	[STMT_ATTEMPT_REFUND_PAIR] = {
		"UPDATE attempt_counters SET failures = failures - 1 WHERE k IN (?, ?) AND failures > 0", false },
	[STMT_ATTEMPT_PURGE] = {
		"DELETE FROM attempt_counters WHERE window_start + window_ms < " NOW_MS " LIMIT 5000", true },
	[STMT_IDEM_CLAIM] = {
		"INSERT INTO idempotency_keys (user_id, idem_key, request_hash, state, created_at, expires_at) "
		"VALUES (?, ?, ?, 'running', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) + INTERVAL 24 HOUR)", false },
	[STMT_IDEM_GET] = {
		"SELECT request_hash, state, http_status, response, "
		"expires_at < UTC_TIMESTAMP(3), created_at < UTC_TIMESTAMP(3) - INTERVAL ? SECOND "
		"FROM idempotency_keys WHERE user_id = ? AND idem_key = ?", true },
	[STMT_IDEM_TAKEOVER] = {
		/* an expired key, or a claim whose request died, starts afresh */
		"UPDATE idempotency_keys SET request_hash = ?, state = 'running', http_status = NULL, "
		"response = NULL, created_at = UTC_TIMESTAMP(3), expires_at = UTC_TIMESTAMP(3) + INTERVAL 24 HOUR "
		"WHERE user_id = ? AND idem_key = ? AND (expires_at < UTC_TIMESTAMP(3) OR "
		"(state = 'running' AND request_hash = ? AND created_at < UTC_TIMESTAMP(3) - INTERVAL ? SECOND))", false },
	[STMT_IDEM_FINISH] = {
		"UPDATE idempotency_keys SET state = 'done', http_status = ?, response = ? "
		"WHERE user_id = ? AND idem_key = ? AND state = 'running'", true },
	[STMT_IDEM_ABANDON] = {
		"DELETE FROM idempotency_keys WHERE user_id = ? AND idem_key = ? AND state = 'running'", true },
	[STMT_IDEM_PURGE] = {
		"DELETE FROM idempotency_keys WHERE expires_at < UTC_TIMESTAMP(3) LIMIT 5000", true },
	[STMT_AUDIT_INSERT] = {
		"INSERT INTO audit_log (meeting_id, actor_id, action, client_addr, request_id, details, created_at) "
		"VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3))", false },
	[STMT_AUDIT_LIST] = {
		"SELECT id, action, actor_id, client_addr, request_id, details, " ISO("created_at") " "
		"FROM audit_log WHERE meeting_id = ? AND id < ? ORDER BY id DESC LIMIT ?", true },
	[STMT_OUTBOX_INSERT] = {
		/* not a real-time event: nothing for nchan to take */
		"INSERT INTO outbox_events (id, type, meeting_id, payload, created_at, realtime_at) "
		"VALUES (?, ?, ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))", false },
	[STMT_MEETING_INSERT] = {
		"INSERT INTO meetings (id, event_id, organizer_id, platform, meeting_url, code, passcode_box, "
		"invite_hash, invite_box, title, description, scheduled_for, duration_minutes, timezone, "
		"participant_limit, require_password, waiting_room, status, created_at, updated_at) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?)", false },
	[STMT_MEETING_GET] = {
		"SELECT " MEETING_COLS " FROM meetings m LEFT JOIN meeting_members mm "
		"ON mm.meeting_id = m.id AND mm.user_id = ? WHERE m.id = ?", true },
	[STMT_MEETING_GET_LOCKED] = {
		"SELECT " MEETING_COLS " FROM meetings m LEFT JOIN meeting_members mm "
		"ON mm.meeting_id = m.id AND mm.user_id = ? WHERE m.id = ? FOR UPDATE", false },
	[STMT_MEETING_STATUS] = {
		/* what a status read needs, and the attendance, in one narrow read
		 * (status's one round trip besides authentication) */
		"SELECT m.id, m.platform, m.platform_meeting_id, m.status, " ISO("m.started_at") ", "
		ISO("m.ended_at") ", mm.role, m.remote_status, "
		"TIMESTAMPDIFF(SECOND, m.remote_checked_at, UTC_TIMESTAMP(3)), m.remote_account, "
		ISO("m.scheduled_for") ", m.duration_minutes, "
		"(SELECT COUNT(DISTINCT p.user_id) FROM meeting_participants p WHERE p.meeting_id = m.id), "
		"(SELECT COUNT(*) FROM meeting_participants p WHERE p.meeting_id = m.id AND p.active = 1) "
		"FROM meetings m LEFT JOIN meeting_members mm "
		"ON mm.meeting_id = m.id AND mm.user_id = ? WHERE m.id = ?", true },
	[STMT_MEETING_WITH_SESSION] = {
		/* a member's open session, with the meeting's state, in one read
		 * (a repeat join answers from it without a transaction) */
		"SELECT m.status, p.id, p.role, p.is_muted, p.is_video_enabled, " ISO("p.joined_at") " "
		"FROM meetings m JOIN meeting_members mm ON mm.meeting_id = m.id AND mm.user_id = ? "
		"JOIN meeting_participants p ON p.meeting_id = m.id AND p.user_id = mm.user_id "
		"AND p.active = 1 WHERE m.id = ?", true },
	[STMT_MEETING_LIST] = {
		/* keyset: rows after (cursor time, cursor id), within [from, to) */
		"SELECT " MEETING_COLS " FROM meeting_members mm JOIN meetings m ON m.id = mm.meeting_id "
		"WHERE mm.user_id = ? AND mm.scheduled_for >= ? AND mm.scheduled_for < ? "
		"AND (mm.scheduled_for > ? OR (mm.scheduled_for = ? AND mm.meeting_id > ?)) "
		"AND (? IS NULL OR m.status = ?) AND (? IS NULL OR m.platform = ?) "
		"AND (? IS NULL OR mm.role = ?) "
		"ORDER BY mm.scheduled_for, mm.meeting_id LIMIT ?", true },
	[STMT_MEETING_BY_CODE] = {
		"SELECT id FROM meetings WHERE code = ?", true },
	[STMT_MEETING_BY_INVITE] = {
		"SELECT m.id, m.code, m.title, m.passcode_box, m.organizer_id, u.display_name, "
		ISO("m.scheduled_for") ", m.duration_minutes, m.timezone, m.status, " ISO("m.created_at") " "
		"FROM meetings m JOIN users u ON u.id = m.organizer_id WHERE m.invite_hash = ?", true },
	[STMT_MEETING_UPDATE] = {
		"UPDATE meetings SET title = ?, description = ?, scheduled_for = ?, duration_minutes = ?, "
		"timezone = ?, participant_limit = ?, require_password = ?, waiting_room = ?, "
		"version = version + 1, updated_at = UTC_TIMESTAMP(3) WHERE id = ?", false },
	/* the time is the caller's when it also answers with it (one clock
	 * reading for both), else the database's */
	[STMT_MEETING_START] = {
		"UPDATE meetings SET status = 'started', started_at = COALESCE(?, UTC_TIMESTAMP(3)), started_by = ?, "
		"version = version + 1, updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND status = 'scheduled'", false },
	[STMT_MEETING_END] = {
		"UPDATE meetings SET status = 'ended', ended_at = COALESCE(?, UTC_TIMESTAMP(3)), ended_by = ?, "
		"version = version + 1, updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND status = 'started'", false },
	[STMT_MEETING_CANCEL] = {
		"UPDATE meetings SET status = 'cancelled', cancelled_at = COALESCE(?, UTC_TIMESTAMP(3)), "
		"version = version + 1, updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND status = 'scheduled'", false },
	[STMT_MEETING_SET_PASSCODE] = {
		"UPDATE meetings SET passcode_box = ?, version = version + 1, updated_at = UTC_TIMESTAMP(3) "
		"WHERE id = ?", false },
	[STMT_MEETING_SET_INVITE] = {
		"UPDATE meetings SET invite_hash = ?, invite_box = ?, version = version + 1, "
		"updated_at = UTC_TIMESTAMP(3) WHERE id = ?", false },
	[STMT_MEMBER_SET] = {
		"INSERT INTO meeting_members (meeting_id, user_id, role, scheduled_for, created_at) "
		"SELECT id, ?, ?, scheduled_for, UTC_TIMESTAMP(3) FROM meetings WHERE id = ? "
		"ON DUPLICATE KEY UPDATE role = VALUE(role)", false },
	[STMT_MEMBER_ADD_GUEST] = {
		"INSERT INTO meeting_members (meeting_id, user_id, role, scheduled_for, created_at) "
		"SELECT id, ?, 'guest', scheduled_for, UTC_TIMESTAMP(3) FROM meetings WHERE id = ? "
		"ON DUPLICATE KEY UPDATE role = role", true },
	[STMT_MEMBER_DELETE] = {
		"DELETE FROM meeting_members WHERE meeting_id = ? AND user_id = ? AND role <> 'organizer'", true },
	[STMT_MEMBER_ROLE] = {
		"SELECT role FROM meeting_members WHERE meeting_id = ? AND user_id = ?", true },
	[STMT_MEMBERS_RESCHEDULE] = {
		"UPDATE meeting_members SET scheduled_for = ? WHERE meeting_id = ?", true },
	[STMT_PART_OPEN_GET] = {
		"SELECT id, role, is_muted, is_video_enabled, " ISO("joined_at") ", "
		"TIMESTAMPDIFF(SECOND, joined_at, UTC_TIMESTAMP(3)) FROM meeting_participants "
		"WHERE meeting_id = ? AND user_id = ? AND active = 1", true },
	[STMT_PART_INSERT] = {
		"INSERT INTO meeting_participants (id, meeting_id, user_id, role, active, connection_id, "
		"device_type, is_muted, is_video_enabled, joined_at) "
		"VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?)", false },
	[STMT_MEETING_SEAT_TAKE] = {
		"UPDATE meetings SET open_participants = open_participants + 1 WHERE id = ?", false },
	[STMT_PART_LEAVE] = {
		/* the session and the meeting's count of open ones, together */
		"UPDATE meeting_participants p JOIN meetings m ON m.id = p.meeting_id "
		"SET p.active = NULL, p.left_at = UTC_TIMESTAMP(3), "
		"m.open_participants = GREATEST(m.open_participants, 1) - 1 "
		"WHERE p.meeting_id = ? AND p.user_id = ? AND p.active = 1", false },
	[STMT_PART_CLOSE_ALL] = {
		"UPDATE meeting_participants p JOIN meetings m ON m.id = p.meeting_id "
		"SET p.active = NULL, p.left_at = UTC_TIMESTAMP(3), m.open_participants = 0 "
		"WHERE p.meeting_id = ? AND p.active = 1", true },
	[STMT_PART_LIST] = {
		"SELECT p.id, p.user_id, u.display_name, p.role, p.is_muted, p.is_video_enabled, "
		"p.is_screen_sharing, p.is_hand_raised, " ISO("p.joined_at") ", p.device_type "
		"FROM meeting_participants p JOIN users u ON u.id = p.user_id "
		"WHERE p.meeting_id = ? AND p.active = 1 ORDER BY p.joined_at, p.id LIMIT 1000", true },
	[STMT_PART_STATS] = {
		"SELECT COUNT(DISTINCT user_id), COALESCE(SUM(active = 1), 0) FROM meeting_participants "
		"WHERE meeting_id = ?", true },
	/* providers: oauth_cache.c */
	[STMT_TOKEN_GET] = {
		"SELECT access_box, refresh_box, expires_at > UTC_TIMESTAMP(3) + INTERVAL ? SECOND "
		"FROM provider_tokens WHERE provider = ? AND account = ?", true },
	[STMT_TOKEN_PUT] = {
		"INSERT INTO provider_tokens (provider, account, access_box, refresh_box, expires_at, updated_at) "
		"VALUES (?, ?, ?, ?, UTC_TIMESTAMP(3) + INTERVAL ? SECOND, UTC_TIMESTAMP(3)) "
		"ON DUPLICATE KEY UPDATE access_box = VALUES(access_box), "
		"refresh_box = COALESCE(VALUES(refresh_box), refresh_box), "
		"expires_at = VALUES(expires_at), updated_at = VALUES(updated_at)", true },
	[STMT_TOKEN_EXPIRE] = {
		"UPDATE provider_tokens SET expires_at = '1970-01-01 00:00:01' WHERE provider = ? AND account = ?", true },
	[STMT_TOKEN_DELETE] = {
		"DELETE FROM provider_tokens WHERE provider = ? AND account = ?", true },
	[STMT_LOCK_GET] = {
		"SELECT GET_LOCK(?, ?)", false },
	[STMT_LOCK_RELEASE] = {
		"SELECT RELEASE_LOCK(?)", false },
	/* providers: provisioning (meetings.c) */
	[STMT_PROVISION_BEGIN] = {
		"INSERT INTO provisions (meeting_id, platform, organizer_id, state, attempts, created_at, updated_at) "
		"VALUES (?, ?, ?, 'pending', 1, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))", true },
	[STMT_PROVISION_STATE] = {
		"UPDATE provisions SET state = ?, remote_id = COALESCE(?, remote_id), last_error = ?, "
		"updated_at = UTC_TIMESTAMP(3) WHERE meeting_id = ?", true },
	[STMT_MEETING_SET_REMOTE] = {
		"UPDATE meetings SET platform_meeting_id = ?, remote_uuid = ?, remote_account = ?, host_url_box = ?, "
		"dial_in_number = ?, dial_in_password_box = ?, host_key_box = ?, remote_status = ?, "
		"remote_checked_at = UTC_TIMESTAMP(3) WHERE id = ?", true },
	[STMT_MEETING_REMOTE_STATUS] = {
		"UPDATE meetings SET remote_status = ?, remote_checked_at = UTC_TIMESTAMP(3) WHERE id = ?", true },
	[STMT_JOB_INSERT] = {
		"INSERT INTO jobs (kind, payload, state, run_at, created_at) "
		"VALUES (?, ?, 'queued', UTC_TIMESTAMP(3) + INTERVAL ? SECOND, UTC_TIMESTAMP(3))", false },
	/* the next due job, or one whose worker's lease ran out; another
	 * worker's claimed row is skipped, not waited for */
	[STMT_JOB_CLAIM] = {
		"SELECT id, kind, payload, attempts FROM jobs "
		"WHERE (state = 'queued' AND run_at <= UTC_TIMESTAMP(3)) "
		"OR (state = 'running' AND locked_until < UTC_TIMESTAMP(3)) "
		"ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED", false },
	[STMT_JOB_TAKE] = {
		"UPDATE jobs SET state = 'running', attempts = attempts + 1, "
		"locked_until = UTC_TIMESTAMP(3) + INTERVAL ? SECOND WHERE id = ?", false },
	[STMT_JOB_DONE] = {
		"UPDATE jobs SET state = 'done', locked_until = NULL, last_error = NULL, "
		"run_at = UTC_TIMESTAMP(3) WHERE id = ?", true },
	[STMT_JOB_RETRY] = {
		"UPDATE jobs SET state = ?, run_at = UTC_TIMESTAMP(3) + INTERVAL ? SECOND, locked_until = NULL, "
		"last_error = LEFT(?, 255) WHERE id = ?", true },
	/* done jobs are kept a week for inspection; dead ones until removed */
	[STMT_JOB_PURGE] = {
		"DELETE FROM jobs WHERE state = 'done' AND run_at < UTC_TIMESTAMP(3) - INTERVAL 7 DAY "
		"LIMIT 1000", true },
	/* webhook digests outlive every platform's redelivery window */
	[STMT_WEBHOOK_DELIVERY_PURGE] = {
		"DELETE FROM webhook_deliveries WHERE received_at < UTC_TIMESTAMP(3) - INTERVAL 30 DAY "
		"LIMIT 1000", true },
	/* zoom (provider, faces 000/002, webhooks) */
	[STMT_ZOOM_MEETING_BY_REMOTE] = {
		"SELECT id FROM meetings WHERE platform = 'zoom' AND platform_meeting_id = ? "
		"ORDER BY created_at DESC LIMIT 1", true },
	[STMT_ZOOM_PARTICIPANTS_OPEN] = {
		"SELECT COUNT(*) FROM remote_participants WHERE meeting_id = ? AND joined_at IS NOT NULL "
		"AND (left_at IS NULL OR joined_at > left_at)", true },
	[STMT_ZOOM_DELIVERY_INSERT] = {
		"INSERT INTO webhook_deliveries (provider, digest, event, received_at) "
		"VALUES ('zoom', ?, ?, UTC_TIMESTAMP(3))", false },
	[STMT_ZOOM_MEETING_LOCK] = {
		"SELECT id, status FROM meetings WHERE platform = 'zoom' AND platform_meeting_id = ? "
		"ORDER BY created_at DESC LIMIT 1 FOR UPDATE", true },
	/* deliveries come in any order: keep the latest join and the latest leave */
	[STMT_ZOOM_PART_JOINED] = {
		"INSERT INTO remote_participants (meeting_id, participant_key, display_name, joined_at) "
		"VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
		"display_name = COALESCE(VALUES(display_name), display_name), "
		"joined_at = GREATEST(COALESCE(joined_at, VALUES(joined_at)), VALUES(joined_at))", false },
	[STMT_ZOOM_PART_LEFT] = {
		"INSERT INTO remote_participants (meeting_id, participant_key, display_name, left_at) "
		"VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
		"display_name = COALESCE(VALUES(display_name), display_name), "
		"left_at = GREATEST(COALESCE(left_at, VALUES(left_at)), VALUES(left_at))", false },
	[STMT_ZOOM_RECORDING_PUT] = {
		"INSERT INTO recordings (meeting_id, remote_id, file_type, file_size, play_url, download_url, "
		"recording_start, recording_end, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3)) "
		"ON DUPLICATE KEY UPDATE file_type = VALUES(file_type), file_size = VALUES(file_size), "
		"play_url = VALUES(play_url), download_url = VALUES(download_url), "
		"recording_start = VALUES(recording_start), recording_end = VALUES(recording_end)", false },
	[STMT_ZOOM_RECORDING_URL] = {
		"UPDATE meetings SET recording_url = ? WHERE id = ?", true },
	[STMT_ZOOM_CONNECTION_PUT] = {
		"INSERT INTO zoom_connections (user_id, status, scope, created_at, updated_at) "
		"VALUES (?, 'active', ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3)) ON DUPLICATE KEY UPDATE "
		"status = 'active', scope = VALUES(scope), updated_at = UTC_TIMESTAMP(3)", true },
	[STMT_ZOOM_CONNECTION_REAUTH] = {
		"UPDATE zoom_connections SET status = 'needs_reauth', updated_at = UTC_TIMESTAMP(3) "
		"WHERE user_id = ?", true },
	[STMT_ZOOM_CONNECTION_GET] = {
		"SELECT status FROM zoom_connections WHERE user_id = ?", true },
	/* 002's list: the meetings on one user's own Zoom account, by start */
	[STMT_ZOOM_USER_MEETINGS] = {
		"SELECT " MEETING_COLS " FROM meetings m LEFT JOIN meeting_members mm "
		"ON mm.meeting_id = m.id AND mm.user_id = ? WHERE m.remote_account = ? AND m.platform = 'zoom' "
		"AND m.scheduled_for >= ? AND m.scheduled_for < ? AND (? IS NULL OR m.status = ?) "
		"ORDER BY m.scheduled_for, m.id LIMIT ?", true },
	/* google */
	/* teams and webex */
	/* webhooks (003) and room tokens */
	[STMT_WEBHOOK_CLAIM] = {
		/* 0 rows: this delivery was applied before */
		"INSERT IGNORE INTO webhook_deliveries (provider, digest, event, received_at) "
		"VALUES (?, ?, ?, UTC_TIMESTAMP(3))", false },
	[STMT_WEBHOOK_MEETING_BY_ID] = {
		"SELECT id, status FROM meetings WHERE id = ? AND platform = ? FOR UPDATE", false },
	[STMT_WEBHOOK_MEETING_BY_REMOTE] = {
		"SELECT id, status FROM meetings WHERE platform = ? AND platform_meeting_id = ? "
		"ORDER BY created_at DESC LIMIT 1 FOR UPDATE", false },
	[STMT_WEBHOOK_MEETING_START] = {
		"UPDATE meetings SET status = 'started', started_at = ?, remote_status = 'started', "
		"remote_checked_at = UTC_TIMESTAMP(3), version = version + 1, updated_at = UTC_TIMESTAMP(3) "
		"WHERE id = ? AND status = 'scheduled'", false },
	[STMT_WEBHOOK_MEETING_END] = {
		/* a missed meeting.started still ends it; never before it began */
		"UPDATE meetings SET status = 'ended', ended_at = GREATEST(?, COALESCE(started_at, ?)), "
		"remote_status = 'ended', remote_checked_at = UTC_TIMESTAMP(3), version = version + 1, "
		"updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND status IN ('scheduled', 'started')", false },
	[STMT_REMOTE_PART_JOINED] = {
		/* deliveries are unordered: each time only moves forward */
		"INSERT INTO remote_participants (meeting_id, participant_key, display_name, joined_at) "
		"VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
		"display_name = COALESCE(VALUE(display_name), display_name), "
		"joined_at = GREATEST(COALESCE(joined_at, VALUE(joined_at)), VALUE(joined_at))", true },
	[STMT_REMOTE_PART_LEFT] = {
		"INSERT INTO remote_participants (meeting_id, participant_key, display_name, left_at) "
		"VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
		"display_name = COALESCE(VALUE(display_name), display_name), "
		"left_at = GREATEST(COALESCE(left_at, VALUE(left_at)), VALUE(left_at))", true },
	[STMT_REMOTE_PART_CLOSE_ALL] = {
		"UPDATE remote_participants SET left_at = GREATEST(?, joined_at) WHERE meeting_id = ? "
		"AND joined_at IS NOT NULL AND (left_at IS NULL OR left_at < joined_at)", true },
	/* key rotation */
	[STMT_REKEY_MEETINGS_SCAN] = {
		"SELECT id, passcode_box, invite_box, dial_in_password_box, host_key_box, host_url_box "
		"FROM meetings WHERE id > ? ORDER BY id LIMIT 500", true },
	[STMT_REKEY_MEETINGS_SET] = {
		/* compare-and-set: a box changed meanwhile is left for the next run */
		"UPDATE meetings SET passcode_box = ?, invite_box = ?, dial_in_password_box = ?, "
		"host_key_box = ?, host_url_box = ? WHERE id = ? AND passcode_box <=> ? AND invite_box <=> ? "
		"AND dial_in_password_box <=> ? AND host_key_box <=> ? AND host_url_box <=> ?", true },
	[STMT_REKEY_TOKENS_SCAN] = {
		"SELECT provider, account, access_box, refresh_box FROM provider_tokens "
		"WHERE (provider, account) > (?, ?) ORDER BY provider, account LIMIT 500", true },
	[STMT_REKEY_TOKENS_SET] = {
		"UPDATE provider_tokens SET access_box = ?, refresh_box = ? WHERE provider = ? AND account = ? "
		"AND access_box <=> ? AND refresh_box <=> ?", true },
	[STMT_REKEY_IDEM_SCAN] = {
		"SELECT user_id, idem_key, response FROM idempotency_keys "
		"WHERE (user_id, idem_key) > (?, ?) ORDER BY user_id, idem_key LIMIT 500", true },
	[STMT_REKEY_IDEM_SET] = {
		"UPDATE idempotency_keys SET response = ? WHERE user_id = ? AND idem_key = ? AND response <=> ?", true },
	/* identity providers' key sets */
	[STMT_JWKS_ALL] = {
		"SELECT idp, url, jwks FROM jwks_sets WHERE jwks IS NOT NULL ORDER BY idp LIMIT 64", true },
	[STMT_JWKS_GOOD] = {
		"INSERT INTO jwks_sets (idp, url, jwks, fetched_at, failures) VALUES (?, ?, ?, UTC_TIMESTAMP(3), 0) "
		"ON DUPLICATE KEY UPDATE url = VALUE(url), jwks = VALUE(jwks), fetched_at = VALUE(fetched_at), "
		"failures = 0, last_error = NULL", true },
	[STMT_JWKS_FAILED] = {
		/* the set is kept unless it came from another URL */
		"INSERT INTO jwks_sets (idp, url, failed_at, failures, last_error) VALUES (?, ?, UTC_TIMESTAMP(3), 1, ?) "
		"ON DUPLICATE KEY UPDATE jwks = IF(url = VALUE(url), jwks, NULL), "
		"fetched_at = IF(url = VALUE(url), fetched_at, NULL), url = VALUE(url), "
		"failed_at = VALUE(failed_at), failures = failures + 1, last_error = VALUE(last_error)", false },
	/* real time (schema 008). A channel's next number: the upsert leaves it
	 * in LAST_INSERT_ID(), which the outbox insert that follows reads. */
	[STMT_OUTBOX_INSERT_RT] = {
		"INSERT INTO outbox_events (id, type, meeting_id, channel_user, channel_seq, payload, "
		"rt_message, created_at) VALUES (?, ?, ?, ?, LAST_INSERT_ID(), ?, ?, UTC_TIMESTAMP(3))", false },
	[STMT_RT_SEQ_NEXT] = {
		"INSERT INTO realtime_channels (meeting_id, user_id, last_seq) VALUES (?, ?, LAST_INSERT_ID(1)) "
		"ON DUPLICATE KEY UPDATE last_seq = LAST_INSERT_ID(last_seq + 1)", false },
	[STMT_OUTBOX_RT_GET] = {
		"SELECT seq, meeting_id, channel_user, channel_seq, rt_message FROM outbox_events "
		"WHERE id = ? AND realtime_at IS NULL", true },
	[STMT_OUTBOX_RT_DONE] = {
		/* a MEMORY row: no durable commit per event (schema 008) */
		"INSERT IGNORE INTO outbox_published (seq) VALUES (?)", true },
	[STMT_OUTBOX_RT_FOLD] = {
		"UPDATE outbox_events o JOIN outbox_published p ON p.seq = o.seq "
		"SET o.realtime_at = UTC_TIMESTAMP(3) WHERE o.realtime_at IS NULL", true },
	[STMT_OUTBOX_RT_FOLD_CLEAN] = {
		"DELETE p FROM outbox_published p JOIN outbox_events o ON o.seq = p.seq "
		"WHERE o.realtime_at IS NOT NULL", true },
	[STMT_OUTBOX_RT_PENDING] = {
		/* older than the responders' own attempt, in commit order */
		"SELECT o.seq, o.meeting_id, o.channel_user, o.channel_seq, o.rt_message FROM outbox_events o "
		"WHERE o.realtime_at IS NULL AND o.created_at < UTC_TIMESTAMP(3) - INTERVAL ? SECOND "
		"AND NOT EXISTS (SELECT 1 FROM outbox_published p WHERE p.seq = o.seq) "
		"ORDER BY o.seq LIMIT ?", true },
	[STMT_OUTBOX_PURGE] = {
		/* past the resume window and taken by every consumer */
		"DELETE FROM outbox_events WHERE created_at < UTC_TIMESTAMP(3) - INTERVAL ? SECOND "
		"AND realtime_at IS NOT NULL ORDER BY created_at LIMIT 1000", true },
	[STMT_RT_EVENTS_AFTER] = {
		"SELECT channel_seq, rt_message FROM outbox_events WHERE meeting_id = ? AND channel_user = ? "
		"AND channel_seq > ? ORDER BY channel_seq LIMIT ?", true },
	[STMT_RT_LAST_SEQ] = {
		"SELECT user_id, last_seq FROM realtime_channels WHERE meeting_id = ? AND user_id IN ('', ?)", true },
	[STMT_RT_TICKET_INSERT] = {
		"INSERT INTO realtime_tickets (ticket_hash, user_id, meeting_id, expires_at) "
		"VALUES (?, ?, ?, UTC_TIMESTAMP(3) + INTERVAL ? SECOND)", false },
	[STMT_RT_TICKET_TAKE] = {
		/* spent by the one statement that reads it: a second use finds nothing */
		"DELETE FROM realtime_tickets WHERE ticket_hash = ? "
		"RETURNING user_id, meeting_id, expires_at > UTC_TIMESTAMP(3)", false },
	[STMT_RT_TICKET_PURGE] = {
		"DELETE FROM realtime_tickets WHERE expires_at < UTC_TIMESTAMP(3) - INTERVAL 1 MINUTE LIMIT 1000", true },
	[STMT_RT_CONNECT] = {
		/* assignments run left to right: away_since sees the new count */
		"INSERT INTO realtime_channels (meeting_id, user_id, connections) VALUES (?, ?, 1), (?, '', 1) "
		"ON DUPLICATE KEY UPDATE connections = connections + 1, "
		"away_since = IF(connections > 0, NULL, away_since)", false },
	[STMT_RT_DISCONNECT] = {
		/* an unsubscribe may overtake its own subscribe: it counts anyway */
		"INSERT INTO realtime_channels (meeting_id, user_id, connections, away_since) "
		"VALUES (?, ?, -1, UTC_TIMESTAMP(3)), (?, '', -1, NULL) "
		"ON DUPLICATE KEY UPDATE connections = connections - 1, "
		"away_since = IF(connections <= 0 AND user_id <> '', COALESCE(away_since, UTC_TIMESTAMP(3)), "
		"away_since)", false },
	[STMT_RT_AWAY_DUE] = {
		"SELECT meeting_id, user_id FROM realtime_channels "
		"WHERE away_since < UTC_TIMESTAMP(3) - INTERVAL ? SECOND ORDER BY away_since LIMIT ?", true },
	[STMT_RT_AWAY_CLAIM] = {
		"UPDATE realtime_channels SET away_since = NULL WHERE meeting_id = ? AND user_id = ? "
		"AND connections <= 0 AND away_since < UTC_TIMESTAMP(3) - INTERVAL ? SECOND", false },
	[STMT_RT_LIVE_MEETINGS] = {
		"SELECT meeting_id, connections FROM realtime_channels WHERE user_id = '' AND connections > 0 "
		"AND meeting_id > ? ORDER BY meeting_id LIMIT ?", true },
	[STMT_RT_LIVE_PARTICIPANTS] = {
		"SELECT user_id, connections FROM realtime_channels WHERE meeting_id = ? AND user_id <> '' "
		"AND connections > 0", true },
	[STMT_RT_SET_CONNECTIONS] = {
		"UPDATE realtime_channels SET connections = ?, "
		"away_since = IF(connections <= 0 AND user_id <> '', COALESCE(away_since, UTC_TIMESTAMP(3)), NULL) "
		"WHERE meeting_id = ? AND user_id = ?", true },
	/* participants' controls, waiting room, policy (schema 009) */
	[STMT_POLICY_UPDATE] = {
		"UPDATE meetings SET participant_limit = ?, require_password = ?, waiting_room = ?, "
		"allow_guests = ?, locked = ?, waiting_room_everyone = ?, mute_on_entry = ?, disable_camera = ?, "
		"screen_share_permissions = ?, chat_permissions = ?, recording_permissions = ?, "
		"allowed_domains = ?, version = version + 1, updated_at = UTC_TIMESTAMP(3) WHERE id = ?", true },
	[STMT_EXCL_BLOCKED_LIST] = {
		"SELECT user_id FROM meeting_exclusions WHERE meeting_id = ? AND kind = 'blocked' "
		"ORDER BY user_id LIMIT 1001", true },
	[STMT_EXCL_BLOCKED_CLEAR] = {
		"DELETE FROM meeting_exclusions WHERE meeting_id = ? AND kind = 'blocked'", true },
	[STMT_EXCL_ADD] = {
		"INSERT INTO meeting_exclusions (meeting_id, user_id, kind, created_by, created_at) "
		"VALUES (?, ?, ?, ?, UTC_TIMESTAMP(3)) ON DUPLICATE KEY UPDATE created_by = VALUE(created_by)", true },
	[STMT_EXCL_DELETE] = {
		"DELETE FROM meeting_exclusions WHERE meeting_id = ? AND user_id = ? AND kind = ?", true },
	[STMT_ADMISSION_STATE] = {
		/* what stands between a person and a meeting, in one read */
		"SELECT (SELECT GROUP_CONCAT(kind ORDER BY kind) FROM meeting_exclusions "
		"WHERE meeting_id = ? AND user_id = ?), "
		"(SELECT status FROM waiting_room WHERE meeting_id = ? AND user_id = ?)", true },
	[STMT_PART_STATUS_LOCK] = {
		"SELECT id, is_muted, is_video_enabled, is_screen_sharing, is_hand_raised FROM meeting_participants "
		"WHERE meeting_id = ? AND user_id = ? AND active = 1 FOR UPDATE", false },
	[STMT_PART_STATUS_SET] = {
		"UPDATE meeting_participants SET is_muted = ?, is_video_enabled = ?, is_screen_sharing = ?, "
		"is_hand_raised = ? WHERE id = ?", true },
	[STMT_WAIT_KNOCK] = {
		/* a denied person knocking again goes to the end of the queue;
		 * anyone else keeps their place (assignments run left to right) */
		"INSERT INTO waiting_room (meeting_id, user_id, status, knocked_at) "
		"VALUES (?, ?, 'waiting', UTC_TIMESTAMP(3)) ON DUPLICATE KEY UPDATE "
		"knocked_at = IF(status = 'denied', VALUE(knocked_at), knocked_at), "
		"decided_at = IF(status = 'denied', NULL, decided_at), "
		"status = IF(status = 'denied', 'waiting', status)", false },
	[STMT_WAIT_POSITION] = {
		"SELECT me.status, (SELECT COUNT(*) FROM waiting_room w WHERE w.meeting_id = me.meeting_id "
		"AND w.status = 'waiting' AND (w.knocked_at < me.knocked_at OR "
		"(w.knocked_at = me.knocked_at AND w.id <= me.id))) "
		"FROM waiting_room me WHERE me.meeting_id = ? AND me.user_id = ?", true },
	[STMT_WAIT_LIST] = {
		"SELECT w.user_id, u.display_name, " ISO("w.knocked_at") " FROM waiting_room w "
		"JOIN users u ON u.id = w.user_id WHERE w.meeting_id = ? AND w.status = 'waiting' "
		"ORDER BY w.knocked_at, w.id LIMIT 1000", true },
	[STMT_WAIT_DECIDE] = {
		"UPDATE waiting_room SET status = ?, decided_at = UTC_TIMESTAMP(3), decided_by = ? "
		"WHERE meeting_id = ? AND user_id = ? AND status = 'waiting'", true },
	[STMT_MEETING_HOSTS] = {
		"SELECT user_id FROM meeting_members WHERE meeting_id = ? AND role IN ('organizer', 'co_host') "
		"LIMIT 100", true },
};
