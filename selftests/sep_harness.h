/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Include kselftest_harness.h (from $(KSFT), never copied here) without the
 * warnings its own code triggers under -Wextra (unused parameters in the
 * harness and in TEST() expansions, -Wclobbered in TEST_F on 6.12).
 */
#ifndef SEP_HARNESS_H
#define SEP_HARNESS_H

/* TEST() expands to a function with an unused "variant" parameter. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"

#endif /* SEP_HARNESS_H */
