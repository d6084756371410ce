/* SPDX-License-Identifier: MIT */
/*
 * `hbeatctl config schema --md|--man`: print every key of hbeatd's
 * configuration from the knob table itself (hbd_config_knob(), with the
 * detector keys of the core's schema), as the Markdown table of
 * docs/configuration.md or the man page entries of hbeatd.yaml(5).
 *
 * Those two files hold this output between "BEGIN GENERATED" and "END
 * GENERATED" markers; scripts/config-docs puts it there (`make docs`) and
 * the unit test config_docs fails when they differ. So the tables never
 * describe the keys by hand: a new knob, a new range or default is in
 * the docs after `make docs`, and only then do the tests pass.
 *
 * Offline: no daemon, no file read. The output depends on nothing but
 * the binary.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/hbctl.h"
#include "config/config.h"
#include "hbeat/hbeat.h"

enum format { FMT_MD, FMT_MAN };

/* What a knob is valid with, as the start of its meaning: "Election only.
 * With realtime.enabled. phi only. " (each part when it applies). */
static const char *scope(const hbd_knob_t *kn, char *buf, size_t len)
{
        char kinds[HBU_KINDS_MAX];

        hbu_kinds_phrase(kn->kinds, kinds, sizeof kinds);
        snprintf(buf, len, "%s%s%s%s", kn->election_only ? "Election only. "
                                                        : "",
                 kn->realtime_only ? "With realtime.enabled. " : "", kinds,
                 kinds[0] ? ": " : "");
        return buf;
}

/* The default as the docs show it. */
static const char *default_of(const hbd_knob_t *kn)
{
        if (kn->required)
                return "required";
        if (kn->default_text[0] == '\0')
                return "none";
        return kn->default_text;
}

/* Markdown table cell text: '|' would end the cell. */
static void md_text(const char *s)
{
        for (; *s; s++) {
                if (*s == '|')
                        putchar('\\');
                putchar(*s);
        }
}

/* roff text: '\' and '-' escaped, no line may start with a control
 * character ('.' or '\''). */
static void man_text(const char *s, bool line_start)
{
        for (; *s; s++) {
                if (line_start && (*s == '.' || *s == '\''))
                        fputs("\\&", stdout);
                line_start = false;
                if (*s == '\\')
                        fputs("\\e", stdout);
                else if (*s == '-')
                        fputs("\\-", stdout);
                else
                        putchar(*s);
        }
}

static const char *reload_md(hbd_reload_t r)
{
        switch (r) {
        case HBD_RELOAD_YES:
                return "yes";
        case HBD_RELOAD_NO:
                return "**no**";
        case HBD_RELOAD_NO_ELECTION:
                return "**no** with election";
        }
        return "?";
}

static const char *reload_man(hbd_reload_t r)
{
        switch (r) {
        case HBD_RELOAD_YES:
                return "";
        case HBD_RELOAD_NO:
                return " (restart)";
        case HBD_RELOAD_NO_ELECTION:
                return " (restart with election)";
        }
        return "";
}

/* Defaults that are strings (not numbers, rules, booleans or words like
 * "required") are code. */
static bool default_is_code(const hbd_knob_t *kn)
{
        return !kn->required && kn->default_text[0] && !kn->numeric &&
               strcmp(kn->type, "bool") != 0;
}

static void md_key(const hbd_knob_t *kn)
{
        char sc[160];

        printf("| `%s` | %s | %s | ", kn->path, kn->type, kn->unit);
        if (default_is_code(kn))
                printf("`%s`", kn->default_text);
        else
                md_text(default_of(kn));
        fputs(" | ", stdout);
        md_text(kn->range);
        printf(" | %s | ", reload_md(kn->reload));
        md_text(scope(kn, sc, sizeof sc));
        md_text(kn->help);
        puts(" |");
}

static void man_key(const hbd_knob_t *kn)
{
        char sc[160];

        printf(".TP\n.BR %s \" (", kn->path);
        man_text(kn->type, false);
        if (kn->unit[0]) {
                fputs(", ", stdout);
                man_text(kn->unit, false);
        }
        fputs(kn->required ? ", " : ", default ", stdout);
        man_text(default_of(kn), false);
        if (kn->range[0]) {
                fputs("; ", stdout);
                man_text(kn->range, false);
        }
        printf(")%s\"\n", reload_man(kn->reload));
        man_text(scope(kn, sc, sizeof sc), true);
        man_text(kn->help, sc[0] == '\0');
        putchar('\n');
}

/* The config keys of one detector kind, "`window`, `chen_alpha_ms`". */
static void kind_keys(hb_detector_kind_t kind, enum format fmt)
{
        const hb_detector_param_t *p;
        int n = 0;

        for (size_t i = 0; (p = hb_detector_param_at(kind, i, NULL)); i++) {
                if (p->flags & HB_DETECTOR_PARAM_EXPERT)
                        continue;
                if (fmt == FMT_MD) {
                        printf("%s`%s`", n++ ? ", " : "", p->key);
                } else {
                        fputs(n++ ? ", " : "", stdout);
                        man_text(p->key, false);
                }
        }
        if (n == 0)
                fputs(fmt == FMT_MD ? "none" : "none", stdout);
}

static void kinds_table(enum format fmt)
{
        if (fmt == FMT_MD)
                puts("\n| `detector.kind` | suspicion counts | default "
                     "`suspect_threshold` | default `dead_threshold` | "
                     "its own keys |\n| --- | --- | --- | --- | --- |");
        else
                puts(".PP\nThe detector kinds: what the suspicion (and so "
                     "both thresholds) counts,\nthe default thresholds and "
                     "the kind's own keys.");
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++) {
                hb_detector_kind_t kind = (hb_detector_kind_t)k;
                const char *name = hb_detector_kind_name(kind);
                const char *unit = hb_detector_suspicion_unit(kind);
                double s = hb_detector_default_suspect_threshold(kind);
                double d = hb_detector_default_dead_threshold(kind);

                if (fmt == FMT_MD) {
                        printf("| `%s` | %s | %g | %g | ", name, unit, s, d);
                        kind_keys(kind, fmt);
                        puts(" |");
                        continue;
                }
                printf(".TP\n.B %s\n", name);
                man_text(unit, true);
                printf("; suspect at %g, dead at %g; keys: ", s, d);
                kind_keys(kind, fmt);
                puts(".");
        }
}

static int print_schema(enum format fmt)
{
        size_t n = hbd_config_knob_count();

        if (fmt == FMT_MD)
                puts("| key | type | unit | default | range | reload | "
                     "meaning |\n| --- | --- | --- | --- | --- | --- | --- |");
        for (size_t i = 0; i < n; i++) {
                hbd_knob_t kn;

                if (hbd_config_knob(i, &kn) < 0) {
                        hbctl_err("knob %zu: cannot describe it", i);
                        return HBCTL_EXIT_FAIL;
                }
                if (fmt == FMT_MD)
                        md_key(&kn);
                else
                        man_key(&kn);
        }
        kinds_table(fmt);
        return HBCTL_EXIT_OK;
}

int hbctl_cmd_config(hbctl_ctx_t *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                { "md", no_argument, NULL, 'm' },
                { "man", no_argument, NULL, 'n' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        int c, fmt = -1;

        (void)ctx;
        while ((c = hbctl_getopt(argv[0], argc, argv, ":h", opts)) != -1) {
                switch (c) {
                case 'm':
                case 'n':
                        if (fmt >= 0)
                                return hbctl_usage_error(
                                        argv[0], "--md and --man are "
                                                 "exclusive");
                        fmt = c == 'm' ? FMT_MD : FMT_MAN;
                        break;
                case 'h':
                        return hbctl_cmd_help(argv[0]);
                default:
                        return HBCTL_EXIT_USAGE;
                }
        }
        if (optind == argc)
                return hbctl_usage_error(argv[0], "missing what to print "
                                                  "(schema)");
        if (strcmp(argv[optind], "schema") != 0)
                return hbctl_usage_error(argv[0], "unknown '%s' (schema)",
                                         argv[optind]);
        if (argc - optind > 1)
                return hbctl_usage_error(argv[0], "too many arguments");
        if (fmt < 0)
                return hbctl_usage_error(argv[0], "missing --md or --man");
        return hbctl_finish_stdout(print_schema((enum format)fmt));
}
