/*
 * stmt.c — the statement table. `retry_safe` marks statements whose repeat
 * cannot change the outcome (reads, and writes that are idempotent by key);
 * only those are re-sent after a connection is lost mid-call.
 */
#include "stmt.h"

const struct stmt_def stmt_defs[STMT__MAX] = {
	[STMT_PING] = { "SELECT 1", true },
	[STMT_MIGRATION_COUNT] = {
		"SELECT COUNT(*), COALESCE(MAX(version), 0) FROM schema_migrations", true },
	[STMT_USER_INSERT] = {
		"INSERT INTO users (id, email, password_hash, display_name, role, created_at, updated_at) "
		"VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))", false },
	[STMT_USER_BY_EMAIL] = {
		"SELECT id, email, password_hash, display_name, role, "
		"DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ') FROM users WHERE email = ?", true },
	[STMT_USER_BY_ID] = {
		"SELECT id, email, display_name, role, "
		"DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ') FROM users WHERE id = ?", true },
	[STMT_APIKEY_INSERT] = {
		"INSERT INTO api_keys (id, user_id, prefix, secret_hash, name, created_at) "
		"VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(3))", false },
	[STMT_APIKEY_BY_PREFIX] = {
		"SELECT k.id, k.user_id, k.secret_hash, u.role FROM api_keys k "
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
};
