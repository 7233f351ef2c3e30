// SPDX-License-Identifier: GPL-2.0-only
/*
 * libshadow_epoll: the epoll API over /dev/shadow_epoll (see the header).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libshadow_epoll.h"

/* The kernel's sigset_t size, what glibc passes to epoll_pwait(2). */
#define SHEP_SIGSETSIZE	(_NSIG / 8)

/*
 * The gateway: fd, and the identity it had when we opened it.  All three
 * are only read/written with atomics; a racing reopen loses the CAS and
 * closes its own fd.
 */
static int shep_gw_fd = -1;
static unsigned long long shep_gw_rdev;
static unsigned long long shep_gw_ino;

const char *shep_device_path(void)
{
	const char *p = getenv("SHADOW_EPOLL_DEVICE");

	return p && *p ? p : SHADOW_EPOLL_DEVICE;
}

static int shep_gw_same(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return 0;
	return S_ISCHR(st.st_mode) &&
	       (unsigned long long)st.st_rdev ==
			__atomic_load_n(&shep_gw_rdev, __ATOMIC_ACQUIRE) &&
	       (unsigned long long)st.st_ino ==
			__atomic_load_n(&shep_gw_ino, __ATOMIC_ACQUIRE);
}

static int shep_gw_open(void)
{
	struct rlimit rl;
	struct stat st;
	int fd, hi, e;

	fd = open(shep_device_path(), O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* Keep it out of the way of programs that expect small fds. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) &&
	    (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > SHEP_GATEWAY_MIN_FD)) {
		hi = fcntl(fd, F_DUPFD_CLOEXEC, SHEP_GATEWAY_MIN_FD);
		if (hi >= 0) {
			close(fd);
			fd = hi;
		}
	}
	if (fstat(fd, &st)) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	__atomic_store_n(&shep_gw_rdev, (unsigned long long)st.st_rdev,
			 __ATOMIC_RELEASE);
	__atomic_store_n(&shep_gw_ino, (unsigned long long)st.st_ino,
			 __ATOMIC_RELEASE);
	return fd;
}

int shep_gateway(void)
{
	int fd = __atomic_load_n(&shep_gw_fd, __ATOMIC_ACQUIRE);
	int expect = -1;
	int nfd;

	if (fd >= 0)
		return fd;
	nfd = shep_gw_open();
	if (nfd < 0)
		return -1;
	if (__atomic_compare_exchange_n(&shep_gw_fd, &expect, nfd, 0,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return nfd;
	close(nfd);		/* another thread won */
	return expect;
}

void shep_gateway_forget(void)
{
	__atomic_store_n(&shep_gw_fd, -1, __ATOMIC_RELEASE);
}

/*
 * One command on the gateway.  EBADF/ENOTTY/EINVAL may mean "the gateway is
 * gone or is not ours any more": check, reopen, retry once.
 */
static int shep_call(unsigned long cmd, void *arg)
{
	int tries, gw, ret, e;

	for (tries = 0; ; tries++) {
		gw = shep_gateway();
		if (gw < 0)
			return -1;
		ret = ioctl(gw, cmd, arg);
		if (ret >= 0)
			return ret;
		e = errno;
		if (tries == 0 && (e == EBADF || e == ENOTTY || e == EINVAL) &&
		    !shep_gw_same(gw)) {
			int cur = gw;

			/* Drop it only if nobody replaced it meanwhile. */
			__atomic_compare_exchange_n(&shep_gw_fd, &cur, -1, 0,
						    __ATOMIC_ACQ_REL,
						    __ATOMIC_ACQUIRE);
			continue;
		}
		errno = e;
		return -1;
	}
}

int shep_create(int flags)
{
	struct shadow_epoll_create_args a = {
		.size = sizeof(a), .flags = (__u32)flags,
	};

	return shep_call(SHADOW_EPOLL_IOC_CREATE, &a);
}

int shep_create_size(int size)
{
	if (size <= 0) {
		errno = EINVAL;
		return -1;
	}
	return shep_create(0);
}

int shep_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	struct shadow_epoll_ctl_args a = {
		.size = sizeof(a), .epfd = epfd, .op = op, .fd = fd,
		.event = (__u64)(unsigned long)event,
	};

	return shep_call(SHADOW_EPOLL_IOC_CTL, &a);
}

int shep_wait_raw(struct shadow_epoll_wait_args *args)
{
	return shep_call(SHADOW_EPOLL_IOC_WAIT, args);
}

int shep_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	struct shadow_epoll_wait_args a = {
		.size = sizeof(a), .epfd = epfd, .maxevents = maxevents,
		.events = (__u64)(unsigned long)events, .timeout_ms = timeout,
	};

	return shep_call(SHADOW_EPOLL_IOC_WAIT, &a);
}

int shep_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout,
	      const sigset_t *sigmask)
{
	struct shadow_epoll_wait_args a = {
		.size = sizeof(a), .epfd = epfd, .maxevents = maxevents,
		.events = (__u64)(unsigned long)events, .timeout_ms = timeout,
		.sigmask = (__u64)(unsigned long)sigmask,
		.sigsetsize = SHEP_SIGSETSIZE,
	};

	return shep_call(SHADOW_EPOLL_IOC_WAIT, &a);
}

int shep_pwait2(int epfd, struct epoll_event *events, int maxevents,
	       const struct timespec *timeout, const sigset_t *sigmask)
{
	struct shadow_epoll_wait_args a = {
		.size = sizeof(a), .flags = SHADOW_EPOLL_WAIT_TIMESPEC,
		.epfd = epfd, .maxevents = maxevents,
		.events = (__u64)(unsigned long)events,
		/* struct timespec is struct __kernel_timespec on 64-bit */
		.timeout_ts = (__u64)(unsigned long)timeout,
		.sigmask = (__u64)(unsigned long)sigmask,
		.sigsetsize = SHEP_SIGSETSIZE,
	};

	_Static_assert(sizeof(struct timespec) == 16, "64-bit time_t only");
	return shep_call(SHADOW_EPOLL_IOC_WAIT, &a);
}

static int shep_dump(unsigned long cmd, int epfd, void *entries,
		    unsigned int cap, unsigned int *dflags)
{
	struct shadow_epoll_dump_args a = {
		.size = sizeof(a), .epfd = epfd, .count = cap,
		.entries = (__u64)(unsigned long)entries,
	};

	if (shep_call(cmd, &a) < 0)
		return -1;
	if (dflags)
		*dflags = a.flags;
	return (int)a.count;
}

int shep_ready(int epfd, struct shadow_epoll_ready_entry *entries,
	      unsigned int cap, unsigned int *dflags)
{
	return shep_dump(SHADOW_EPOLL_IOC_READY, epfd, entries, cap, dflags);
}

int shep_interest(int epfd, struct shadow_epoll_interest_entry *entries,
		 unsigned int cap)
{
	return shep_dump(SHADOW_EPOLL_IOC_INTEREST, epfd, entries, cap, NULL);
}

int shep_is_instance(int fd)
{
	struct shadow_epoll_interest_entry e;

	if (shep_interest(fd, &e, 0) >= 0)
		return 1;
	return errno == EINVAL ? 0 : -1;
}

int shep_adopt(int cgroup_fd, int log_fd)
{
	struct shadow_epoll_adopt_args a = {
		.size = sizeof(a), .cgroup_fd = cgroup_fd, .log_fd = -1,
	};

	if (log_fd >= 0) {
		a.flags = SHADOW_EPOLL_ADOPT_LOG;
		a.log_fd = log_fd;
	}
	return shep_call(SHADOW_EPOLL_IOC_ADOPT, &a);
}

int shep_source(int flags, uint32_t mask)
{
	struct shadow_epoll_source_args a = {
		.size = sizeof(a), .flags = (__u32)flags, .mask = mask,
	};

	return shep_call(SHADOW_EPOLL_IOC_SOURCE, &a);
}

int shep_source_change(int src, uint32_t op, uint32_t mask, uint32_t key,
		      uint32_t flags)
{
	struct shadow_epoll_source_change c = {
		.size = sizeof(c), .op = op, .mask = mask, .key = key,
		.flags = flags,
	};

	return ioctl(src, SHADOW_EPOLL_IOC_SRC_SET, &c);
}

int shep_source_trigger(int src, int target, uint32_t count, uint32_t op,
		       uint32_t mask, uint32_t key, uint32_t flags)
{
	struct shadow_epoll_source_trigger t = {
		.size = sizeof(t), .target_fd = target, .count = count,
		.change = { .size = sizeof(t.change), .op = op, .mask = mask,
			    .key = key, .flags = flags },
	};

	return ioctl(src, SHADOW_EPOLL_IOC_SRC_TRIGGER, &t);
}
