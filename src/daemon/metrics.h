/* SPDX-License-Identifier: MIT */
/*
 * /metrics: the Prometheus document of a running hbeatd (docs/http.md,
 * docs/operations.md "Metrics"), written with prom.h. The node's part
 * (peers, counters, coordination) is read from the node and the adapter
 * at scrape time; what needs memory of the past (transitions per reason,
 * false suspicions, RTT and failover histograms) is counted by the
 * metrics module from the bus; the other modules add their own families
 * (module.h, metrics); the process collector reads /proc/self.
 */
#ifndef HBD_METRICS_H
#define HBD_METRICS_H

#include <stddef.h>

#include "daemon/module.h"

/* The content type of the document. */
#define HBD_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The whole document, malloc()ed (the caller frees it), with its length
 * in *len; NULL when out of memory. */
char *hbd_metrics_text(hbd_ctx_t *ctx, size_t *len);

#endif /* HBD_METRICS_H */
