/* SPDX-License-Identifier: MIT */
/*
 * Control protocol helpers shared by hbeatd and hbeatctl: the EVENT object
 * builder, wall-time formatting and line serialisation. See ctl_proto.h and
 * docs/control-protocol.md.
 *
 * Everything here is pure (no I/O, no clock): the caller passes the wall
 * time it wants printed, so tests can feed fixed values.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ctl_proto.h"

int hbp_format_wall_time(char *buf, size_t cap, uint64_t wall_time_ns)
{
        time_t secs = (time_t)(wall_time_ns / HB_NS_PER_S);
        unsigned ms = (unsigned)((wall_time_ns % HB_NS_PER_S) / HB_NS_PER_MS);
        struct tm tm;
        int n;

        if (cap < HBP_WALL_TIME_LEN)
                return -ENOBUFS;
        buf[0] = '\0';
        if (gmtime_r(&secs, &tm) == NULL)
                return -EOVERFLOW;
        n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
        if (n < 0 || (size_t)n >= cap) {
                buf[0] = '\0';
                return -EOVERFLOW;
        }
        return 0;
}

double hbp_round(double v, int decimals)
{
        double scale = pow(10.0, decimals);

        if (!isfinite(v) || fabs(v) > 1e15)
                return v;
        return round(v * scale) / scale;
}

/* json_real() refuses NaN and infinities; the protocol has no spelling for
 * them, so they become null. */
static json_t *real_or_null(double v)
{
        return isfinite(v) ? json_real(v) : json_null();
}

json_t *hbp_event_json(const hb_event_t *ev, const char *node_name,
                          const char *peer_name, uint64_t wall_time_ns)
{
        char wall[HBP_WALL_TIME_LEN];
        json_t *last_arrival;

        if (ev == NULL || node_name == NULL || peer_name == NULL)
                return NULL;
        if (hbp_format_wall_time(wall, sizeof(wall), wall_time_ns) < 0)
                wall[0] = '\0';
        if (ev->last_arrival_ns == HB_NEVER)
                last_arrival = json_null();
        else
                last_arrival = json_integer((json_int_t)ev->last_arrival_ns);

        /* "o" steals the references; json_pack releases them on failure. */
        return json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:I, s:o, s:o,"
                         " s:I, s:s}",
                         "event", "peer_state",
                         "node", node_name,
                         "peer", peer_name,
                         "peer_id", (json_int_t)ev->peer_id,
                         "old", hb_peer_state_name(ev->old_state),
                         "new", hb_peer_state_name(ev->new_state),
                         "reason", hb_reason_name(ev->reason),
                         "at_ns", (json_int_t)ev->at_ns,
                         "suspicion",
                         real_or_null(hbp_round(ev->suspicion, 3)),
                         "last_arrival_ns", last_arrival,
                         "incarnation", (json_int_t)ev->incarnation,
                         "wall_time", wall);
}

static json_t *str_or_null(const char *s)
{
        return s != NULL ? json_string(s) : json_null();
}

json_t *hbp_coord_event_json(const hb_event_t *ev, const char *node_name,
                                const char *leader_name,
                                uint64_t wall_time_ns)
{
        char wall[HBP_WALL_TIME_LEN];
        const char *why;

        if (ev == NULL || node_name == NULL)
                return NULL;
        if (hbp_format_wall_time(wall, sizeof(wall), wall_time_ns) < 0)
                wall[0] = '\0';
        why = ev->why != NULL ? ev->why : "";
        if (ev->type == HB_EVENT_ROLE)
                return json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:I, s:s,"
                                 " s:I, s:s}",
                                 "event", "role",
                                 "node", node_name,
                                 "old", hb_role_name(ev->old_role),
                                 "new", hb_role_name(ev->new_role),
                                 "term", (json_int_t)ev->term,
                                 "leader", str_or_null(leader_name),
                                 "leader_id", (json_int_t)ev->leader_id,
                                 "reason", why,
                                 "at_ns", (json_int_t)ev->at_ns,
                                 "wall_time", wall);
        if (ev->type == HB_EVENT_QUORUM)
                return json_pack("{s:s, s:s, s:b, s:I, s:o, s:I, s:s, s:I,"
                                 " s:s}",
                                 "event", "quorum",
                                 "node", node_name,
                                 "quorate", (int)ev->quorate,
                                 "term", (json_int_t)ev->term,
                                 "leader", str_or_null(leader_name),
                                 "leader_id", (json_int_t)ev->leader_id,
                                 "reason", why,
                                 "at_ns", (json_int_t)ev->at_ns,
                                 "wall_time", wall);
        return NULL;
}

json_t *hbp_coord_json(const hb_coord_info_t *ci, const char *leader_name,
                          uint64_t now_ns)
{
        if (ci == NULL)
                return NULL;
        if (!ci->enabled)
                return json_pack("{s:b}", "enabled", 0);
        return json_pack("{s:b, s:s, s:I, s:o, s:I, s:I, s:b, s:I, s:I, s:I,"
                         " s:b, s:I, s:I, s:b}",
                         "enabled", 1,
                         "role", hb_role_name(ci->role),
                         "term", (json_int_t)ci->term,
                         "leader", str_or_null(leader_name),
                         "leader_id", (json_int_t)ci->leader_id,
                         "voted_for", (json_int_t)ci->voted_for,
                         "quorate", (int)ci->quorate,
                         "votes_present", (json_int_t)ci->votes_present,
                         "expected_votes", (json_int_t)ci->expected_votes,
                         "quorum_votes", (json_int_t)ci->quorum_votes,
                         "waiting_for_all", (int)ci->waiting_for_all,
                         "role_age_ms",
                         (json_int_t)(now_ns > ci->role_since_ns ?
                                (now_ns - ci->role_since_ns) / HB_NS_PER_MS :
                                0),
                         "elections_started",
                         (json_int_t)ci->elections_started,
                         "established", (int)ci->established);
}

char *hbp_dump_line(const json_t *obj, size_t *len)
{
        char *text, *line;
        size_t n;

        text = json_dumps(obj, HBP_JSON_FLAGS);
        if (text == NULL)
                return NULL;
        n = strlen(text);
        line = realloc(text, n + 2);
        if (line == NULL) {
                free(text);
                return NULL;
        }
        line[n] = '\n';
        line[n + 1] = '\0';
        if (len != NULL)
                *len = n + 1;
        return line;
}

/* An RTT in ms with µs resolution, or null without samples. */
static json_t *rtt_ms(const hb_peer_info_t *pi, uint64_t ns)
{
        return pi->rtt_samples > 0 ? json_real(hbp_round(ns / 1e6, 3))
                                   : json_null();
}

json_t *hbp_arrival_json(uint64_t seq, uint64_t send_ns,
                            uint64_t arrival_ns)
{
        return json_pack("{s:I, s:I, s:I}", "seq", (json_int_t)seq,
                         "send_ns", (json_int_t)send_ns,
                         "arrival_ns", (json_int_t)arrival_ns);
}

json_t *hbp_member_json(const hb_peer_info_t *pi, const char *name,
                           const char *address, uint64_t now_ns)
{
        json_t *age;

        if (pi == NULL || name == NULL || address == NULL)
                return NULL;
        if (pi->last_arrival_ns == HB_NEVER)
                age = json_null();
        else
                age = json_integer((json_int_t)(now_ns > pi->last_arrival_ns ?
                        (now_ns - pi->last_arrival_ns) / HB_NS_PER_MS : 0));
        return json_pack("{s:s, s:I, s:s, s:s, s:I, s:o, s:o, s:I, s:I,"
                         " s:I, s:I, s:I, s:I, s:I, s:b, s:I, s:o, s:o, s:o,"
                         " s:I}",
                         "name", name,
                         "id", (json_int_t)pi->id,
                         "address", address,
                         "state", hb_peer_state_name(pi->state),
                         "state_age_ms",
                         (json_int_t)(now_ns > pi->state_since_ns ?
                                (now_ns - pi->state_since_ns) / HB_NS_PER_MS :
                                0),
                         "suspicion",
                         real_or_null(hbp_round(pi->suspicion, 3)),
                         "last_heartbeat_age_ms", age,
                         "incarnation", (json_int_t)pi->incarnation,
                         "seq", (json_int_t)pi->last_seq,
                         "seq_gaps", (json_int_t)pi->seq_gaps,
                         "received", (json_int_t)pi->received,
                         "replays", (json_int_t)pi->replays,
                         "old_incarnations",
                         (json_int_t)pi->old_incarnations,
                         "bad_sources", (json_int_t)pi->bad_sources,
                         "roaming", (int)pi->roaming,
                         "transitions", (json_int_t)pi->transitions,
                         "mean_interval_ms",
                         real_or_null(hbp_round(pi->mean_interval_ns / 1e6,
                                                   3)),
                         "rtt_median_ms", rtt_ms(pi, pi->rtt_median_ns),
                         "rtt_p99_ms", rtt_ms(pi, pi->rtt_p99_ns),
                         "rtt_samples", (json_int_t)pi->rtt_samples);
}
