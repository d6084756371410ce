/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes into hbd_config_load_string().
 *
 * Any result is fine (errors about the key file included) except a crash,
 * a sanitizer report, a leak, or an error message that is not exactly one
 * NUL-terminated line. To let valid configs reach the end of the loader,
 * the fuzzer works in a private temporary directory holding a valid key
 * file named "cluster.key" (the name the examples use: seed the corpus with
 * examples/cluster-3node/n1.yaml etc.) and an executable "notify.sh". Give
 * the corpus as an absolute path: the target changes directory.
 *
 * Build: meson setup build-fuzz -Dfuzz=true with CC=clang, and
 * -Db_sanitize=address,undefined -Dc_args=-fsanitize=fuzzer-no-link so that
 * the loader itself is instrumented for coverage.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put_file(const char *path, const char *text, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

        if (fd < 0 || write(fd, text, strlen(text)) < 0 ||
            fchmod(fd, mode) < 0) {
                perror(path);
                abort();
        }
        close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        char dir[] = "/tmp/hbeat-fuzz-config-XXXXXX";

        (void)argc;
        (void)argv;
        /* Inputs are relative paths: resolve them in a directory we own,
         * which is left behind for inspection. */
        if (!mkdtemp(dir) || chdir(dir) < 0) {
                perror("fuzz_config: temporary directory");
                abort();
        }
        put_file("cluster.key",
                 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", 0600);
        put_file("notify.sh", "#!/bin/sh\nexit 0\n", 0700);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        hbd_config_t *cfg = NULL;
        char err[256];
        int r;

        memset(err, 'x', sizeof err);
        r = hbd_config_load_string(&cfg, "fuzz.yaml", (const char *)data,
                                   size, err, sizeof err);
        if (r == 0) {
                /* Exercise the accessors on what was loaded. */
                if (!cfg || !hbd_config_reloadable(cfg, cfg, NULL))
                        abort();
                for (size_t i = 0; i < cfg->n_peers; i++) {
                        if (hbd_config_peer(cfg, cfg->peers[i].id) == NULL)
                                abort();
                }
                hbd_config_free(cfg);
                return 0;
        }
        if (cfg != NULL || r >= 0)
                abort();
        /* The message is one line, NUL-terminated within the buffer. */
        if (!memchr(err, '\0', sizeof err) || strchr(err, '\n'))
                abort();
        return 0;
}
