/* SPDX-License-Identifier: MIT */
/**
 * @file hbeat.h
 * @brief libhbeat umbrella header. Include this to get the whole public API:
 *        error codes (error.h), wire format (wire.h), failure detectors
 *        (detector.h), the node/membership core (node.h) and the resource
 *        and VIP safety policy (policy.h).
 */
#ifndef HBEAT_HBEAT_H
#define HBEAT_HBEAT_H

#include "hbeat/error.h"
#include "hbeat/wire.h"
#include "hbeat/detector.h"
#include "hbeat/node.h"
#include "hbeat/policy.h"

#endif /* HBEAT_HBEAT_H */
