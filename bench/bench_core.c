/* SPDX-License-Identifier: MIT */
/*
 * bench_core: heartbeats per second through the core path in one process,
 * and memory per monitored peer.
 *
 * Core path = what hbeatd does for every datagram after recvmmsg():
 * hb_node_recv() — decode, MAC verify (keyed BLAKE2b-128), peer lookup,
 * replay check, detector update, state machine, deadline heap update —
 * plus hb_node_tick() whenever the next deadline is due and the drain of
 * the node's output queue after each call, exactly as the libuv adapter
 * (src/io/uv_node.c) calls them. Heartbeats are pre-encoded by real
 * sender nodes so that encoding is not measured; they ask for no echo (the
 * figures before the single output queue measured no ACK either).
 *
 * This is a benchmark, not a test: it reports figures (docs/benchmarks.md)
 * and asserts nothing about speed.
 *
 *   bench_core [--peers N] [--rounds K] [--detector phi|fixed]
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hbeat/hbeat.h"

#define MS HB_NS_PER_MS

static uint64_t mono_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * HB_NS_PER_S + (uint64_t)ts.tv_nsec;
}

static long rss_kib(void)
{
        FILE *f = fopen("/proc/self/statm", "r");
        long pages = 0, rss = 0;

        if (!f)
                return -1;
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
                rss = -1;
        fclose(f);
        return rss * 4;
}

static hb_node_config_t config(uint32_t id, hb_detector_kind_t kind)
{
        hb_node_config_t c;

        hb_node_config_default(&c, kind, 100 * MS);
        c.cluster_id = 7;
        c.node_id = id;
        c.incarnation = 1;
        memset(c.key.bytes, 0x11, sizeof(c.key.bytes));
        return c;
}

/* What the adapter does after every call into the node: take the queued
 * messages (the rx node queues its own heartbeats; nothing is sent). */
static void drain(hb_node_t *n)
{
        uint8_t buf[HB_OUTPUT_MAX_LEN];
        hb_output_t out;

        while (hb_node_poll_output(n, &out, buf, sizeof(buf)) > 0)
                ;
}

static void bench_path(size_t n_peers, size_t rounds, hb_detector_kind_t kind)
{
        hb_node_config_t c = config(1, kind);
        hb_node_t *rx;
        uint8_t *msgs;
        uint64_t now = 1000 * HB_NS_PER_S, t0, t1, ticks = 0;
        size_t total = n_peers * rounds, k, i;
        hb_node_counters_t cnt;

        msgs = malloc(total * HB_WIRE_HEARTBEAT_LEN);
        if (!msgs || hb_node_new(&rx, &c, NULL, NULL) < 0) {
                fprintf(stderr, "bench_core: out of memory\n");
                exit(1);
        }
        for (i = 0; i < n_peers; i++) {
                hb_node_config_t sc = config((uint32_t)i + 2, kind);
                hb_output_t out;
                hb_node_t *tx;

                sc.rtt_probe_every = 0;
                if (hb_node_new(&tx, &sc, NULL, NULL) < 0 ||
                    hb_node_peer_add(rx, (uint32_t)i + 2, now) < 0)
                        exit(1);
                for (k = 0; k < rounds; k++)
                        if (hb_node_heartbeat_now(tx, now) < 0 ||
                            hb_node_poll_output(
                                    tx, &out,
                                    msgs + (k * n_peers + i) *
                                                   HB_WIRE_HEARTBEAT_LEN,
                                    HB_WIRE_HEARTBEAT_LEN) !=
                                    HB_WIRE_HEARTBEAT_LEN)
                                exit(1);
                hb_node_free(tx);
        }

        /* Every peer beats every 100 ms of virtual time, spread evenly. */
        t0 = mono_ns();
        for (k = 0; k < rounds; k++) {
                for (i = 0; i < n_peers; i++) {
                        now += 100 * MS / n_peers;
                        hb_node_recv(rx, now,
                                     msgs + (k * n_peers + i) *
                                                    HB_WIRE_HEARTBEAT_LEN,
                                     HB_WIRE_HEARTBEAT_LEN, NULL);
                        drain(rx);
                        if (hb_node_next_deadline(rx) <= now) {
                                hb_node_tick(rx, now);
                                drain(rx);
                                ticks++;
                        }
                }
        }
        t1 = mono_ns();
        hb_node_counters(rx, &cnt);
        printf("core path  %-5s peers=%-6zu heartbeats=%-9zu "
               "%.2f M heartbeats/s  (%.0f ns each; accepted %" PRIu64
               ", dropped %" PRIu64 ", transitions %" PRIu64 ")\n",
               hb_detector_kind_name(kind), n_peers, total,
               (double)total / ((double)(t1 - t0) / 1e9) / 1e6,
               (double)(t1 - t0) / (double)total, cnt.rx_accepted,
               cnt.rx_dropped, cnt.transitions);
        hb_node_free(rx);
        free(msgs);
}

static void bench_memory(size_t n_peers, hb_detector_kind_t kind)
{
        hb_node_config_t c = config(1, kind);
        hb_node_t *n;
        long before, after;
        size_t i;

        before = rss_kib();
        if (hb_node_new(&n, &c, NULL, NULL) < 0)
                exit(1);
        for (i = 0; i < n_peers; i++)
                if (hb_node_peer_add(n, (uint32_t)i + 2, 0) < 0)
                        exit(1);
        after = rss_kib();
        printf("memory     %-5s peers=%-6zu accounted %zu B/peer, "
               "measured RSS %.0f B/peer\n",
               hb_detector_kind_name(kind), n_peers,
               hb_node_peer_memory(n),
               (double)(after - before) * 1024.0 / (double)n_peers);
        hb_node_free(n);
}

static void bench_detector(hb_detector_kind_t kind)
{
        hb_detector_config_t dc;
        hb_detector_t *d;
        const size_t n = 20 * 1000 * 1000;
        uint64_t now = 0, t0, t1;
        double sink = 0;
        size_t i;

        hb_detector_config_default(&dc, kind, 100 * MS);
        if (hb_detector_new(&d, &dc) < 0)
                exit(1);
        t0 = mono_ns();
        for (i = 0; i < n; i++) {
                now += 100 * MS + (i % 7) * 1000;
                hb_detector_heartbeat(d, now);
                sink += hb_detector_suspicion(d, now + 550 * MS);
        }
        t1 = mono_ns();
        printf("detector   %-5s arrivals=%zu %.1f M arrivals/s "
               "(heartbeat + suspicion; checksum %.3g)\n",
               hb_detector_kind_name(kind), n,
               (double)n / ((double)(t1 - t0) / 1e9) / 1e6, sink);
        hb_detector_free(d);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "peers", required_argument, NULL, 'p' },
                { "rounds", required_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        size_t peers = 1000, rounds = 2000;
        int c;

        while ((c = getopt_long(argc, argv, "p:r:h", opts, NULL)) != -1) {
                switch (c) {
                case 'p':
                        peers = strtoul(optarg, NULL, 10);
                        break;
                case 'r':
                        rounds = strtoul(optarg, NULL, 10);
                        break;
                default:
                        printf("usage: bench_core [--peers N] "
                               "[--rounds K]\n");
                        return c == 'h' ? 0 : 2;
                }
        }
        if (peers == 0 || rounds == 0)
                return 2;
        bench_path(peers, rounds, HB_DETECTOR_PHI);
        bench_path(peers, rounds, HB_DETECTOR_FIXED);
        bench_path(10, rounds * 100, HB_DETECTOR_PHI);
        bench_detector(HB_DETECTOR_PHI);
        bench_detector(HB_DETECTOR_FIXED);
        /* Each memory figure in a fresh child, so that memory freed by an
         * earlier run cannot be reused and hide the cost. */
        for (int k = 0; k < 2; k++) {
                pid_t pid;

                fflush(stdout);
                pid = fork();
                if (pid == 0) {
                        bench_memory(100000, k == 0 ? HB_DETECTOR_PHI
                                                    : HB_DETECTOR_FIXED);
                        fflush(stdout);
                        _exit(0);
                }
                if (pid > 0)
                        waitpid(pid, NULL, 0);
        }
        printf("wire       plain heartbeat = %u bytes on the wire "
               "(+8 UDP +20 IPv4 = %u bytes per packet)\n",
               HB_WIRE_HEARTBEAT_LEN, HB_WIRE_HEARTBEAT_LEN + 28);
        return 0;
}
