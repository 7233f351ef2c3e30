/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shep_util.h: the few helpers the programs built on libshadow_epoll need
 * and none should copy: the monotonic clock, errno names, and a number in a
 * /proc or /sys file (the limits the tests and benchmarks raise).  Used by
 * the tools (scenario runner, LD_PRELOAD shim) and the test programs
 * (selftests, fuzzer, reliability, bench).  Header only, not installed and
 * not part of the library's API.
 */
#ifndef SHEP_UTIL_H
#define SHEP_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds, milliseconds and seconds. */
static inline uint64_t shep_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline double shep_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline double shep_now_s(void)
{
	return shep_now_ms() / 1e3;
}

/*
 * "EBADF" for EBADF: the errno values the epoll calls and the shadow ioctls
 * give, and the open(2) errors of the device.  NULL for any other value.
 * Async-signal-safe (the LD_PRELOAD shim logs with it).
 */
static inline const char *shep_errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case ENOSPC: return "ENOSPC";
	case EPIPE: return "EPIPE";
	case ELOOP: return "ELOOP";
	}
	return NULL;
}

/* The number in a /proc or /sys file, or -1 (absent, unreadable). */
static inline long shep_read_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Write @v to a /proc or /sys file: 0, or -1 with errno. */
static inline int shep_write_long(const char *path, long v)
{
	FILE *f = fopen(path, "we");
	int r;

	if (!f)
		return -1;
	r = fprintf(f, "%ld\n", v) > 0 ? 0 : -1;
	if (fclose(f))
		r = -1;
	return r;
}

#endif /* SHEP_UTIL_H */
