// SPDX-License-Identifier: GPL-2.0-only
/*
 * adopt-check: run under sep-run, checks that the epoll system calls reach
 * the shadow; run outside, that they do not.  Built static by tools/Makefile
 * (a static program is one of the things the LD_PRELOAD shim cannot reach).
 *
 *   adopt-check adopted|plain
 *   adopt-check leave CGROUP.PROCS   (adopted; then moves itself out)
 *   adopt-check block                (an instance with a ready eventfd,
 *                                     then epoll_wait() forever)
 *
 * Every call is a raw syscall(), as a Go runtime or inline-syscall code
 * makes them.  Prints one line per check; exit 0 when all pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "libshadow_epoll.h"

/* Set in a system call number's upper half, which the kernel ignores. */
#define RAX_HIGH	(1L << 32)

static int failed;

static void check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		failed = 1;
}

/* Is @fd a shadow instance?  (The library's dump answers only then.) */
static int is_shadow(int fd)
{
	return shep_is_instance(fd) == 1;
}

static void fd_link(int fd, char *buf, size_t len)
{
	char p[64];
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	n = readlink(p, buf, len - 1);
	buf[n < 0 ? 0 : n] = 0;
}

/* Move to the cgroup of @procs: the adopted instance keeps working. */
static int leave(const char *procs)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 }, out[2];
	int ep = syscall(SYS_epoll_create1, 0), efd = eventfd(1, 0), fd, ep2;

	check(is_shadow(ep), "adopted instance before leaving");
	fd = open(procs, O_WRONLY);
	check(fd >= 0 && write(fd, "0", 1) == 1, "left the scope");
	check(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, efd, &ev) == 0 &&
	      syscall(SYS_epoll_wait, ep, out, 2, 0) == 1 && out[0].data.u64 == 7,
	      "its instance still served by the shadow");
	ep2 = syscall(SYS_epoll_create1, 0);
	check(ep2 >= 0 && !is_shadow(ep2), "a new instance is in-tree");
	return failed;
}

static int block(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 9 }, out[2];
	int ep = syscall(SYS_epoll_create1, 0), efd = eventfd(1, 0), ep2;

	/* One ready item for sep-inspect, then a wait that never returns. */
	syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, efd, &ev);
	ep2 = syscall(SYS_epoll_create1, 0);
	printf("blocking: %d pid %d\n", is_shadow(ep) && is_shadow(ep2),
	       (int)getpid());
	fflush(stdout);
	/* The library's gateway must not be what keeps the module loaded. */
	close(shep_gateway());
	shep_gateway_forget();
	return syscall(SYS_epoll_wait, ep2, out, 2, -1);
}

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 }, out[4];
	struct timespec ts = { 0, 0 };
	int adopted, ep, ep1, efd, n;
	char link[128];

	if (argc == 3 && !strcmp(argv[1], "leave"))
		return leave(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "block"))
		return block();
	if (argc != 2)
		return 2;
	adopted = !strcmp(argv[1], "adopted");
	ep = syscall(SYS_epoll_create, 1);
	ep1 = syscall(SYS_epoll_create1, EPOLL_CLOEXEC);
	efd = eventfd(1, 0);
	check(ep >= 0 && ep1 >= 0, "epoll_create, epoll_create1");
	check(is_shadow(ep) == adopted && is_shadow(ep1) == adopted,
	      adopted ? "instances are shadow" : "instances are in-tree");
	fd_link(ep, link, sizeof(link));
	check(!strcmp(link, "anon_inode:[eventpoll]"),
	      "/proc/self/fd link is anon_inode:[eventpoll]");
	check(fcntl(ep1, F_GETFD) == FD_CLOEXEC, "EPOLL_CLOEXEC");
	check(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, efd, &ev) == 0,
	      "epoll_ctl ADD");
	check(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, efd, &ev) == -1 &&
	      errno == EEXIST, "epoll_ctl ADD again: EEXIST");
	check(syscall(SYS_epoll_ctl, ep, 99, efd, NULL) == -1 &&
	      errno == EFAULT, "epoll_ctl bad op, NULL event: EFAULT");
	n = syscall(SYS_epoll_wait, ep, out, 4, 0);
	check(n == 1 && out[0].data.u64 == 42 && out[0].events == EPOLLIN,
	      "epoll_wait");
	n = syscall(SYS_epoll_pwait, ep, out, 4, 0, NULL, 8);
	check(n == 1, "epoll_pwait");
	n = syscall(SYS_epoll_pwait2, ep, out, 4, &ts, NULL, 8);
	check(n == 1, "epoll_pwait2");
	ts.tv_nsec = -1;
	check(syscall(SYS_epoll_pwait2, ep, out, 4, &ts, NULL, 8) == -1 &&
	      errno == EINVAL, "epoll_pwait2 bad timespec: EINVAL");
	check(syscall(SYS_epoll_wait, ep, out, 0, 0) == -1 && errno == EINVAL,
	      "epoll_wait maxevents 0: EINVAL");
	check(syscall(SYS_epoll_wait, ep, NULL, 4, 0) == -1 && errno == EFAULT,
	      "epoll_wait NULL events: EFAULT");
	check(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, efd, NULL) == 0 &&
	      syscall(SYS_epoll_wait, ep, out, 4, 10) == 0,
	      "epoll_ctl DEL, epoll_wait times out");
	/*
	 * The kernel dispatches on the low 32 bits of rax (an int): garbage
	 * above them must not change which epoll serves the call.
	 */
	ep = syscall(RAX_HIGH | SYS_epoll_create1, 0);
	check(ep >= 0 && is_shadow(ep) == adopted,
	      "epoll_create1, rax bits 32-63 set: same instance kind");
	check(syscall(RAX_HIGH | SYS_epoll_ctl, ep1, EPOLL_CTL_ADD, efd,
		      &ev) == 0 &&
	      syscall(RAX_HIGH | SYS_epoll_wait, ep1, out, 4, 0) == 1,
	      "epoll_ctl, epoll_wait, rax bits 32-63 set: served");
	check(syscall(SYS_epoll_create, 0) == -1 && errno == EINVAL,
	      "epoll_create(0): EINVAL");
	check(syscall(SYS_epoll_create1, 1) == -1 && errno == EINVAL,
	      "epoll_create1(1): EINVAL");
	return failed;
}
