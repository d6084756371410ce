/* SPDX-License-Identifier: MIT */
/*
 * `hbeatctl push --url URL --peer NAME --token FILE [--interval-ms MS]
 * [--count N] [--timeout-ms MS]`: send HTTP push heartbeats for a push
 * peer (peers[].push: http) to hbeatd's HTTP listener, the way a program
 * that runs no hbeatd would (docs/http.md, "Push").
 *
 * Each heartbeat is `POST URL/v1/push/NAME` (libcurl, no body) with
 * X-Hbeat-Counter (this host's wall clock in microseconds, forced to grow
 * by at least 1 from one push to the next) and X-Hbeat-Auth, the
 * HMAC-SHA-256 of the token over the path and the counter
 * (src/common/push.h; the token never travels). Once (the default), or
 * every --interval-ms until --count pushes were sent or the process is
 * stopped; each refusal or transport error is printed. Exit status: 0
 * when the last push was accepted, 1 otherwise, 2 for a bad command line
 * or token file.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "cli/hbctl.h"
#include "common/push.h"
#include "common/util.h"
#include "config/config.h"
#include "hbeat/wire.h"

/* The answer's body, kept for messages (hbeatd's are short). */
struct body {
        char text[256];
        size_t len;
};

static size_t keep_body(char *ptr, size_t size, size_t nmemb, void *u)
{
        struct body *b = u;
        size_t n = size * nmemb, room = sizeof(b->text) - 1 - b->len;

        memcpy(b->text + b->len, ptr, n < room ? n : room);
        b->len += n < room ? n : room;
        b->text[b->len] = '\0';
        return n;
}

static uint64_t wall_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* One push; true when hbeatd accepted it. */
static bool push_once(CURL *e, const char *url, const char *peer,
                      const hb_key_t *key, uint64_t counter, long timeout_ms,
                      bool quiet)
{
        char ctr[24], mac[HBP_PUSH_MAC_HEX + 1], h1[64], h2[96];
        char err[CURL_ERROR_SIZE] = "";
        struct curl_slist *hdrs = NULL;
        struct body body = { .len = 0 };
        long status = 0;
        CURLcode rc;

        snprintf(ctr, sizeof ctr, "%" PRIu64, counter);
        if (hbp_push_mac(key, peer, ctr, mac) < 0) {
                hbctl_err("push: cannot sign for peer '%s'", peer);
                return false;
        }
        snprintf(h1, sizeof h1, "%s: %s", HBP_PUSH_COUNTER_HEADER, ctr);
        snprintf(h2, sizeof h2, "%s: %s", HBP_PUSH_AUTH_HEADER, mac);
        hdrs = curl_slist_append(hdrs, h1);
        hdrs = curl_slist_append(hdrs, h2);
        body.text[0] = '\0';
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_USERAGENT, "hbeatctl/" HB_VERSION_STRING);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, err);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, keep_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
        rc = curl_easy_perform(e);
        curl_slist_free_all(hdrs);
        if (rc != CURLE_OK) {
                hbctl_err("push: %s: %s", url,
                          err[0] ? err : curl_easy_strerror(rc));
                return false;
        }
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        while (body.len > 0 && (body.text[body.len - 1] == '\n' ||
                                body.text[body.len - 1] == '\r'))
                body.text[--body.len] = '\0';
        if (status != 200) {
                hbctl_err("push: %s: refused, HTTP %ld %s", url, status,
                          body.text);
                return false;
        }
        if (!quiet)
                printf("pushed %s counter %s\n", peer, ctr);
        return true;
}

/* The token: a key file's base64 (hbeatctl keygen). 0 or -1 (printed). */
static int read_token(const char *path, hb_key_t *key)
{
        char *text = NULL;
        size_t len = 0;
        int r = hbu_read_file(path, &text, &len);

        if (r < 0) {
                hbctl_err("push: cannot read token file %s: %s", path,
                          strerror(-r));
                return -1;
        }
        r = hb_key_from_base64(key, text);
        sodium_memzero(text, len);
        free(text);
        if (r < 0) {
                hbctl_err("push: token file %s: not a key (base64 of 32 "
                          "bytes, as hbeatctl keygen writes)", path);
                return -1;
        }
        return 0;
}

static bool parse_u64(const char *s, uint64_t *out)
{
        char *end;

        errno = 0;
        *out = strtoull(s, &end, 10);
        return *s >= '0' && *s <= '9' && *end == '\0' && errno == 0;
}

int hbctl_cmd_push(hbctl_ctx_t *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                { "url", required_argument, NULL, 'u' },
                { "peer", required_argument, NULL, 'p' },
                { "token", required_argument, NULL, 't' },
                { "interval-ms", required_argument, NULL, 'i' },
                { "count", required_argument, NULL, 'n' },
                { "timeout-ms", required_argument, NULL, 'T' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        const char *base = NULL, *peer = NULL, *token = NULL;
        uint64_t interval_ms = 0, count = 0, timeout_ms = 2000, sent = 0;
        uint64_t last = 0;
        bool quiet = false, ok = false;
        char *url = NULL;
        hb_key_t key;
        CURL *e;
        int c;

        (void)ctx;
        while ((c = hbctl_getopt(argv[0], argc, argv, ":u:p:t:i:n:T:qh",
                                 opts)) != -1) {
                switch (c) {
                case 'u':
                        base = optarg;
                        break;
                case 'p':
                        peer = optarg;
                        break;
                case 't':
                        token = optarg;
                        break;
                case 'i':
                        if (!parse_u64(optarg, &interval_ms) ||
                            interval_ms > 86400000u)
                                return hbctl_usage_error(argv[0], "bad "
                                        "--interval-ms '%s' (0..86400000)",
                                        optarg);
                        break;
                case 'n':
                        if (!parse_u64(optarg, &count))
                                return hbctl_usage_error(argv[0], "bad "
                                        "--count '%s'", optarg);
                        break;
                case 'T':
                        if (!parse_u64(optarg, &timeout_ms) ||
                            timeout_ms < 1 || timeout_ms > 3600000u)
                                return hbctl_usage_error(argv[0], "bad "
                                        "--timeout-ms '%s' (1..3600000)",
                                        optarg);
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'h':
                        return hbctl_cmd_help(argv[0]);
                default:
                        return HBCTL_EXIT_USAGE;
                }
        }
        if (optind < argc)
                return hbctl_usage_error(argv[0], "unexpected argument '%s'",
                                         argv[optind]);
        if (!base || !peer || !token)
                return hbctl_usage_error(argv[0], "--url, --peer and --token "
                                         "are needed");
        if (strlen(peer) == 0 || strlen(peer) > HBD_NAME_MAX ||
            strspn(peer, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789._-") != strlen(peer))
                return hbctl_usage_error(argv[0], "bad peer name '%s'",
                                         peer);
        if (hb_wire_init() < 0 || read_token(token, &key) < 0)
                return HBCTL_EXIT_USAGE;
        if (asprintf(&url, "%s%s%s", base,
                     base[strlen(base) - 1] == '/' ? HBP_PUSH_PATH_PREFIX + 1
                                                   : HBP_PUSH_PATH_PREFIX,
                     peer) < 0 ||
            curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
            (e = curl_easy_init()) == NULL) {
                hbctl_err("push: out of memory");
                hb_key_wipe(&key);
                return HBCTL_EXIT_FAIL;
        }
        for (;;) {
                uint64_t now = wall_us();
                uint64_t ctr = now > last ? now : last + 1;
                struct timespec ts = {
                        .tv_sec = (time_t)(interval_ms / 1000),
                        .tv_nsec = (long)(interval_ms % 1000) * 1000000L,
                };

                last = ctr;
                ok = push_once(e, url, peer, &key, ctr, (long)timeout_ms,
                               quiet);
                fflush(stdout);
                sent++;
                if (interval_ms == 0 || (count > 0 && sent >= count))
                        break;
                while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                        ;
        }
        curl_easy_cleanup(e);
        free(url);
        hb_key_wipe(&key);
        return ok ? HBCTL_EXIT_OK : HBCTL_EXIT_FAIL;
}
