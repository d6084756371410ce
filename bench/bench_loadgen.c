/* SPDX-License-Identifier: MIT */
/*
 * bench_loadgen: send valid, authenticated heartbeats from many simulated
 * peers to one hbeatd, as fast as asked, over loopback UDP (sendmmsg).
 *
 *   bench_loadgen --target 127.0.0.1:7400 --key-file K --cluster 7 \
 *                 --first-id 2 --peers 1000 --rate 200000 --duration 10
 *
 * Peers are node ids first-id .. first-id+peers-1, each with its own
 * sequence; heartbeats are round-robin over peers. --rate 0 sends as fast
 * as possible. Prints what it sent; the receiving side's figures come from
 * hbeatd's own counters (bench/daemon_bench.py reads them).
 *
 * Loopback only: the target must be a 127.0.0.0/8 or ::1 address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hbeat/hbeat.h"

#define BATCH 64

static uint64_t mono_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * HB_NS_PER_S + (uint64_t)ts.tv_nsec;
}

static int read_key(const char *path, hb_key_t *key)
{
        char text[256];
        FILE *f = fopen(path, "r");
        size_t n;

        if (!f)
                return -errno;
        n = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);
        text[n] = '\0';
        return hb_key_from_base64(key, text);
}

static int parse_target(const char *s, struct sockaddr_in *sin)
{
        char host[64];
        unsigned port;

        if (sscanf(s, "%63[0-9.]:%u", host, &port) != 2 || port == 0 ||
            port > 65535)
                return -EINVAL;
        memset(sin, 0, sizeof(*sin));
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
                return -EINVAL;
        if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
                return -EPERM; /* loopback only */
        return 0;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "target", required_argument, NULL, 't' },
                { "key-file", required_argument, NULL, 'k' },
                { "cluster", required_argument, NULL, 'c' },
                { "first-id", required_argument, NULL, 'f' },
                { "peers", required_argument, NULL, 'p' },
                { "rate", required_argument, NULL, 'r' },
                { "duration", required_argument, NULL, 'd' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        const char *target = "127.0.0.1:7400", *key_file = NULL;
        uint32_t cluster = 0, first_id = 2;
        size_t peers = 1000, i;
        double rate = 0, duration = 10;
        struct sockaddr_in sin;
        hb_key_t key;
        hb_keyring_t ring = { 0 };
        uint64_t *seq, incarnation, t0, now, sent = 0, errors = 0;
        uint8_t bufs[BATCH][HB_WIRE_HEARTBEAT_LEN];
        struct mmsghdr mm[BATCH];
        struct iovec iov[BATCH];
        struct timespec wall;
        size_t next_peer = 0;
        int fd, c;

        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 't':
                        target = optarg;
                        break;
                case 'k':
                        key_file = optarg;
                        break;
                case 'c':
                        cluster = (uint32_t)strtoul(optarg, NULL, 10);
                        break;
                case 'f':
                        first_id = (uint32_t)strtoul(optarg, NULL, 10);
                        break;
                case 'p':
                        peers = strtoul(optarg, NULL, 10);
                        break;
                case 'r':
                        rate = strtod(optarg, NULL);
                        break;
                case 'd':
                        duration = strtod(optarg, NULL);
                        break;
                default:
                        fprintf(c == 'h' ? stdout : stderr,
                                "usage: bench_loadgen --key-file K "
                                "[--target 127.0.0.1:PORT] [--cluster N] "
                                "[--first-id N] [--peers N] [--rate HB/S] "
                                "[--duration S]\n");
                        return c == 'h' ? 0 : 2;
                }
        }
        if (!key_file || peers == 0 || first_id == 0) {
                fprintf(stderr, "bench_loadgen: --key-file is required\n");
                return 2;
        }
        if (parse_target(target, &sin) < 0) {
                fprintf(stderr, "bench_loadgen: target must be "
                                "127.x.y.z:PORT\n");
                return 2;
        }
        if (hb_wire_init() < 0 || read_key(key_file, &key) < 0) {
                fprintf(stderr, "bench_loadgen: cannot read key %s\n",
                        key_file);
                return 1;
        }
        /* The daemon's one-key form: key id 0, authenticated. */
        (void)hb_keyring_add(&ring, 0, &key, HB_WIRE_MODE_MAC);
        hb_key_wipe(&key);
        seq = calloc(peers, sizeof(*seq));
        fd = socket(AF_INET, SOCK_DGRAM, 0);
        if (!seq || fd < 0)
                return 1;
        clock_gettime(CLOCK_REALTIME, &wall);
        incarnation = (uint64_t)wall.tv_sec * 1000000 +
                      (uint64_t)wall.tv_nsec / 1000;

        memset(mm, 0, sizeof(mm));
        for (i = 0; i < BATCH; i++) {
                iov[i].iov_base = bufs[i];
                iov[i].iov_len = HB_WIRE_HEARTBEAT_LEN;
                mm[i].msg_hdr.msg_iov = &iov[i];
                mm[i].msg_hdr.msg_iovlen = 1;
                mm[i].msg_hdr.msg_name = &sin;
                mm[i].msg_hdr.msg_namelen = sizeof(sin);
        }
        t0 = mono_ns();
        for (;;) {
                int r;

                now = mono_ns();
                if ((double)(now - t0) >= duration * 1e9)
                        break;
                if (rate > 0 && (double)sent >
                                        rate * (double)(now - t0) / 1e9) {
                        struct timespec ts = { 0, 100 * 1000 };

                        nanosleep(&ts, NULL);
                        continue;
                }
                for (i = 0; i < BATCH; i++) {
                        hb_wire_msg_t m;

                        memset(&m, 0, sizeof(m));
                        m.type = HB_MSG_HEARTBEAT;
                        m.cluster_id = cluster;
                        m.sender_id = first_id + (uint32_t)next_peer;
                        m.incarnation = incarnation;
                        m.seq = ++seq[next_peer];
                        m.send_time_ns = now;
                        hb_wire_encode(bufs[i], sizeof(bufs[i]), &m, &ring,
                                       NULL);
                        next_peer = (next_peer + 1) % peers;
                }
                r = sendmmsg(fd, mm, BATCH, 0);
                if (r < 0)
                        errors++;
                else
                        sent += (uint64_t)r;
        }
        now = mono_ns();
        printf("{\"sent\": %" PRIu64 ", \"seconds\": %.3f, \"rate\": %.0f, "
               "\"send_errors\": %" PRIu64 "}\n",
               sent, (double)(now - t0) / 1e9,
               (double)sent / ((double)(now - t0) / 1e9), errors);
        hb_key_wipe(&key);
        free(seq);
        close(fd);
        return 0;
}
