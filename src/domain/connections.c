/*
 * connections.c — a user's own platform accounts; see connections.h. The
 * OAuth protocol is src/platforms/zoom/oauth.c's.
 */
#include "domain/connections.h"
#include "platforms/zoom.h"

enum err
connections_zoom_authorize(struct ctx *c, const char **url)
{
	return zoom_oauth_authorize_url(c, url);
}

enum err
connections_zoom_finish(struct ctx *c, const char *code, const char *state)
{
	return zoom_oauth_finish(c, code, state);
}

enum err
connections_zoom_check(struct ctx *c)
{
	return zoom_user_connected(c);
}
