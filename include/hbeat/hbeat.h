/* SPDX-License-Identifier: MIT */
/**
 * @file hbeat.h
 * @brief libhbeat umbrella header. Include this to get the whole public API:
 *        the library's version, export and allocator rules (library.h),
 *        error codes (error.h), wire format (wire.h), failure detectors
 *        (detector.h), quorum and election (election.h), the node core
 *        (node.h), the resource and VIP safety policy (policy.h) and the
 *        subset topology's ring (subset.h). The
 *        libuv adapter is separate: hbeat/uv.h, in libhbeat-uv
 *        (docs/embedding.md).
 */
#ifndef HBEAT_HBEAT_H
#define HBEAT_HBEAT_H

#include "hbeat/library.h"
#include "hbeat/error.h"
#include "hbeat/wire.h"
#include "hbeat/detector.h"
#include "hbeat/election.h"
#include "hbeat/node.h"
#include "hbeat/policy.h"
#include "hbeat/subset.h"

#endif /* HBEAT_HBEAT_H */
