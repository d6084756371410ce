/* SPDX-License-Identifier: MIT */
/*
 * `hbeatctl suggest`: what timeout, and which detector settings.
 *
 * Two methods (docs/cli.md, "suggest"):
 *
 * 1. The rule (../shared/seeds/003): timeout >= 3 x interval and
 *    >= 10 x RTT. Inputs from --interval-ms/--rtt-ms, or from the running
 *    daemon (its interval from `status`, the worst peer's RTT p99 from
 *    `members`). Output: the timeout, the fixed detector's k =
 *    ceil(timeout / interval) as suspect threshold, and the phi detector's
 *    smallest acceptable_pause for which phi reaches the suspect threshold
 *    (8) no earlier than the timeout after the last of steady heartbeats.
 *    That crossing is measured on the real detector, fed steady
 *    heartbeats as `check-config` does, not re-derived.
 *
 * 2. A trace (--trace FILE --max-mistakes-per-week N): for each detector,
 *    a bisection over its main parameter (the suspect threshold: phi,
 *    fixed k, ...; chen: its margin alpha at threshold 1) with
 *    hbt_qos_evaluate() replaying the whole trace, for the most aggressive
 *    value that meets the budget *as far as the trace can tell*:
 *
 *    - A budget the trace can see (budget x alive time >= 3, the 95 %
 *      Poisson upper bound of a rate with no event): the largest mistake
 *      count M whose 95 % upper bound, mu(M) / alive time with
 *      P(Poisson(mu) <= M) = 0.05, is within the budget; the value must
 *      make at most M mistakes. A rate is then within budget at 95 %
 *      confidence, not just on this trace. And each quarter of the
 *      trace (equal time) must be within budget on its own count: rates
 *      drift with load, and the worst quarter is the next hour's guess.
 *    - A budget below that (one per week in an hour of trace): no count
 *      in the trace can show it, so the value must make no mistake and
 *      also tolerate every silence up to x_B, the silence length that
 *      occurs at the budget's rate by an exponential fit to the tail of
 *      the trace's silences (plan_budget()), and never less than the
 *      longest silence seen or the rule's 3 intervals. "Tolerate" is
 *      measured on the detector: after every arrival past the warm-up,
 *      its crossing of the threshold comes no earlier than x_B.
 *
 *    Bisection is valid because, for a given arrival history, a higher
 *    threshold (or margin) can only start fewer suspicions and cross
 *    later: suspicion is non-decreasing between two arrivals, so each
 *    silence holds at most one mistake per threshold and a higher
 *    threshold's mistakes are a subset. Then its detection time T_D is
 *    estimated by replaying crashes: at TD_POINTS heartbeats spread over
 *    the trace, the peer is taken to crash right after sending (the
 *    worst case within an interval; the one-way delay, not measurable
 *    without a common clock, is ignored), each replay using the
 *    TD_HISTORY arrivals before it. The detector with the shortest mean
 *    T_D wins.
 *
 * The evidence is printed with the result: the mistakes seen, their 95 %
 * upper bound per hour, and for an unseen budget the extrapolated
 * silence. tests/system/test_suggest_holdout.py trains on the first half
 * of each corpus trace and checks the budget on the second half.
 */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hbctl.h"
#include "hbeat/hbeat.h"
#include "tools/qos.h"
#include "tools/trace.h"

#define NS_PER_WEEK (7.0 * 86400.0 * 1e9)
#define S_PER_WEEK (7.0 * 86400.0)

/* The rule of ../shared/seeds/003. */
#define RULE_INTERVALS 3.0
#define RULE_RTTS 10.0

/* Crash replays for T_D, and how much history each one replays. */
#define TD_POINTS 32
#define TD_HISTORY 2000
/* A detector that has not suspected a crashed peer after this long is
 * reported as never detecting it. */
#define TD_HORIZON_NS (UINT64_C(3600) * HB_NS_PER_S)

/* Fewest arrivals a trace must hold to say anything. */
#define MIN_ARRIVALS 20

/* Confidence of the bounds, and the events a 0-count bound stands for:
 * -ln(0.05) = 3.0. */
#define CONF_P 0.05
/* Silences in the tail fit: the longest 1 / TAIL_FRACTION of them, at
 * least TAIL_MIN. */
#define TAIL_FRACTION 20

/* Blocks a trace with a visible budget is cut into (meets()). */
#define N_BLOCKS 4
#define TAIL_MIN 10

/* ---- options ------------------------------------------------------ */

struct opts {
        double interval_ms;            /* < 0: not given */
        double rtt_ms;                 /* < 0: not given */
        const char *trace;
        double max_per_week;           /* < 0: not given */
        bool kinds[HB_DETECTOR_KIND_END];
        bool any_kind;
        hbt_read_opts_t read;          /* --trace-layout, ... */
        bool any_read;                 /* one of those given */
};

static int parse_num(const char *text, double min, double max, double *out)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(text, &end);
        if (errno != 0 || end == text || *end != '\0' || !isfinite(v) ||
            v < min || v > max)
                return -EINVAL;
        *out = v;
        return 0;
}

/* "phi,fixed": sets o->kinds. 0, or -EINVAL (message printed). */
static int parse_kinds(const char *cmd, const char *text, struct opts *o)
{
        char *copy = strdup(text), *save = NULL, *tok;
        int r = 0;

        if (copy == NULL) {
                hbctl_err("out of memory");
                return -ENOMEM;
        }
        for (tok = strtok_r(copy, ",", &save); tok != NULL;
             tok = strtok_r(NULL, ",", &save)) {
                hb_detector_kind_t kind;

                if (hb_detector_kind_parse(tok, &kind) < 0 ||
                    (unsigned)kind >= HB_DETECTOR_KIND_END) {
                        char names[256] = "";

                        for (int k = 1; k < HB_DETECTOR_KIND_END; k++) {
                                if (names[0] != '\0')
                                        strncat(names, ", ", sizeof(names) -
                                                strlen(names) - 1);
                                strncat(names, hb_detector_kind_name(
                                                (hb_detector_kind_t)k),
                                        sizeof(names) - strlen(names) - 1);
                        }
                        hbctl_usage_error(cmd, "--detector: '%s' is not a "
                                          "detector kind (%s)", tok, names);
                        r = -EINVAL;
                        break;
                }
                o->kinds[kind] = true;
                o->any_kind = true;
        }
        free(copy);
        if (r == 0 && !o->any_kind) {
                hbctl_usage_error(cmd, "--detector: no detector named");
                r = -EINVAL;
        }
        return r;
}

/* ---- method 1: the rule ------------------------------------------- */

/*
 * Time after the last of steady heartbeats every `interval_ns` at which a
 * phi detector with acceptable pause `pause_ns` (other parameters at
 * their defaults) reaches `threshold`. 0 and *out, or a negative error.
 */
static int phi_crossing(uint64_t interval_ns, uint64_t pause_ns,
                        double threshold, uint64_t *out)
{
        hb_detector_config_t cfg;
        hb_detector_t *det = NULL;
        uint64_t t = HB_NS_PER_S, c;
        int r;

        hb_detector_config_default(&cfg, HB_DETECTOR_PHI, interval_ns);
        cfg.acceptable_pause_ns = pause_ns;
        r = hb_detector_new(&det, &cfg);
        if (r < 0)
                return r;
        /* Fill the window with exact intervals, as check-config does. */
        for (uint32_t i = 0; i <= cfg.window; i++, t += interval_ns)
                hb_detector_heartbeat_seq(det, t, i + 1);
        t -= interval_ns;
        c = hb_detector_crossing_ns(det, threshold);
        hb_detector_free(det);
        if (c == HB_NEVER || c < t)
                return -ERANGE;
        *out = c - t;
        return 0;
}

/* Interval from `status`, when not given. Returns an exit status. */
static int daemon_interval(hbctl_ctx_t *ctx, double *interval_ms)
{
        json_t *resp = NULL;
        const json_t *node;
        bool ok;
        double ns, ms;
        int status;

        status = hbctl_call(ctx, "status", NULL, &resp);
        if (status != HBCTL_EXIT_OK)
                return status;
        node = json_object_get(resp, "node");
        ns = hbctl_json_num(node, "interval_ns", &ok);
        if (!ok) {
                ms = hbctl_json_num(node, "interval_ms", &ok);
                ns = ms * 1e6;
        }
        json_decref(resp);
        if (!ok || ns <= 0) {
                hbctl_err("bad response from hbeatd: no interval");
                return HBCTL_EXIT_FAIL;
        }
        *interval_ms = ns / 1e6;
        return HBCTL_EXIT_OK;
}

/* Worst peer's RTT p99 from `members`. Returns an exit status. */
static int daemon_rtt(hbctl_ctx_t *ctx, double *rtt_ms, char *peer,
                      size_t peer_len, size_t *n_measured)
{
        json_t *resp = NULL, *m;
        const json_t *members;
        size_t i;
        int status;

        status = hbctl_call(ctx, "members", NULL, &resp);
        if (status != HBCTL_EXIT_OK)
                return status;
        members = json_object_get(resp, "members");
        *rtt_ms = -1;
        *n_measured = 0;
        json_array_foreach(members, i, m) {
                bool ok;
                double p99 = hbctl_json_num(m, "rtt_p99_ms", &ok);

                if (!ok)
                        continue;
                (*n_measured)++;
                if (p99 > *rtt_ms) {
                        *rtt_ms = p99;
                        snprintf(peer, peer_len, "%s",
                                 hbctl_json_str(m, "name", "?"));
                }
        }
        json_decref(resp);
        if (*n_measured == 0) {
                hbctl_err("hbeatd has no RTT sample of any peer yet (it "
                          "measures one every few heartbeats); try again, "
                          "or give --rtt-ms");
                return HBCTL_EXIT_FAIL;
        }
        return HBCTL_EXIT_OK;
}

static int suggest_rule(hbctl_ctx_t *ctx, const struct opts *o)
{
        double interval_ms = o->interval_ms, rtt_ms = o->rtt_ms;
        char peer[128] = "", d1[HBCTL_DUR_LEN], d2[HBCTL_DUR_LEN],
             d3[HBCTL_DUR_LEN], d4[HBCTL_DUR_LEN], d5[HBCTL_DUR_LEN],
             d6[HBCTL_DUR_LEN];
        double by_interval, by_rtt, k;
        uint64_t interval_ns, timeout_ns, base_ns, def_ns, cross_ns;
        uint64_t pause_ms;
        hb_detector_config_t def;
        size_t n_measured = 0;
        double thr = hb_detector_default_suspect_threshold(HB_DETECTOR_PHI);
        int status;

        if (interval_ms < 0) {
                status = daemon_interval(ctx, &interval_ms);
                if (status != HBCTL_EXIT_OK)
                        return status;
        }
        if (rtt_ms < 0) {
                status = daemon_rtt(ctx, &rtt_ms, peer, sizeof(peer),
                                    &n_measured);
                if (status != HBCTL_EXIT_OK)
                        return status;
        }
        interval_ns = (uint64_t)llround(interval_ms * 1e6);
        by_interval = RULE_INTERVALS * (double)interval_ns;
        by_rtt = RULE_RTTS * rtt_ms * 1e6;
        timeout_ns = (uint64_t)ceil(fmax(by_interval, by_rtt));

        printf("interval:  %s%s\n", hbctl_dur(interval_ns, d1),
               o->interval_ms < 0 ? " (hbeatd's)" : "");
        if (peer[0] != '\0')
                printf("RTT:       %.3f ms (p99 of peer %s, the worst of %zu "
                       "measured)\n", rtt_ms, peer, n_measured);
        else
                printf("RTT:       %.3f ms\n", rtt_ms);
        printf("timeout:   %s = max(3 x interval = %s, 10 x RTT = %s)\n",
               hbctl_dur(timeout_ns, d1),
               hbctl_dur((uint64_t)llround(by_interval), d2),
               hbctl_dur((uint64_t)llround(by_rtt), d3));

        /* Fixed: k missed intervals; 1e-9 absorbs float noise in the
         * division of two exact multiples. */
        k = ceil((double)timeout_ns / (double)interval_ns - 1e-9);
        if (k < 1)
                k = 1;
        printf("\n# fixed detector: suspect after k = ceil(%s / %s) = %.0f "
               "missed intervals\n# (dead 2 intervals later, as the "
               "defaults 3 and 5)\n", hbctl_dur(timeout_ns, d1),
               hbctl_dur(interval_ns, d2), k);
        printf("heartbeat:\n  interval_ms: %" PRIu64 "\n", interval_ns /
               HB_NS_PER_MS);
        printf("detector:\n  kind: fixed\n  suspect_threshold: %.0f\n"
               "  dead_threshold: %.0f\n", k, k + 2);

        /* phi: crossing(pause) = crossing(0) + pause exactly (the pause
         * shifts the mean), but check every candidate on the detector. */
        hb_detector_config_default(&def, HB_DETECTOR_PHI, interval_ns);
        if (phi_crossing(interval_ns, 0, thr, &base_ns) < 0 ||
            phi_crossing(interval_ns, def.acceptable_pause_ns, thr,
                         &def_ns) < 0) {
                hbctl_err("cannot evaluate the phi detector at interval %s",
                          hbctl_dur(interval_ns, d1));
                return HBCTL_EXIT_FAIL;
        }
        pause_ms = timeout_ns > base_ns ?
                   (timeout_ns - base_ns) / HB_NS_PER_MS : 0;
        for (;;) {
                if (phi_crossing(interval_ns, pause_ms * HB_NS_PER_MS, thr,
                                 &cross_ns) < 0) {
                        hbctl_err("cannot evaluate the phi detector");
                        return HBCTL_EXIT_FAIL;
                }
                if (cross_ns >= timeout_ns)
                        break;
                pause_ms++;
        }
        printf("\n# phi detector: the smallest acceptable_pause for which "
               "phi reaches %g no earlier\n# than %s after the last of "
               "steady heartbeats (mean %s, std dev floor %s):\n# phi %g "
               "at %s. With the default pause (%s), phi %g comes at %s.\n", thr, hbctl_dur(timeout_ns, d1),
               hbctl_dur(interval_ns, d2), hbctl_dur(def.min_std_dev_ns, d3),
               thr, hbctl_dur(cross_ns, d4),
               hbctl_dur(def.acceptable_pause_ns, d5), thr,
               hbctl_dur(def_ns, d6));
        printf("heartbeat:\n  interval_ms: %" PRIu64 "\n", interval_ns /
               HB_NS_PER_MS);
        printf("detector:\n  kind: phi\n  suspect_threshold: %g\n"
               "  acceptable_pause_ms: %" PRIu64 "\n", thr, pause_ms);
        printf("\n# The rule is a floor: a longer timeout trades detection "
               "time for fewer false\n# suspicions. Measure yours with "
               "'hbeatctl record' and 'hbeatctl suggest --trace'.\n");
        return hbctl_finish_stdout(HBCTL_EXIT_OK);
}

/* ---- method 2: search on a trace ---------------------------------- */

/* What is searched for one detector kind. */
struct search {
        hb_detector_kind_t kind;
        bool alpha;             /* chen: the margin alpha (ns) at threshold
                                   1; otherwise the suspect threshold */
        double lo, hi, step;    /* range and resolution */
};

/* One detector's answer. */
struct found {
        hb_detector_kind_t kind;
        bool usable;            /* the detector could be evaluated */
        bool meets;             /* some value in range meets the budget */
        bool at_bound;          /* the answer is the range's lower end */
        double value;           /* threshold, or alpha in ns */
        hb_detector_config_t cfg;
        double threshold;
        hbt_qos_result_t q;      /* on the whole trace */
        double td_mean_s, td_max_s;
        double tolerance_ns;    /* shortest silence it suspects */
        int td_points;
        int err;
};

struct trace_ctx {
        const hbt_trace_t *t;
        size_t n_alive;         /* arrivals up to the crash, if any */
        uint64_t interval_ns;
        double max_per_week;
        double alive_s;         /* as the evaluator counts it */
        bool visible;           /* the budget is measurable in alive_s */
        uint64_t max_mistakes;  /* visible: most mistakes allowed */
        /* Visible: the trace cut in N_BLOCKS blocks of equal time, each
         * held to the budget too (unless too short to cut). */
        size_t block[N_BLOCKS + 1];
        bool check_blocks;
        /* Not visible: every silence up to tolerance_ns must pass. */
        double tolerance_ns;
        double tail_x_ns;       /* the fit's answer, before the floor */
        double tail_beta_ns;    /* its scale: ns per e-fold */
        int tail_k;
};

static double per_week(const hbt_qos_result_t *q)
{
        return q->alive_s > 0 ? q->mistakes / q->alive_s * S_PER_WEEK : 0;
}

/* The detector config and threshold for parameter value `v`. */
static void make_cfg(const struct search *s, uint64_t interval_ns, double v,
                     hb_detector_config_t *cfg, double *thr)
{
        hb_detector_config_default(cfg, s->kind, interval_ns);
        if (s->alpha) {
                cfg->chen_alpha_ns = (uint64_t)llround(v);
                *thr = 1.0;
        } else {
                *thr = v;
        }
}

/*
 * P(Poisson(mu) <= m), summed in log space so that large m and mu do not
 * overflow (terms exp(k ln mu - mu - lgamma(k + 1))).
 */
static double poisson_cdf(uint64_t m, double mu)
{
        double sum = 0;

        if (mu <= 0)
                return 1.0;
        for (uint64_t k = 0; k <= m; k++)
                sum += exp((double)k * log(mu) - mu - lgamma((double)k + 1));
        return fmin(sum, 1.0);
}

/*
 * The (1 - CONF_P) upper confidence bound of a Poisson mean after `m`
 * events: the mu with P(Poisson(mu) <= m) = CONF_P (Garwood's exact
 * interval; 2.996 for m = 0, 4.744 for 1, 6.296 for 2). Bisection: the
 * CDF falls as mu grows.
 */
static double poisson_upper(uint64_t m)
{
        double lo = (double)m, hi = 2.0 * (double)m + 10.0;

        while (poisson_cdf(m, hi) > CONF_P)
                hi *= 2;
        for (int i = 0; i < 60; i++) {
                double mid = (lo + hi) / 2;

                if (poisson_cdf(m, mid) > CONF_P)
                        lo = mid;
                else
                        hi = mid;
        }
        return hi;
}

static int cmp_desc(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? 1 : x > y ? -1 : 0;
}

/* Tail depths tried, longest silences first; 0 = n / TAIL_FRACTION. */
static const size_t tail_depths[] = { TAIL_MIN, 30, 100, 0 };
#define N_TAIL_DEPTHS (sizeof(tail_depths) / sizeof(tail_depths[0]))

/*
 * Least-squares line through the k longest of n silences (sorted longest
 * first) on an exponential QQ plot, x_(i) against ln(i / n); answer the
 * x at which the expected count of longer silences in the trace is
 * `events` (budget x alive time), and the scale beta, ns per e-fold.
 * -EDOM if the points show no decay.
 */
static int tail_fit(const uint64_t *gaps, size_t k, size_t n, double events,
                    double *x_out, double *beta_out)
{
        double sx = 0, sy = 0, sxx = 0, sxy = 0, slope, a, den;

        for (size_t i = 0; i < k; i++) {
                double x = (double)gaps[i];
                double y = log((double)(i + 1) / (double)n);

                sx += x;
                sy += y;
                sxx += x * x;
                sxy += x * y;
        }
        den = (double)k * sxx - sx * sx;
        if (!(den > 0))
                return -EDOM;
        slope = ((double)k * sxy - sx * sy) / den;
        if (!(slope < 0) || !isfinite(slope))
                return -EDOM;
        a = (sy - slope * sx) / (double)k;
        /* ln S(x) = a + slope x, S = events / n. */
        *x_out = (log(events / (double)n) - a) / slope;
        *beta_out = -1.0 / slope;
        return 0;
}

/*
 * The budget against the evidence: how many mistakes the trace may show
 * (visible), or the silence every setting must tolerate (tc->tolerance_ns)
 * from the tail of the silences. 0, or -ENOMEM.
 *
 * The tail: the k longest of the n silences, the i-th longest x_(i)
 * plotted against ln(i / n) (an exponential QQ plot: a straight line if
 * P(silence > x) = exp(a - x / beta) there). Least squares give a and
 * beta; the silence that comes at the budget's rate r, n/H x exp(a - x /
 * beta) = r, is x_B = beta (a - ln(r H / n)). The regression, not the
 * mean excess over a threshold, so that lattice-valued silences (whole
 * lost intervals: 5 % loss gives silences of 2, 3, 4 intervals with many
 * ties) get their real decay (ln 20 per interval) rather than one
 * interval per e-fold. Real tails are mixtures (lost heartbeats in the
 * bulk, sender stalls far out), so the fit is made at several depths k
 * (10, 30, 100 and n / TAIL_FRACTION) and the longest answer kept: the
 * regime that decays slowest decides. x_B is never
 * below the longest silence seen nor below the rule of ../shared/seeds/003
 * (RULE_INTERVALS intervals): a trace that cannot show the budget cannot
 * vouch for anything more aggressive than the rule either.
 */
static int plan_budget(struct trace_ctx *tc)
{
        const hbt_arrival_t *arr = tc->t->arrivals;
        double per_s = tc->max_per_week / S_PER_WEEK;
        double events = per_s * tc->alive_s, floor_ns;
        size_t n = tc->n_alive, n_gaps = 0;
        uint64_t *gaps, m = 0;

        tc->visible = events >= poisson_upper(0);
        if (tc->visible) {
                uint64_t t0 = arr[0].arrival_ns;
                uint64_t span = arr[n - 1].arrival_ns - t0;
                size_t i = 0;

                while (poisson_upper(m + 1) <= events)
                        m++;
                tc->max_mistakes = m;
                /*
                 * A rate that drifts within the trace (load comes and
                 * goes) passes on the whole and fails the next hour:
                 * each quarter is held to the budget as well, at its
                 * point estimate (a quarter's own bound would be too
                 * wide to say anything).
                 */
                tc->block[0] = 0;
                tc->check_blocks = true;
                for (int b = 1; b < N_BLOCKS; b++) {
                        uint64_t at = t0 + span / N_BLOCKS * (uint64_t)b;

                        while (i < n && arr[i].arrival_ns < at)
                                i++;
                        tc->block[b] = i;
                }
                tc->block[N_BLOCKS] = tc->t->n;
                for (int b = 0; b < N_BLOCKS; b++)
                        if (tc->block[b + 1] < tc->block[b] + 2)
                                tc->check_blocks = false;  /* too short */
                return 0;
        }
        /* Silences: between arrivals, and after the last one to the end
         * of observation when the peer did not crash. */
        gaps = malloc((n + 1) * sizeof(*gaps));
        if (gaps == NULL)
                return -ENOMEM;
        for (size_t i = 1; i < n; i++)
                gaps[n_gaps++] = arr[i].arrival_ns - arr[i - 1].arrival_ns;
        if (tc->t->crash_ns == HB_NEVER &&
            tc->t->end_ns > arr[n - 1].arrival_ns)
                gaps[n_gaps++] = tc->t->end_ns - arr[n - 1].arrival_ns;
        qsort(gaps, n_gaps, sizeof(*gaps), cmp_desc);
        floor_ns = RULE_INTERVALS * (double)tc->interval_ns;
        if (n_gaps > 0 && (double)gaps[0] > floor_ns)
                floor_ns = (double)gaps[0];
        tc->tail_k = 0;
        tc->tolerance_ns = per_s > 0 ? floor_ns : INFINITY;
        tc->tail_x_ns = -INFINITY;
        for (size_t j = 0; per_s > 0 && j < N_TAIL_DEPTHS; j++) {
                size_t kk = tail_depths[j] ? tail_depths[j]
                                           : n_gaps / TAIL_FRACTION;
                double x, beta;

                if (kk < TAIL_MIN || kk > n_gaps ||
                    (j > 0 && kk <= tail_depths[j - 1]))
                        continue;
                if (tail_fit(gaps, kk, n_gaps, per_s * tc->alive_s, &x,
                             &beta) < 0 || x <= tc->tail_x_ns)
                        continue;
                tc->tail_x_ns = x;
                tc->tail_beta_ns = beta;
                tc->tail_k = (int)kk;
        }
        free(gaps);
        if (tc->tail_x_ns > tc->tolerance_ns)
                tc->tolerance_ns = tc->tail_x_ns;
        return 0;
}

/*
 * Shortest time after an arrival, past the warm-up, at which the detector
 * would cross its threshold: the shortest silence it suspects. 0, or a
 * negative error.
 */
static int min_tolerance(const struct trace_ctx *tc,
                         const hb_detector_config_t *cfg, double thr,
                         double *out)
{
        const hbt_arrival_t *arr = tc->t->arrivals;
        size_t n = tc->n_alive, first;
        hb_detector_t *d;
        double best = INFINITY;
        int r = hb_detector_new(&d, cfg);

        if (r < 0)
                return r;
        first = n > 2 * HB_PHI_WINDOW_DEFAULT ? 2 * HB_PHI_WINDOW_DEFAULT
                                              : n / 2;
        for (size_t i = 0; i < n; i++) {
                uint64_t c;

                hb_detector_heartbeat_sent(d, arr[i].arrival_ns, arr[i].seq,
                                           arr[i].send_ns);
                if (i < first)
                        continue;
                c = hb_detector_crossing_ns(d, thr);
                if (c == HB_NEVER)
                        continue;
                c -= hb_detector_last_arrival_ns(d);
                if ((double)c < best)
                        best = (double)c;
        }
        hb_detector_free(d);
        *out = best;
        return 0;
}

/* Does value `v` meet the budget as planned? 0 (answer in *ok), or a
 * negative error. */
static int meets(const struct trace_ctx *tc, const struct search *s,
                 double v, bool *ok)
{
        hb_detector_config_t cfg;
        hbt_qos_result_t q;
        double thr, tol;
        int r;

        make_cfg(s, tc->interval_ns, v, &cfg, &thr);
        r = hbt_qos_evaluate(&cfg, thr, tc->t->arrivals, tc->t->n,
                             tc->t->crash_ns, tc->t->end_ns, &q);
        if (r < 0)
                return r;
        if (tc->visible) {
                *ok = q.mistakes <= tc->max_mistakes;
                for (int b = 0; *ok && tc->check_blocks && b < N_BLOCKS;
                     b++) {
                        const hbt_arrival_t *arr = tc->t->arrivals;
                        size_t lo = tc->block[b], hi = tc->block[b + 1];
                        bool last = b == N_BLOCKS - 1;

                        r = hbt_qos_evaluate(&cfg, thr, arr + lo, hi - lo,
                                             last ? tc->t->crash_ns
                                                  : HB_NEVER,
                                             last ? tc->t->end_ns
                                                  : arr[hi].arrival_ns,
                                             &q);
                        if (r < 0)
                                return r;
                        *ok = (double)q.mistakes <=
                              tc->max_per_week / S_PER_WEEK * q.alive_s;
                }
                return 0;
        }
        if (q.mistakes > 0) {
                *ok = false;
                return 0;
        }
        r = min_tolerance(tc, &cfg, thr, &tol);
        if (r < 0)
                return r;
        *ok = tol >= tc->tolerance_ns;
        return 0;
}

/* Crash replays: mean and max T_D over up to TD_POINTS crash points. */
static int estimate_td(const struct trace_ctx *tc, struct found *f)
{
        const hbt_arrival_t *arr = tc->t->arrivals;
        size_t n = tc->n_alive, first, i;
        double sum = 0, max = 0;
        int points = 0, k, r;

        /* Skip the warm-up: the first window of samples (phi's default
         * window; the others need no more). */
        first = n > 2 * HB_PHI_WINDOW_DEFAULT ? 2 * HB_PHI_WINDOW_DEFAULT
                                              : n / 2;
        for (k = 0; k < TD_POINTS; k++) {
                size_t start;
                hbt_qos_result_t q;

                i = first + (n - 1 - first) * (size_t)k / (TD_POINTS - 1);
                if (k > 0 && i == first + (n - 1 - first) * (size_t)(k - 1) /
                                      (TD_POINTS - 1))
                        continue;       /* short trace: same point */
                start = i + 1 > TD_HISTORY ? i + 1 - TD_HISTORY : 0;
                r = hbt_qos_evaluate(&f->cfg, f->threshold, arr + start,
                                    i - start + 1, arr[i].arrival_ns,
                                    arr[i].arrival_ns + TD_HORIZON_NS, &q);
                if (r < 0)
                        return r;
                if (isnan(q.detection_s))
                        continue;
                sum += q.detection_s;
                if (q.detection_s > max)
                        max = q.detection_s;
                points++;
        }
        f->td_points = points;
        f->td_mean_s = points > 0 ? sum / points : NAN;
        f->td_max_s = points > 0 ? max : NAN;
        return 0;
}

static void search_kind(const struct trace_ctx *tc, const struct search *s,
                        struct found *f)
{
        double lo = s->lo, hi = s->hi;
        bool ok;
        int r;

        memset(f, 0, sizeof(*f));
        f->kind = s->kind;
        /* The least aggressive value first: if even it does not meet the
         * budget, the budget cannot be met in this range. */
        r = meets(tc, s, hi, &ok);
        if (r < 0) {
                f->err = r;
                return;
        }
        f->usable = true;
        if (!ok) {
                f->value = hi;
        } else {
                r = meets(tc, s, lo, &ok);
                if (r < 0)
                        goto fail;
                if (ok) {
                        hi = lo;
                        f->at_bound = true;
                }
                while (hi - lo > s->step) {
                        double mid = lo + (hi - lo) / 2;

                        r = meets(tc, s, mid, &ok);
                        if (r < 0)
                                goto fail;
                        if (ok)
                                hi = mid;
                        else
                                lo = mid;
                }
                /* Up to the display grid: never below a value that
                 * met the budget (mistakes only fall as it grows). */
                f->value = ceil(hi / s->step - 1e-9) * s->step;
                f->meets = true;
        }
        make_cfg(s, tc->interval_ns, f->value, &f->cfg, &f->threshold);
        r = hbt_qos_evaluate(&f->cfg, f->threshold, tc->t->arrivals, tc->t->n,
                            tc->t->crash_ns, tc->t->end_ns, &f->q);
        if (r == 0)
                r = min_tolerance(tc, &f->cfg, f->threshold,
                                  &f->tolerance_ns);
        if (r == 0)
                r = estimate_td(tc, f);
        if (r == 0)
                return;
fail:
        f->err = r;
        f->usable = false;
}

/* The search range of a kind, or false to skip it. */
static bool search_for(hb_detector_kind_t kind, uint64_t interval_ns,
                       struct search *s)
{
        double def = hb_detector_default_suspect_threshold(kind);

        memset(s, 0, sizeof(*s));
        s->kind = kind;
        s->step = 0.01;
        switch (kind) {
        case HB_DETECTOR_FIXED:
                s->lo = 1.0;            /* < 1: before the next is due */
                s->hi = 1000.0;
                return true;
        case HB_DETECTOR_PHI:
        case HB_DETECTOR_PHI_EXP:
                s->lo = 0.1;
                s->hi = 250.0;          /* phi saturates past ~308 */
                return true;
        case HB_DETECTOR_CHEN:
                s->alpha = true;
                s->step = fmax((double)interval_ns / 10000.0, 1000.0);
                s->lo = s->step;
                s->hi = 50.0 * (double)interval_ns;
                return true;
        default:
                if (!(def > 0))
                        return false;
                s->lo = def / 20.0;
                s->hi = def * 50.0;
                return true;
        }
}

/* Config key (under `detector:`) of chen's alpha, the field the search
 * moves for chen: the core's schema names it. */
static const char *alpha_key(void)
{
        const hb_detector_param_t *p;

        for (size_t i = 0;
             (p = hb_detector_param_at(HB_DETECTOR_CHEN, i, NULL)); i++)
                if (p->offset == offsetof(hb_detector_config_t, chen_alpha_ns))
                        break;
        assert(p != NULL);
        return p->key;
}

/* The parameter as shown in the table and written in the config. */
static void param_text(const struct found *f, char *buf, size_t len)
{
        if (f->kind == HB_DETECTOR_CHEN)
                snprintf(buf, len, "%s %.3f", alpha_key(), f->value / 1e6);
        else
                snprintf(buf, len, "suspect_threshold %.2f", f->value);
}

/* A span of time: "2.9 s", "41 min"-like units up to an hour, then h. */
static const char *fmt_span(double s, char buf[static HBCTL_DUR_LEN])
{
        if (s >= 3600)
                snprintf(buf, HBCTL_DUR_LEN, "%.2f h", s / 3600.0);
        else
                hbctl_dur((uint64_t)llround(s * 1e9), buf);
        return buf;
}

static void fmt_s(double s, char *buf, size_t len)
{
        char d[HBCTL_DUR_LEN];

        if (isnan(s))
                snprintf(buf, len, "-");
        else if (isinf(s))
                snprintf(buf, len, "never");
        else
                snprintf(buf, len, "%s", hbctl_dur((uint64_t)llround(s * 1e9),
                                                   d));
}

static void print_row(const struct found *f)
{
        char param[64], td_mean[32], td_max[32], rate[32];

        if (!f->usable) {
                printf("%-9s  (cannot be evaluated: %s)\n",
                       hb_detector_kind_name(f->kind), hb_strerror(f->err));
                return;
        }
        param_text(f, param, sizeof(param));
        fmt_s(f->td_mean_s, td_mean, sizeof(td_mean));
        fmt_s(f->td_max_s, td_max, sizeof(td_max));
        snprintf(rate, sizeof(rate), "%.3g", per_week(&f->q));
        printf("%-9s  %-26s  %10s  %10s  %8" PRIu64 "  %9s  %9.6f%s\n",
               hb_detector_kind_name(f->kind), param, td_mean, td_max,
               f->q.mistakes, rate, f->q.query_accuracy,
               !f->meets ? "  (not met at the range's end)" :
               f->at_bound ? "  (at the range's end)" : "");
}

static void print_yaml(const struct found *f, uint64_t interval_ns)
{
        double def_s = hb_detector_default_suspect_threshold(f->kind);
        double def_d = hb_detector_default_dead_threshold(f->kind);
        double dead = fmax(def_d, f->threshold + (def_d - def_s));

        printf("heartbeat:\n  interval_ms: %" PRIu64 "\n", interval_ns /
               HB_NS_PER_MS);
        printf("detector:\n  kind: %s\n", hb_detector_kind_name(f->kind));
        if (f->kind == HB_DETECTOR_CHEN)
                printf("  %s: %.3f\n  suspect_threshold: 1\n", alpha_key(),
                       f->value / 1e6);
        else
                printf("  suspect_threshold: %.2f\n", f->value);
        printf("  dead_threshold: %.2f\n", dead);
}

/* Alive time as the evaluator counts it (the same for every kind). */
static int alive_time(struct trace_ctx *tc)
{
        hb_detector_config_t cfg;
        hbt_qos_result_t q;
        int r;

        hb_detector_config_default(&cfg, HB_DETECTOR_FIXED, tc->interval_ns);
        r = hbt_qos_evaluate(&cfg, 1.0, tc->t->arrivals, tc->t->n,
                             tc->t->crash_ns, tc->t->end_ns, &q);
        if (r == 0)
                tc->alive_s = q.alive_s;
        return r;
}

/* What the trace can show about the budget, and the plan. */
static void print_evidence(const struct trace_ctx *tc)
{
        char d1[HBCTL_DUR_LEN], d2[HBCTL_DUR_LEN], d3[HBCTL_DUR_LEN];
        double floor_h = poisson_upper(0) / tc->alive_s * 3600.0;

        printf("evidence: 0 mistakes in %s would show <= %.3g per hour at "
               "95 %% (Poisson);\n", fmt_span(tc->alive_s, d1), floor_h);
        if (tc->visible) {
                printf("          the budget is %.3g per hour: settings "
                       "with at most %" PRIu64 " mistakes here\n"
                       "          are within it at 95 %%.\n",
                       tc->max_per_week / 168.0, tc->max_mistakes);
                return;
        }
        if (!isfinite(tc->tolerance_ns)) {
                printf("          a budget of 0 asks for no mistake at "
                       "all: no finite setting can\n          promise "
                       "that.\n");
                return;
        }
        printf("          the budget, %.3g per hour, is below that: no "
               "count in this trace\n          can show it. Settings "
               "must make no mistake and tolerate every\n          "
               "silence up to %s: ",
               tc->max_per_week / 168.0,
               hbctl_dur((uint64_t)llround(tc->tolerance_ns), d1));
        if (tc->tail_k > 0 && tc->tail_x_ns >= tc->tolerance_ns)
                printf("the silence that comes at that rate by an\n"
                       "          exponential fit to the %d longest "
                       "(%s per e-fold).\n", tc->tail_k,
                       hbctl_dur((uint64_t)llround(tc->tail_beta_ns), d3));
        else if (tc->tail_k > 0)
                printf("the longest seen or %g intervals, whichever\n"
                       "          is more (an exponential fit to the %d "
                       "longest says %s).\n", RULE_INTERVALS, tc->tail_k,
                       hbctl_dur((uint64_t)llround(fmax(tc->tail_x_ns, 0)),
                                 d2));
        else
                printf("the longest seen or %g intervals, whichever\n"
                       "          is more (too few silences to fit a "
                       "tail).\n", RULE_INTERVALS);
        printf("          Record %.0f h to measure the budget instead.\n",
               poisson_upper(0) / (tc->max_per_week / S_PER_WEEK) / 3600.0);
}

static int suggest_trace(const struct opts *o)
{
        char err[512], d1[HBCTL_DUR_LEN], d2[HBCTL_DUR_LEN], td[32];
        hbt_trace_t *t = NULL;
        struct trace_ctx tc = { 0 };
        struct found found[HB_DETECTOR_KIND_END];
        const struct found *best = NULL;
        double span_s;
        int r, n_found = 0;

        r = hbt_read_with(&t, o->trace, &o->read, err, sizeof(err));
        if (r < 0) {
                /* Bad content is bad input, like a bad option. */
                if (r == -EINVAL) {
                        hbctl_err("%s", err);
                        return HBCTL_EXIT_USAGE;
                }
                hbctl_err("cannot read %s: %s", o->trace, strerror(-r));
                return HBCTL_EXIT_FAIL;
        }
        tc.t = t;
        tc.max_per_week = o->max_per_week;
        tc.interval_ns = o->interval_ms > 0 ?
                         (uint64_t)llround(o->interval_ms * 1e6) :
                         t->interval_ns;
        if (tc.interval_ns == 0) {
                hbctl_err("%s has no interval_ns metadata; give "
                          "--interval-ms", o->trace);
                hbt_free(t);
                return HBCTL_EXIT_USAGE;
        }
        tc.n_alive = t->n;
        if (t->crash_ns != HB_NEVER)
                while (tc.n_alive > 0 &&
                       t->arrivals[tc.n_alive - 1].arrival_ns > t->crash_ns)
                        tc.n_alive--;
        if (tc.n_alive < MIN_ARRIVALS) {
                hbctl_err("%s: %zu heartbeats before the end or crash; at "
                          "least %d are needed", o->trace, tc.n_alive,
                          MIN_ARRIVALS);
                hbt_free(t);
                return HBCTL_EXIT_FAIL;
        }

        span_s = (double)(t->arrivals[tc.n_alive - 1].arrival_ns -
                          t->arrivals[0].arrival_ns) / 1e9;
        r = alive_time(&tc);
        if (r == 0)
                r = plan_budget(&tc);
        if (r < 0) {
                hbctl_err("%s: %s", o->trace, strerror(-r));
                hbt_free(t);
                return HBCTL_EXIT_FAIL;
        }
        printf("trace:   %s: peer %s, %zu heartbeats over %s, interval "
               "%s%s\n", o->trace, t->peer[0] ? t->peer : "?", tc.n_alive,
               fmt_span(span_s, d2), hbctl_dur(tc.interval_ns, d1),
               t->crash_ns != HB_NEVER ? ", then a crash" : "");
        printf("budget:  at most %g mistakes (false suspicions) per peer per "
               "week\n", o->max_per_week);
        print_evidence(&tc);
        putchar('\n');
        printf("%-9s  %-26s  %10s  %10s  %8s  %9s  %9s\n", "DETECTOR",
               "SETTING", "T_D MEAN", "T_D MAX", "MISTAKES", "PER WEEK",
               "P_A");

        for (int k = 1; k < HB_DETECTOR_KIND_END; k++) {
                struct search s;
                struct found *f = &found[n_found];

                if (o->any_kind && !o->kinds[k])
                        continue;
                if (!search_for((hb_detector_kind_t)k, tc.interval_ns, &s))
                        continue;
                search_kind(&tc, &s, f);
                if (!f->usable && !o->any_kind)
                        continue;       /* not built in: say nothing */
                print_row(f);
                n_found++;
                if (f->usable && f->meets && isfinite(f->td_mean_s) &&
                    (best == NULL || f->td_mean_s < best->td_mean_s))
                        best = f;
        }

        printf("\nT_D: mean and max over %d replayed crashes, each right "
               "after a heartbeat was sent\n(the one-way delay "
               "excluded). P_A: fraction of alive time trusted.\n",
               best != NULL ? best->td_points : TD_POINTS);

        if (best == NULL) {
                printf("\nNo detector meets the budget within its search "
                       "range on this trace.\n");
        } else {
                fmt_s(best->td_mean_s, td, sizeof(td));
                printf("\n# best: %s, T_D %s (mean); %" PRIu64 " mistakes "
                       "in %s of trace\n# (<= %.3g per hour at 95 %%); "
                       "no silence shorter than %s suspected\n",
                       hb_detector_kind_name(best->kind), td,
                       best->q.mistakes, fmt_span(best->q.alive_s, d2),
                       poisson_upper(best->q.mistakes) /
                               best->q.alive_s * 3600.0,
                       hbctl_dur((uint64_t)llround(best->tolerance_ns), d1));
                print_yaml(best, tc.interval_ns);
        }

        hbt_free(t);
        return hbctl_finish_stdout(best != NULL ? HBCTL_EXIT_OK
                                                : HBCTL_EXIT_FAIL);
}

/* ---- entry -------------------------------------------------------- */

int hbctl_cmd_suggest(hbctl_ctx_t *ctx, int argc, char **argv)
{
        static const struct option lopts[] = {
                { "interval-ms", required_argument, NULL, 'i' },
                { "rtt-ms", required_argument, NULL, 'r' },
                { "trace", required_argument, NULL, 't' },
                { "max-mistakes-per-week", required_argument, NULL, 'm' },
                { "detector", required_argument, NULL, 'D' },
                { "help", no_argument, NULL, 'h' },
                HBT_READ_LONGOPTS,
                { 0 },
        };
        struct opts o = { .interval_ms = -1, .rtt_ms = -1,
                          .max_per_week = -1 };
        const char *cmd = argv[0];
        char err[256];
        int c, r;

        while ((c = hbctl_getopt(cmd, argc, argv, ":i:r:t:m:D:h", lopts)) !=
               -1) {
                switch (c) {
                case 'i':
                        if (parse_num(optarg, 1, 3600000, &o.interval_ms) < 0)
                                return hbctl_usage_error(cmd, "--interval-ms:"
                                        " '%s' is not a number of ms in "
                                        "1..3600000", optarg);
                        break;
                case 'r':
                        if (parse_num(optarg, 0, 3600000, &o.rtt_ms) < 0)
                                return hbctl_usage_error(cmd, "--rtt-ms: '%s'"
                                        " is not a number of ms in "
                                        "0..3600000", optarg);
                        break;
                case 't':
                        o.trace = optarg;
                        break;
                case 'm':
                        if (parse_num(optarg, 0, 1e9, &o.max_per_week) < 0)
                                return hbctl_usage_error(cmd,
                                        "--max-mistakes-per-week: '%s' is "
                                        "not a number >= 0", optarg);
                        break;
                case 'D':
                        if (parse_kinds(cmd, optarg, &o) < 0)
                                return HBCTL_EXIT_USAGE;
                        break;
                case 'h':
                        return hbctl_cmd_help(cmd);
                default:
                        r = hbt_read_opt(&o.read, c, optarg, err,
                                         sizeof(err));
                        if (r < 0)
                                return hbctl_usage_error(cmd, "%s", err);
                        if (r == 0)
                                return HBCTL_EXIT_USAGE;
                        o.any_read = true;
                        break;
                }
        }
        if (optind < argc)
                return hbctl_usage_error(cmd, "unexpected argument '%s'",
                                         argv[optind]);
        if (o.trace == NULL) {
                if (o.max_per_week >= 0 || o.any_kind || o.any_read)
                        return hbctl_usage_error(cmd, "--max-mistakes-per-"
                                                 "week, --detector and the "
                                                 "trace input options need "
                                                 "--trace");
                return suggest_rule(ctx, &o);
        }
        if (o.rtt_ms >= 0)
                return hbctl_usage_error(cmd, "--rtt-ms is for the rule, "
                                         "not with --trace");
        if (o.max_per_week < 0)
                return hbctl_usage_error(cmd, "--trace needs "
                                         "--max-mistakes-per-week N");
        return suggest_trace(&o);
}
