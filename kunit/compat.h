/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shadow_epoll KUnit: kernel-version differences of the test module.
 */
#ifndef _SHADOW_EPOLL_KUNIT_COMPAT_H
#define _SHADOW_EPOLL_KUNIT_COMPAT_H

#include <linux/version.h>

/* From 6.13 MODULE_IMPORT_NS() takes a string literal. */
#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
#define SEPK_KUNIT_NS	"EXPORTED_FOR_KUNIT_TESTING"
#else
#define SEPK_KUNIT_NS	EXPORTED_FOR_KUNIT_TESTING
#endif

#endif /* _SHADOW_EPOLL_KUNIT_COMPAT_H */
