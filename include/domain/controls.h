/*
 * controls.h — what participants change of themselves in a meeting
 * (001's PUT /api/v1/meetings/{id}/participants/status: mute, video,
 * screen sharing, hand) and what hosts do to others (mute, stop video or
 * screen share, lower a hand, remove, let a removed person back). Every
 * change is an event on the meeting's real-time channel.
 *
 * On meetings of other platforms meetd keeps its own participant list, but
 * the media are the platform's: host actions on them answer NOT_SUPPORTED.
 */
#ifndef MEETD_CONTROLS_H
#define MEETD_CONTROLS_H

#include <stdbool.h>

#include "core/context.h"
#include "core/error.h"

struct participant_status {
	bool is_muted, is_video_enabled, is_screen_sharing, is_hand_raised, is_in_waiting_room;
};

/* Only what is set changes. is_in_waiting_room may be sent (001's clients
 * send the whole object) but not changed: the hosts decide it. */
struct status_change {
	bool set_muted, muted;
	bool set_video, video;
	bool set_screen, screen;
	bool set_hand, hand;
	bool set_waiting, waiting;
};

/* The caller's own status in meeting_id (an open session needed). */
enum err participants_set_status(struct ctx *c, const char *meeting_id, const struct status_change *ch,
    struct participant_status *out);

enum host_action {
	HA_MUTE, HA_STOP_VIDEO, HA_STOP_SCREEN_SHARE, HA_LOWER_HAND, HA_REMOVE, HA_ALLOW_REJOIN, HA__MAX
};
const char *host_action_name(enum host_action a);
enum host_action host_action_parse(const char *s);      /* HA__MAX if unknown */

/* A host's action on user_id in meeting_id. A removed person leaves, their
 * connections close, and they stay out until HA_ALLOW_REJOIN. */
enum err participants_act(struct ctx *c, const char *meeting_id, const char *user_id,
    enum host_action a);

#endif
