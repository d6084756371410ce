/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes into hbd_config_load_string().
 *
 * Any result is fine (errors about the key file included) except a crash,
 * a sanitizer report, a leak, or an error message that is not exactly one
 * NUL-terminated line. To let valid configs reach the end of the loader,
 * the fuzzer works in a private temporary directory holding a valid key
 * file named "cluster.key" (the name the examples use: seed the corpus with
 * examples/cluster-3node/n1.yaml etc.) and an executable "notify.sh": the
 * input is loaded as "DIR/fuzz.yaml", so its relative paths resolve there
 * (configuration.md), without changing directory (review F11: with
 * -jobs, libFuzzer's fuzz-N.log then landed in DIR). The directory is
 * removed at exit.
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

static char dir[] = "/tmp/hbeat-fuzz-config-XXXXXX";
static char yaml_path[sizeof(dir) + 16];

static void path_in(char *buf, size_t len, const char *name)
{
        snprintf(buf, len, "%s/%s", dir, name);
}

static void remove_dir(void)
{
        char path[sizeof(dir) + 16];

        path_in(path, sizeof(path), "cluster.key");
        unlink(path);
        path_in(path, sizeof(path), "notify.sh");
        unlink(path);
        rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        char path[sizeof(dir) + 16];

        (void)argc;
        (void)argv;
        if (!mkdtemp(dir)) {
                perror("fuzz_config: temporary directory");
                abort();
        }
        atexit(remove_dir);
        path_in(path, sizeof(path), "cluster.key");
        put_file(path, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", 0600);
        path_in(path, sizeof(path), "notify.sh");
        put_file(path, "#!/bin/sh\nexit 0\n", 0700);
        /* Never created: only names the directory relative paths are
         * resolved against. */
        path_in(yaml_path, sizeof(yaml_path), "fuzz.yaml");
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        hbd_config_t *cfg = NULL;
        char err[256];
        int r;

        memset(err, 'x', sizeof err);
        r = hbd_config_load_string(&cfg, yaml_path, (const char *)data,
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
