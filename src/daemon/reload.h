/* SPDX-License-Identifier: MIT */
/*
 * Configuration reload, all or nothing across the node and every module
 * (see reload.c for the steps).
 */
#ifndef HBD_RELOAD_H
#define HBD_RELOAD_H

#include <stddef.h>

#include "daemon/module.h"

/*
 * Re-read ctx->config_path and apply the difference. `owned` is the
 * daemon's pointer to the running config (ctx->cfg): on success the new
 * config replaces it there and in ctx, and the old one is freed. On
 * failure nothing changes and `err` receives the reason ("FILE:LINE:COL:
 * message", "X cannot change on reload; restart hbeatd", a module's
 * refusal). Returns 0 or a negative error.
 */
int hbd_reload(hbd_ctx_t *ctx, hbd_config_t **owned, char *err,
               size_t errlen);

#endif /* HBD_RELOAD_H */
