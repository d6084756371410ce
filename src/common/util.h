/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by hbeatd, hbeatctl and hbeat-sim (not part of
 * libhbeat, which does no I/O): socket address text, durations for
 * humans, sets of detector kinds for humans, whole-file reads. All
 * functions are thread-safe and keep no state.
 */
#ifndef HBU_UTIL_H
#define HBU_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>

/* Buffer size that always holds hbu_format_address() output: "[" + IPv6
 * text with a "%scope" suffix + "]:" + port + NUL. */
#define HBU_ADDRESS_MAX 96

/* Buffer size that always holds hbu_format_duration_ns() output. */
#define HBU_DURATION_MAX 32

/* Largest file hbu_read_file() reads, bytes. */
#define HBU_READ_FILE_MAX (16u * 1024u * 1024u)

/*
 * Parse "HOST:PORT" or "[V6]:PORT".
 *
 * HOST is a numeric IPv4 address, a hostname, or (only inside brackets) a
 * numeric IPv6 address, optionally with a "%scope" suffix. A hostname is
 * resolved with getaddrinfo() (any family, AI_ADDRCONFIG off) and the first
 * result is used; numeric addresses never touch the resolver. PORT is a
 * decimal number 1..65535.
 *
 * text:   NUL-terminated (borrowed).
 * out:    receives the address; `*len` its length. Written only on success.
 * err:    on failure, a short reason without the input's position, e.g.
 *         "port 0 is out of range (1..65535)"; may be NULL.
 * Returns 0; -EINVAL (syntax, port, IPv6 without brackets); -ENOENT (the
 * hostname does not resolve).
 */
int hbu_parse_address(const char *text, struct sockaddr_storage *out,
                      socklen_t *len, char *err, size_t errlen);

/*
 * Write an AF_INET/AF_INET6 address as "1.2.3.4:7400" or "[::1]:7400"
 * (numeric, with "%scope" for scoped IPv6). Other families give "?".
 * Always NUL-terminates (truncating when `cap` is short; HBU_ADDRESS_MAX is
 * enough). Returns `buf`.
 */
char *hbu_format_address(const struct sockaddr *sa, char *buf, size_t cap);

/* Same address (family, address, port and IPv6 scope)? */
bool hbu_address_equal(const struct sockaddr *a, const struct sockaddr *b);

/*
 * Write a duration for humans with the largest unit that keeps it >= 1
 * ("ns", "us", "ms", "s") and at most three decimals, trailing zeros
 * removed: 540000000 -> "540 ms", 1250000000 -> "1.25 s", 0 -> "0 ns".
 * Always NUL-terminates (HBU_DURATION_MAX is enough). Returns `buf`.
 */
char *hbu_format_duration_ns(uint64_t ns, char *buf, size_t cap);

/*
 * Read a whole regular file.
 *
 * out:  receives a malloc'ed buffer holding the content plus a NUL
 *       terminator (the content may itself contain NUL bytes); the caller
 *       frees it (and wipes it first if it held a secret).
 * len:  receives the content length, terminator excluded. May be NULL.
 * Returns 0, or a negative errno: from open()/read() (-ENOENT, -EACCES,
 * ...), -EISDIR for a directory, -EINVAL for any other file that is not a
 * regular file (FIFO, device: never blocks on them), -EFBIG if larger than
 * HBU_READ_FILE_MAX, -ENOMEM. `*out` and `*len` are untouched on failure;
 * any partial content read is wiped before it is freed (key files).
 */
int hbu_read_file(const char *path, char **out, size_t *len);

/*
 * Replace the file `path` with `len` bytes of `data`, atomically and
 * durably: the bytes go to a new file in the same directory
 * (PATH.tmp.PID, mode `mode`), which is fsync()ed, then rename()d over
 * `path`, and the directory is fsync()ed. On return 0 the new content is
 * on disk and a crash at any point leaves either the old or the new
 * content at `path`, never a mix or nothing (on file systems that honour
 * fsync and rename, which ext4, xfs and btrfs do).
 *
 * Returns 0, or a negative errno from the failing step (-ENOENT when the
 * directory does not exist, -EACCES, -ENOSPC, -EIO, ...); the temporary
 * file is removed on failure and `path` is left as it was.
 */
int hbu_write_file_durable(const char *path, const void *data, size_t len,
                           mode_t mode);

/*
 * The same without the fsyncs: a crash of the *process* at any point
 * leaves the old or the new content; a crash of the machine may leave
 * either, or an empty or partial file. For data that is only needed
 * across process restarts and whose loss is safe (and cheap enough to
 * write often: no disk wait).
 */
int hbu_write_file_replace(const char *path, const void *data, size_t len,
                           mode_t mode);

/*
 * Parse one "KEY DIGITS\n" line of a state file at *p: KEY exactly, one
 * space, a decimal number <= max without sign or leading space, a
 * newline. On success stores the number in *out, advances *p past the
 * newline and returns true; otherwise returns false and touches nothing.
 */
bool hbu_parse_field(const char **p, const char *key, uint64_t max,
                     uint64_t *out);

/* Buffer size that always holds hbu_kinds_phrase() output. */
#define HBU_KINDS_MAX 96

/*
 * The detector kinds of `kinds` (HB_DETECTOR_KIND_BIT() bits, as the
 * parameter schema gives them) as a phrase for help and docs: "phi only",
 * "phi, phi_exp only", "all kinds but fixed"; "" for every kind (or none).
 * Returns `buf`, HBU_KINDS_MAX bytes.
 */
const char *hbu_kinds_phrase(unsigned kinds, char *buf, size_t cap);

#endif /* HBU_UTIL_H */
