/* SPDX-License-Identifier: MIT */
/**
 * @file policy.h
 * @brief The safety policy of an at-most-one resource and the virtual IPs:
 *        when to fence, start, stop and self-fence, and when this node may
 *        hold the VIPs. A pure state machine, sans-I/O.
 *
 * The node (node.h) elects a leader; this machine turns its role events
 * into commands for a resource that must never run on two nodes at once
 * (Pacemaker's job for one primitive) and for virtual IPs. It decides; an
 * *executor* runs what it decides and reports back. hbeatd's executor is
 * src/daemon/actions.c (commands as processes, the VIPs over netlink, the
 * kernel watchdog device); the simulator's is a harness with virtual
 * durations (tests/sim/test_sim_policy.c). Nothing here reads a clock,
 * runs a process, touches a device or logs: every call that depends on
 * time takes `now_ns` (CLOCK_MONOTONIC, the node's clock), and the
 * executor logs each state change once from the STATE notices.
 *
 * Call protocol:
 *
 *     hb_policy_new(&p, &cfg, node);
 *     hb_policy_start(p, now);              start-up STOP (blocking)
 *     every node event:    hb_policy_on_event(p, ev);    (records only)
 *                          hb_policy_tick(p, now);       (decides)
 *     when due:            hb_policy_tick(p, now) at hb_policy_next_deadline()
 *     after each call:     while (hb_policy_poll(p, &cmd) > 0) execute(cmd);
 *     a command ended:     hb_policy_done(p, cmd.kind, ok, now); poll again
 *     shutting down:       hb_policy_shutdown(p, now); poll; done; free
 *
 * hb_policy_on_event() and hb_policy_tick() may be called from inside the
 * node's event callback (hbeatd and the simulator do: the decision is
 * taken on the node's view of that very event, as it was before this
 * machine existed): they only read the node through the read-only calls
 * (hb_node_peer_info(), hb_node_peer_at(), hb_node_peer_count(),
 * hb_node_config(), hb_node_id()) and call hb_node_set_resource(), which
 * only sets a bit that the next heartbeat carries.
 *
 * With the hierarchy topology (hb_hier_config_t.enabled) the role
 * followed is the global one: HB_EVENT_GLOBAL_ROLE, whose leader,
 * established, is the cluster's holder and whose term is the fencing
 * token; HB_EVENT_ROLE (the region's coordinator) is then ignored, and
 * the leader a global role event names (a region) is no fence target
 * (docs/hierarchy.md, "The at-most-one resource").
 *
 * The one signal "may act": this node is leader *and established*
 * (hb_event_t.established, hb_coord_info_t.established: a quorum, this
 * node included, has named it leader in heartbeats of its term). The
 * resource starts only then, and the VIPs are acquired only then and
 * released as soon as it no longer holds: a leader paused or cut off
 * right after its election never acts, and any later leader's quorum
 * holds a node that followed this one (docs/actions.md, docs/vip.md).
 *
 * The resource, one state machine, changed only in one place (each change
 * is one HB_POLICY_CMD_STATE notice):
 *
 *     stopped --may act--> fencing --fenced--> starting --ok--> started
 *        ^                   ^   |  fence failed                  |
 *        |   retry (backoff) |   v                        may not act
 *        |                   blocked                              v
 *        +-------------- stopping <-------------------------------+
 *
 * At most one command that needs a result runs at a time (FENCE, START,
 * STOP, SELF_FENCE, WATCHDOG_ARM); events only record what is wanted, and
 * the end of each command moves the machine on. So a start never overlaps
 * a stop.
 *
 * Fencing (STONITH), before every start in a new term, one target after
 * the other (pull peers never):
 *  - the last leader other than this node that its role events named;
 *  - every peer held dead, suspect or unknown: it may have crashed with
 *    the resource running, or led for a moment nobody heard of (Pacemaker
 *    fences such "unclean" nodes, and with `startup-fencing` a node never
 *    seen since start);
 *  - every peer alive (or in probation) whose heartbeats say its resource
 *    may be up (hb_node_set_resource()): a leader this node never knew
 *    of, because it started later, may still be stopping.
 * A target that is alive (or in probation) when its turn comes and says
 * its resource is stopped is spared, as is one that left (it stopped its
 * resource before leaving); while it says "up", its stop is given the
 * configured stop time limit plus two intervals (after which it
 * self-fences anyway), then it is fenced. The former leader is forgotten
 * only once fenced or spared, so a failed fence is not forgotten by
 * stepping down and back up. Other peers alive or in probation run the
 * same policy, which stops any stale copy before its first heartbeat
 * (hb_policy_start()).
 * Without a fence command, with a kernel watchdog (SBD's
 * `stonith-watchdog-timeout`), a target counts as fenced once the watchdog
 * timeout plus two intervals have passed since the later of this node's
 * election and the last time it heard the target (since hb_policy_start()
 * for one never heard): a node feeds its watchdog only while it may act
 * (HB_POLICY_CMD_WATCHDOG_HOLD), and every earlier leader stepped down
 * before this node was elected. It needs a real quorum: with two_node,
 * both halves of a split may act, so use a fence command there.
 * Two-node clusters (coord.two_node, one peer): the higher node id waits
 * two_node_delay_ns before its first fence, so the lower id wins a mutual
 * fencing race; both derive the same answer from their ids
 * (hb_policy_two_node_delay_default() says how long is enough).
 * A failed (or timed-out) fence blocks the start ("blocked: fence
 * failed") and is tried again against the same target while this node
 * may act in the same term, with exponential backoff: the k-th retry
 * comes HB_POLICY_FENCE_RETRY_FIRST_NS x 2^(k-1) after the failure, at
 * most HB_POLICY_FENCE_RETRY_MAX_NS (1, 2, 4, ... 32, 60, 60 s); each is
 * announced (HB_POLICY_CMD_FENCE_RETRY) and numbered
 * (hb_policy_cmd_t.attempt). Meanwhile the target is looked at every
 * interval: once the rules above spare it (alive or in probation and
 * saying its resource is stopped: it rejoined, which stops any stale
 * copy; or it left), it is spared at once and the round goes on without
 * that fence. Nothing starts while a needed fence has not succeeded. A
 * new term starts a new round at once; stepping down ends the wait.
 * A failed start is followed by a stop (cleanup), then blocked; a failed
 * stop self-fences; a failed (or impossible) self-fence is HB_POLICY_CMD_
 * EXIT: the executor exits at once, without a leave.
 *
 * Not thread-safe: one thread per machine (and its node) at a time.
 */
#ifndef HBEAT_POLICY_H
#define HBEAT_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hbeat/node.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Resource states. Values are stable; shown by name. */
typedef enum hb_policy_state {
        HB_POLICY_STOPPED = 0,  /**< not running here (initial) */
        HB_POLICY_FENCING = 1,  /**< may act; fencing (or waiting to) */
        HB_POLICY_STARTING = 2, /**< may act; the start runs */
        HB_POLICY_STARTED = 3,  /**< may act; the resource runs */
        HB_POLICY_STOPPING = 4, /**< the stop runs */
        HB_POLICY_BLOCKED = 5,  /**< see hb_policy_info_t.state_name:
                                     "blocked: fence failed", "blocked:
                                     start failed", "blocked: self-fencing",
                                     "blocked: watchdog unavailable" */
} hb_policy_state_t;

/** What the executor is asked to do, or told. */
typedef enum hb_policy_cmd_kind {
        HB_POLICY_CMD_NONE = 0,
        /** Notice: the resource state changed (old/new state and name,
         *  reason, term, resource_up). Log and publish it once. */
        HB_POLICY_CMD_STATE = 1,
        /** Add the VIPs (this node may act in `term`). No result. */
        HB_POLICY_CMD_VIP_ACQUIRE = 2,
        /** Remove the VIPs (this node may no longer act). No result. */
        HB_POLICY_CMD_VIP_RELEASE = 3,
        /** Fence (power off or isolate) `target_id`, term `term`.
         *  Result: hb_policy_done(); report the outcome first. */
        HB_POLICY_CMD_FENCE = 4,
        /** Start the resource, fencing token `term`. Result. */
        HB_POLICY_CMD_START = 5,
        /** Stop the resource (`blocking`: at start-up or shutdown, before
         *  anything else happens). Result. */
        HB_POLICY_CMD_STOP = 6,
        /** The stop failed (`reason`): make this node safe (power off,
         *  reboot). Result. */
        HB_POLICY_CMD_SELF_FENCE = 7,
        /** Nothing can make the resource safe here (`reason`): exit now,
         *  without a leave message (hbeatd: status 3), so the peers see
         *  this node fail and fence it. The machine does nothing more. */
        HB_POLICY_CMD_EXIT = 8,
        /** Open (arm) the kernel watchdog and feed it on every heartbeat
         *  from now on. Result (false: cannot: the start is blocked). */
        HB_POLICY_CMD_WATCHDOG_ARM = 9,
        /** The resource is down: disarm the watchdog (magic close). */
        HB_POLICY_CMD_WATCHDOG_DISARM = 10,
        /** Notice: waiting `wait_ns` before the first fence (two-node
         *  delay, higher node id). */
        HB_POLICY_CMD_FENCE_WAIT = 11,
        /** Notice: `target_id`, the former leader, reports its resource
         *  stopped: not fenced. */
        HB_POLICY_CMD_FENCE_SPARED = 12,
        /** Notice: `target_id` counts as fenced: its watchdog timeout
         *  (`wait_ns`) has passed since it was last heard (and since this
         *  node was elected). Report it like a successful fence. */
        HB_POLICY_CMD_FENCE_WATCHDOG = 13,
        /** Stop feeding the watchdog (leave it armed): this node may no
         *  longer act, or self-fences, while the resource may be up. The
         *  host resets one timeout later unless a DISARM comes first. */
        HB_POLICY_CMD_WATCHDOG_HOLD = 14,
        /** Notice: the fence of `target_id` failed; attempt number
         *  `attempt` is due in `wait_ns` (the backoff), unless the target
         *  is spared first, this node stops leading or a new term
         *  begins. Comes right after the STATE notice to "blocked: fence
         *  failed". */
        HB_POLICY_CMD_FENCE_RETRY = 15,
} hb_policy_cmd_kind_t;

/** First wait before retrying a failed fence, ns (1 s). Fixed, not a
 *  number of heartbeat intervals: what a fence device needs to recover
 *  (a BMC rebooting, a network path to a PDU coming back, an API rate
 *  limit) has nothing to do with the heartbeat interval. */
#define HB_POLICY_FENCE_RETRY_FIRST_NS (1 * HB_NS_PER_S)
/** Longest wait between two fence attempts, ns (60 s): the wait doubles
 *  after each failure up to this, so a fence device that works again is
 *  used within a minute (the outage it adds is bounded), while a broken
 *  one (or an API that rate-limits) is asked once a minute. */
#define HB_POLICY_FENCE_RETRY_MAX_NS (60 * HB_NS_PER_S)
/** The fixed part of the default two-node fence delay, ns (1 s):
 *  hb_policy_two_node_delay_default(). */
#define HB_POLICY_FENCE_RACE_NS (1 * HB_NS_PER_S)

/**
 * "none", "state", "vip_acquire", "vip_release", "fence", "start", "stop",
 * "self_fence", "exit", "watchdog_arm", "watchdog_disarm", "fence_wait",
 * "fence_spared", "fence_watchdog", "watchdog_hold", "fence_retry"
 * (fence, start, stop and self_fence are hbeatd's HBEAT_ACTION values).
 */
HB_EXPORT const char *hb_policy_cmd_name(hb_policy_cmd_kind_t kind);

/** One command or notice. Public, read-only; strings are static. */
typedef struct hb_policy_cmd {
        hb_policy_cmd_kind_t kind;
        uint64_t term;          /**< fencing token: the term of the
                                     resource's actions (0: the start-up
                                     stop); the current term for VIPs */
        hb_role_t role;         /**< this node's role as of its last role
                                     event (follower for blocking stops) */
        uint32_t target_id;     /**< FENCE, FENCE_SPARED, FENCE_WATCHDOG,
                                     FENCE_RETRY */
        uint64_t wait_ns;       /**< FENCE_WAIT, FENCE_WATCHDOG,
                                     FENCE_RETRY (the backoff) */
        bool blocking;          /**< STOP at start-up or shutdown */
        const char *reason;     /**< why: STATE, STOP, SELF_FENCE, EXIT,
                                     VIP_RELEASE ("became leader", "fence
                                     failed", "stop failed", ...); "" for
                                     the others */
        /* STATE: */
        hb_policy_state_t old_state, new_state;
        const char *old_name;   /**< "started", "blocked: fence failed" */
        const char *new_name;
        bool resource_up;       /**< what this node's heartbeats now say
                                     (hb_node_set_resource()) */
        /** FENCE: which attempt against `target_id` in this round (term)
         *  it is, 1 for the first, 2.. for the retries after failures;
         *  FENCE_RETRY: the number of the attempt announced. 0 for the
         *  other kinds. */
        uint64_t attempt;
        uint64_t reserved[3];   /**< room for later fields (0) */
} hb_policy_cmd_t;

/**
 * Configuration. Public, read/write; zero it, then set what applies (a
 * later version's fields take the `reserved` room, zero meaning their
 * default: library.h, ABI rules).
 * Everything else is read from the node: its id, interval, peers
 * (hb_node_peer_at()) and coord.two_node.
 */
typedef struct hb_policy_config {
        /** A resource is configured (start and stop commands). Without it
         *  and without fence_command, the resource machine stays
         *  `stopped` and only the VIP commands are issued. */
        bool resource;
        /** A fence command is configured (FENCE commands). */
        bool fence_command;
        /** A self-fence command is configured; without it a failed stop
         *  is HB_POLICY_CMD_EXIT at once. */
        bool self_fence;
        /** A kernel watchdog is configured: armed before every start,
         *  and, without fence_command, fencing by waiting. */
        bool watchdog;
        /** Watchdog timeout, ns: 1 ms .. 1 hour when `watchdog`. */
        uint64_t watchdog_timeout_ns;
        /** Time limit of a stop, ns (what an alive former leader that
         *  says "up" is given), 0 .. 1 hour. */
        uint64_t stop_timeout_ns;
        /** Two-node fence delay of the higher node id, ns, 0 .. 1 hour;
         *  0: none. hb_policy_two_node_delay_default() gives hbeatd's
         *  default, which any two-node cluster with fencing needs. */
        uint64_t two_node_delay_ns;
        /** Peers that run no hbeatd (pull peers: polled, never fenced);
         *  `n_pull` ids, borrowed: the array must stay valid until a
         *  hb_policy_reconfigure() with another one, or hb_policy_free()
         *  (so that neither can fail to allocate). */
        const uint32_t *pull_ids;
        size_t n_pull;
        uint64_t reserved[4];   /**< keep 0 */
} hb_policy_config_t;

/** The part of the default two-node fence delay that scales with the
 *  interval, in intervals (hb_policy_two_node_delay_default()). */
#define HB_POLICY_FENCE_RACE_INTERVALS 6u

/** Opaque machine. */
typedef struct hb_policy hb_policy_t;

/**
 * The two-node fence delay hbeatd uses by default at a heartbeat interval
 * of `interval_ns`: HB_POLICY_FENCE_RACE_INTERVALS x interval +
 * HB_POLICY_FENCE_RACE_NS, at most 1 hour (1120 ms at 20 ms, 1600 ms at
 * 100 ms).
 *
 * Why (docs/actions.md, "Two-node clusters"): after a split the higher id
 * may be ready to fence *before* the lower id. When it led before the
 * split it keeps leading and fences the lower id once it holds it dead,
 * while the lower id keeps its lease promise to it (until its own
 * detector's dead verdict, election.h) before it may stand; add the
 * random part of the first-ranked election delay (up to a quarter
 * interval at the default election delay), a round trip, and up to an
 * interval or two between the two detectors' verdicts (they adapt
 * apart). So the delay first covers
 * that head start, which scales with the interval, then gives the lower
 * id's fence command a fixed second to power off or isolate the higher id
 * before the higher id starts its own, which does not: a fence device
 * takes the same time at any heartbeat interval. A slower device (a cloud
 * API) needs fencing.two_node_delay_ms set to its time plus that head
 * start.
 *
 * @param interval_ns  heartbeat interval, ns.
 * @return the delay, ns; 1 hour at most (any interval).
 */
HB_EXPORT uint64_t hb_policy_two_node_delay_default(uint64_t interval_ns);

/**
 * Create a machine for `node`.
 *
 * @param ret   output: the machine, owned by the caller (hb_policy_free()).
 * @param cfg   configuration (copied; its pull_ids array borrowed).
 * @param node  borrowed: must outlive the machine (free the machine
 *              first). Read through its read-only calls; the machine sets
 *              its resource bit (hb_node_set_resource()).
 * @return 0; -EINVAL (NULL argument, n_pull > 0 with pull_ids NULL, a
 *         duration out of range); -ENOMEM (nothing allocated).
 */
HB_EXPORT int hb_policy_new(hb_policy_t **ret, const hb_policy_config_t *cfg,
                            hb_node_t *node);

/** Free the machine (not the node). NULL is a no-op. */
HB_EXPORT void hb_policy_free(hb_policy_t *p);

/**
 * Check a configuration as hb_policy_new() and hb_policy_reconfigure()
 * do: a reload checks first, then reconfigures, which then cannot fail.
 * @return 0 or -EINVAL (NULL, n_pull > 0 with pull_ids NULL, a duration
 *         out of range).
 */
HB_EXPORT int hb_policy_config_validate(const hb_policy_config_t *cfg);

/**
 * Apply a new configuration (a config reload). A command that runs keeps
 * going; the next decisions use the new settings. Allocates nothing.
 * @return 0; -EINVAL (machine unchanged: see
 *         hb_policy_config_validate()).
 */
HB_EXPORT int hb_policy_reconfigure(hb_policy_t *p,
                                    const hb_policy_config_t *cfg);

/**
 * Start the machine, before the node's first heartbeat. With a resource,
 * queues a blocking STOP (term 0, reason "start-up"): a copy left running
 * by a predecessor that crashed is stopped before this node takes part in
 * anything. Its failure is an EXIT. Role events before this call are
 * ignored. `now_ns` also starts the watchdog wait of peers never heard.
 * @return 1 (a STOP is queued), 0 (nothing to stop), -EINVAL (NULL, or
 *         already started).
 */
HB_EXPORT int hb_policy_start(hb_policy_t *p, uint64_t now_ns);

/**
 * Record a node event (role events matter, HB_EVENT_GLOBAL_ROLE instead
 * of HB_EVENT_ROLE with the hierarchy; the others are ignored): the
 * role, whether this node may act (leader and established) and in which
 * term, and the last other leader named. Decides nothing: call
 * hb_policy_tick() next. Callable from inside the node's event callback.
 * @return 0 or -EINVAL (NULL).
 */
HB_EXPORT int hb_policy_on_event(hb_policy_t *p, const hb_event_t *ev);

/**
 * Decide at `now_ns`: the VIP commands, then the resource's next step
 * (fence, start, stop), and whatever wait (hb_policy_next_deadline()) has
 * run out. Cheap and idempotent: calling it more often changes nothing.
 * Callable from inside the node's event callback.
 * @return 0 or -EINVAL (NULL).
 */
HB_EXPORT int hb_policy_tick(hb_policy_t *p, uint64_t now_ns);

/**
 * When hb_policy_tick() must be called next, ns, or HB_NEVER: the end of
 * the two-node delay, of the wait for a former leader to report its
 * resource stopped (looked at again every interval), of a watchdog wait,
 * or of the backoff before a fence is retried (its target looked at
 * again every interval meanwhile: it may be spared). Calling tick
 * earlier is harmless.
 */
HB_EXPORT uint64_t hb_policy_next_deadline(const hb_policy_t *p);

/**
 * Take the next command, in the order decided.
 *
 * The queue holds 64 entries: drain it after every call. One call queues
 * at most a dozen; should it ever fill, the oldest entry is dropped and
 * counted (hb_policy_info_t.dropped).
 * @return 1 (`out` filled), 0 (empty), -EINVAL (NULL).
 */
HB_EXPORT int hb_policy_poll(hb_policy_t *p, hb_policy_cmd_t *out);

/**
 * The running command of `kind` (FENCE, START, STOP, SELF_FENCE,
 * WATCHDOG_ARM) ended: `ok` when it succeeded (exit 0), false when it
 * failed, timed out or could not run. Moves the machine on; poll next.
 * @return 0; -EINVAL (NULL); -ENOENT (no command of that kind runs:
 *         a late report after hb_policy_shutdown(), or a bug).
 */
HB_EXPORT int hb_policy_done(hb_policy_t *p, hb_policy_cmd_kind_t kind,
                             bool ok, uint64_t now_ns);

/**
 * Shut down: the command that runs is abandoned (the executor kills it
 * and reports nothing), and when the resource may be up here (starting,
 * started, stopping, self-fencing) a blocking STOP is queued (reason
 * "shutdown"): run it before the leave message, since another node may
 * take over as soon as it hears it. Its failure is an EXIT. After this,
 * events and ticks are ignored.
 * @return 1 (a STOP is queued), 0 (nothing to stop), -EINVAL (NULL).
 */
HB_EXPORT int hb_policy_shutdown(hb_policy_t *p, uint64_t now_ns);

/** A snapshot. Public, read-only; strings are static. */
typedef struct hb_policy_info {
        hb_policy_state_t state;
        const char *state_name;        /**< "stopped", ..., "blocked: X" */
        uint64_t term;                 /**< term of the resource's actions */
        hb_role_t role;                /**< as of the last role event */
        bool may_act;                  /**< leader and established */
        bool vip_held;                 /**< VIP_ACQUIRE issued, no release
                                            since */
        bool resource_up;              /**< the bit heartbeats carry */
        hb_policy_cmd_kind_t running;  /**< command awaiting its result */
        uint32_t fence_id;             /**< former leader to fence, 0 */
        size_t fence_queue;            /**< targets left in this round */
        uint64_t next_deadline_ns;     /**< hb_policy_next_deadline() */
        uint64_t dropped;              /**< commands dropped (queue full) */
        uint64_t fence_attempts;       /**< FENCE commands issued, retries
                                            included, since creation */
        uint64_t fence_failures;       /**< of those: reported failed
                                            (hb_policy_done() not ok) */
        uint64_t fence_retry_ns;       /**< when the failed fence is tried
                                            again (blocked: fence failed),
                                            ns, else HB_NEVER */
        uint64_t reserved[1];          /**< room for later fields (0) */
} hb_policy_info_t;

/** Fill `out`. */
HB_EXPORT void hb_policy_info(const hb_policy_t *p, hb_policy_info_t *out);

#ifdef __cplusplus
}
#endif

#endif /* HBEAT_POLICY_H */
