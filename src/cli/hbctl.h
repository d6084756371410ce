/* SPDX-License-Identifier: MIT */
/*
 * hbeatctl internals: the context shared by the subcommands, the control
 * socket client (ctl_client.c) and small output helpers.
 *
 * hbeatctl talks to hbeatd only through the control socket
 * (docs/control-protocol.md); the offline commands (keygen, check-config,
 * suggest with all its inputs given) use libhbeat, the config loader and
 * the trace reader directly and never touch the daemon.
 *
 * Conventions: every command function returns the process exit status
 * (HBCTL_EXIT_*), and prints its own errors to stderr, prefixed
 * "hbeatctl: " (hbctl_err()). Normal output goes to stdout.
 */
#ifndef HBCTL_H
#define HBCTL_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/util.h"

/* Exit statuses (see hbeatctl(8), "EXIT STATUS"). */
enum {
        HBCTL_EXIT_OK = 0,      /* success */
        HBCTL_EXIT_FAIL = 1,    /* daemon unreachable, ok:false, I/O */
        HBCTL_EXIT_USAGE = 2,   /* bad command line; invalid config */
};

/*
 * How long a request waits for its response. A daemon that accepted the
 * connection but does not answer is stuck; better to say so than to hang a
 * script forever. Not applied to `events --follow`, which waits for events.
 */
#define HBCTL_TIMEOUT_MS 10000

/* Room for one hbu_format_duration_ns() result. */
#define HBCTL_DUR_LEN HBU_DURATION_MAX

/* Global options and state, built by main.c. */
typedef struct hbctl_ctx {
        const char *arg_socket;  /* -s/--socket, or NULL */
        const char *arg_config;  /* -c/--config, or NULL */
        char *socket_path;       /* resolved on first use, owned */
} hbctl_ctx_t;

/* A subcommand; the table lives in main.c. */
typedef struct hbctl_cmd {
        const char *name;
        /* argv[0] is the command name; returns an exit status. */
        int (*fn)(hbctl_ctx_t *ctx, int argc, char **argv);
        const char *synopsis;    /* arguments after the name */
        const char *description; /* one line */
        const char *options;     /* option lines for --help, or NULL */
} hbctl_cmd_t;

/* main.c */
void hbctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * getopt_long() for a command: reports bad or incomplete options itself
 * (naming `cmd`, or none for the global options) and returns '?' then.
 * `shortopts` must start with ':' (after an optional '+'). Reset `optind`
 * to 0 before the first call for a new argv.
 */
int hbctl_getopt(const char *cmd, int argc, char **argv,
                 const char *shortopts, const struct option *longopts);
/* Print "hbeatctl: CMD: MSG" and a pointer to --help; returns EXIT_USAGE. */
int hbctl_usage_error(const char *cmd, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Print the help of a command to stdout; returns EXIT_OK. */
int hbctl_cmd_help(const char *cmd);
/*
 * Options of a command that takes only [--json] [--help] and no argument:
 * sets *json; returns -1 to go on, or an exit status to return at once
 * (after --help, or a usage error).
 */
int hbctl_parse_json_only(int argc, char **argv, bool *json);
/*
 * The shape of a read-only command that takes only [--json]: send `cmd`,
 * print the answer as JSON or with `print`; `judge` (may be NULL) maps the
 * answer to an exit status (HBCTL_EXIT_OK or _FAIL) after printing.
 */
int hbctl_query(hbctl_ctx_t *ctx, int argc, char **argv, const char *cmd,
                void (*print)(const json_t *resp),
                int (*judge)(const json_t *resp));
/*
 * The control socket path: -s, else -c's control.socket, else
 * $HBEAT_SOCKET, else HBP_DEFAULT_SOCKET. NULL (error printed) when the
 * -c config cannot be loaded.
 */
const char *hbctl_socket_path(hbctl_ctx_t *ctx);
/* Format a duration with hbu_format_duration_ns(); returns `buf`. */
const char *hbctl_dur(uint64_t ns, char buf[static HBCTL_DUR_LEN]);
/* Flush stdout and report a write error; returns an exit status. */
int hbctl_finish_stdout(int status);

/* ctl_client.c: blocking client of the control socket. */
typedef struct hbctl_conn hbctl_conn_t;

/*
 * Connect to `path`. On failure prints why, naming the path, and returns
 * a negative errno; `*ret` is untouched.
 */
int hbctl_conn_open(hbctl_conn_t **ret, const char *path);
/* Close and free; NULL is a no-op. */
void hbctl_conn_close(hbctl_conn_t *conn);
/* Send `req` as one compact JSON line. 0, or -errno (error printed). */
int hbctl_conn_send(hbctl_conn_t *conn, const json_t *req);
/*
 * Read one line (at most HBP_MAX_LINE bytes) and parse it as a JSON
 * object. `timeout_ms` < 0 waits forever.
 *
 * `*obj`: new reference, the caller's to json_decref().
 * `raw`, `raw_len` (either may be NULL): the line as received, newline
 * excluded, borrowed until the next call or close.
 *
 * Returns 1 for a line; 0 at end of stream (daemon closed between lines);
 * -EINTR if interrupted by SIGINT/SIGTERM after hbctl_catch_signals()
 * (nothing printed); another negative errno otherwise (error printed).
 */
int hbctl_conn_recv(hbctl_conn_t *conn, int timeout_ms, json_t **obj,
                    const char **raw, size_t *raw_len);
/*
 * Make SIGINT and SIGTERM interrupt hbctl_conn_recv() (returning -EINTR)
 * instead of killing the process, so a stream ends cleanly. Signals are
 * held blocked outside the wait, so none is lost between two reads.
 */
int hbctl_catch_signals(void);

/*
 * Wait until `fd` is readable, at most `timeout_ms` (< 0: for ever); a
 * SIGINT or SIGTERM caught by hbctl_catch_signals() ends the wait.
 * 0 (readable), -ETIMEDOUT, -EINTR (signal), or another -errno.
 */
int hbctl_wait_readable(int fd, int timeout_ms);
/* The same for poll(2) `events` (POLLOUT: a connect() completed). */
int hbctl_wait_fd(int fd, short events, int timeout_ms);
/*
 * Check a response's "ok". On false prints the daemon's "error" and
 * returns EXIT_FAIL; else EXIT_OK.
 */
int hbctl_check_ok(const json_t *resp);
/*
 * One request, one response: connect, send {"cmd": cmd} plus the members
 * of `extra` (may be NULL), read one line, check "ok".
 * Returns an exit status; on EXIT_OK `*resp` is the response (new
 * reference).
 */
int hbctl_call(hbctl_ctx_t *ctx, const char *cmd, const json_t *extra,
               json_t **resp);

/* JSON field access for display: absent or wrong type -> the fallback. */
const char *hbctl_json_str(const json_t *obj, const char *key,
                           const char *fallback);
/* Integer or real field as double; `*ok` false (when given) if absent. */
double hbctl_json_num(const json_t *obj, const char *key, bool *ok);
/* Print a JSON value to stdout, indented (pretty) or compact. */
int hbctl_json_print(const json_t *v, bool pretty);

/* ---- tables (table.c): `members`, `links` ----------------------------- */

/* The most columns a table has. */
#define HBCTL_TABLE_MAX_COLS 16

typedef struct hbctl_column {
        const char *title;
        bool right;                    /* right-aligned (numbers) */
} hbctl_column_t;

/* printf() into a new string (free()); NULL on allocation failure. */
char *hbctl_fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
/* Cells: the duration `key` (ms) of `m`, or null_text when absent or
 * negative; its suspicion (">1000" past 1000, "-" if absent); its RTT as
 * "median/p99 ms" ("-" without samples). New strings, NULL when out of
 * memory. */
char *hbctl_fmt_age(const json_t *m, const char *key, const char *null_text);
char *hbctl_fmt_suspicion(const json_t *m);
char *hbctl_fmt_rtt(const json_t *m);
/*
 * Print the array `rows` as a table under the titles of `cols` (n_cols,
 * 1 .. HBCTL_TABLE_MAX_COLS): fill() sets the n_cols cells of one row
 * (strings the table frees; a NULL cell means out of memory). Columns are
 * as wide as their widest cell. Returns HBCTL_EXIT_OK, or HBCTL_EXIT_FAIL
 * after an error message.
 */
int hbctl_print_table(const hbctl_column_t *cols, size_t n_cols,
                      const json_t *rows,
                      void (*fill)(char **cells, const json_t *row));

/* The commands. */
int hbctl_cmd_status(hbctl_ctx_t *ctx, int argc, char **argv);
int hbctl_cmd_subscribe(hbctl_ctx_t *ctx, int argc, char **argv);
/* cmd_events.c: one event object as `events` prints it for humans. */
void hbctl_print_event_human(const json_t *ev);
int hbctl_cmd_reload(hbctl_ctx_t *ctx, int argc, char **argv);
int hbctl_cmd_forget(hbctl_ctx_t *ctx, int argc, char **argv);
int hbctl_cmd_members(hbctl_ctx_t *ctx, int argc, char **argv);
int hbctl_cmd_links(hbctl_ctx_t *ctx, int argc, char **argv);
int hbctl_cmd_leader(hbctl_ctx_t *ctx, int argc, char **argv);
int hbctl_cmd_quorum(hbctl_ctx_t *ctx, int argc, char **argv);
int hbctl_cmd_checks(hbctl_ctx_t *ctx, int argc, char **argv);
int hbctl_cmd_events(hbctl_ctx_t *ctx, int argc, char **argv);
int hbctl_cmd_keygen(hbctl_ctx_t *ctx, int argc, char **argv);
/* cmd_push.c */
int hbctl_cmd_push(hbctl_ctx_t *ctx, int argc, char **argv);
int hbctl_cmd_check_config(hbctl_ctx_t *ctx, int argc, char **argv);
int hbctl_cmd_config(hbctl_ctx_t *ctx, int argc, char **argv);
int hbctl_cmd_record(hbctl_ctx_t *ctx, int argc, char **argv);
int hbctl_cmd_suggest(hbctl_ctx_t *ctx, int argc, char **argv);

#endif /* HBCTL_H */
