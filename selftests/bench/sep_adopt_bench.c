// SPDX-License-Identifier: GPL-2.0-only
/*
 * sep_adopt_bench: the adopted path (epoll system calls redirected to the
 * shadow, SHADOW_EPOLL_IOC_ADOPT) beside the ioctl path and in-tree epoll.
 *
 *   sep_adopt_bench [-q] [-r rounds] [-t batch_ms]
 *
 * In-tree is measured with the hooks unregistered: each round first times
 * in-tree and the ioctl path with no scope and no adopted instance (nothing
 * hooked), then opens a scope on the process's own cgroup, makes an adopted
 * instance with epoll_create1(), times it, and closes both (unhooking
 * again).  Each case keeps the best batch of all rounds.  N = 1024
 * registrations per instance (K hot eventfds, the rest idle), level-
 * triggered delivery with K ready and maxevents M, and EPOLL_CTL_MOD and an
 * ADD + DEL pair; then two failing calls, the per-call floor (epoll_wait
 * with maxevents 0: EINVAL; EPOLL_CTL_MOD of fd -1: EBADF).  The "hooked"
 * column is an in-tree instance timed while the hooks are armed: what the
 * hook costs the calls it does not take.  Prints numbers only; asserts
 * nothing on timing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libshadow_epoll.h"
#include "shep_util.h"

#define CG	"/sys/fs/cgroup"
#define NREG	1024
#define NCASE	8

/* HOOKED: an in-tree instance while the hooks are armed (not redirected). */
enum side { INTREE, IOCTL, ADOPTED, HOOKED, NSIDE };

static int hot[NREG], spare;
static double batch_ms = 4;
static double best[NCASE][NSIDE];

static const struct bcase {
	const char *name;
	int k, m;	/* deliver K ready with maxevents M; k == 0: ctl */
	int op;		/* -1: a failing call, the per-call floor */
} cases[NCASE] = {
	{ "deliver K=1 M=1", 1, 1, 0 },
	{ "deliver K=64 M=1", 64, 1, 0 },
	{ "deliver K=64 M=64", 64, 64, 0 },
	{ "deliver K=1024 M=1024", 1024, 1024, 0 },
	{ "ctl MOD", 0, 0, EPOLL_CTL_MOD },
	{ "ctl ADD+DEL", 0, 0, EPOLL_CTL_ADD },
	{ "floor wait M=0 EINVAL", 0, 0, -1 },
	{ "floor ctl fd=-1 EBADF", 0, 1, -1 },
};

static void die(const char *what)
{
	fprintf(stderr, "sep_adopt_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* epoll_ctl() as the side does it; ADOPTED and INTREE are the syscall. */
static int ctl(enum side s, int ep, int op, int fd, uint32_t events, int d)
{
	struct epoll_event ev = { .events = events, .data.u64 = d };

	if (s != IOCTL)
		return epoll_ctl(ep, op, fd, &ev);
	return shep_ctl(ep, op, fd, &ev);
}

static int wait_ev(enum side s, int ep, struct epoll_event *out, int m)
{
	if (s != IOCTL)
		return epoll_wait(ep, out, m, 0);
	return shep_wait(ep, out, m, 0);
}

/* ns per op of one batch of @iters ops of case @c. */
static double batch(enum side s, int ep, const struct bcase *c, long iters)
{
	static struct epoll_event out[NREG];
	uint64_t t0 = shep_now_ns();
	long i;

	for (i = 0; i < iters; i++) {
		if (c->k) {
			if (wait_ev(s, ep, out, c->m) != c->m)
				die("wait");
		} else if (c->op < 0 && !c->m) {
			if (wait_ev(s, ep, out, 0) != -1 || errno != EINVAL)
				die("wait M=0");
		} else if (c->op < 0) {
			if (ctl(s, ep, EPOLL_CTL_MOD, -1, EPOLLIN, 0) != -1 ||
			    errno != EBADF)
				die("ctl fd=-1");
		} else if (c->op == EPOLL_CTL_MOD) {
			if (ctl(s, ep, EPOLL_CTL_MOD, hot[0],
				(i & 1) ? EPOLLIN : EPOLLOUT, 0))
				die("mod");
		} else if (ctl(s, ep, EPOLL_CTL_ADD, spare, EPOLLIN, 0) ||
			   ctl(s, ep, EPOLL_CTL_DEL, spare, 0, 0)) {
			die("add/del");
		}
	}
	return (double)(shep_now_ns() - t0) / iters;
}

/* Register all NREG fds; the first K of the delivery case are ready. */
static void fill(enum side s, int ep)
{
	int i;

	for (i = 0; i < NREG; i++)
		if (ctl(s, ep, EPOLL_CTL_ADD, hot[i], EPOLLIN, i))
			die("add");
}

static void set_ready(int k)
{
	uint64_t v;
	int i;

	for (i = 0; i < NREG; i++) {
		if (read(hot[i], &v, sizeof(v)) < 0 && errno != EAGAIN)
			die("read");
		if (i < k && write(hot[i], &(uint64_t){ 1 }, 8) != 8)
			die("write");
	}
}

static void measure(enum side s, int ep, int rounds_per)
{
	int c, r;

	for (c = 0; c < NCASE; c++) {
		long iters = 1;
		double t;

		set_ready(cases[c].k);
		/* Calibrate to about batch_ms per batch. */
		while ((t = batch(s, ep, &cases[c], iters)) * iters <
		       batch_ms * 1e6 / 4 && iters < (1L << 22))
			iters *= 2;
		iters = (long)(batch_ms * 1e6 / t) + 1;
		for (r = 0; r < rounds_per; r++) {
			t = batch(s, ep, &cases[c], iters);
			if (!best[c][s] || t < best[c][s])
				best[c][s] = t;
		}
	}
}

/* Our own cgroup, made and joined once; its directory fd. */
static int own_cgroup(char *dir, size_t len)
{
	char procs[300];
	int fd;

	/* The test guest mounts nothing there by itself. */
	if (access(CG "/cgroup.procs", F_OK))
		mount("none", CG, "cgroup2", 0, NULL);
	snprintf(dir, len, CG "/sep_adopt_bench.%d", (int)getpid());
	if (mkdir(dir, 0755))
		die(dir);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	fd = open(procs, O_WRONLY);
	if (fd < 0 || write(fd, "0", 1) != 1)
		die(procs);
	close(fd);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		die(dir);
	return fd;
}

int main(int argc, char **argv)
{
	int rounds = 5, per = 3, opt, r, c, i, cgfd, ep, scope, hooked;
	char dir[256];

	while ((opt = getopt(argc, argv, "qr:t:")) != -1) {
		if (opt == 'q') {
			rounds = 1;
			per = 2;
			batch_ms = 1;
		} else if (opt == 'r') {
			rounds = atoi(optarg);
		} else if (opt == 't') {
			batch_ms = atof(optarg);
		} else {
			return 2;
		}
	}
	if (setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 4 * NREG, 4 * NREG }))
		die("RLIMIT_NOFILE");
	for (i = 0; i < NREG; i++) {
		hot[i] = eventfd(0, EFD_NONBLOCK);
		if (hot[i] < 0)
			die("eventfd");
	}
	spare = eventfd(0, 0);
	if (shep_gateway() < 0) {
		printf("sep_adopt_bench: %s: %s; skipped\n",
		       shep_device_path(), strerror(errno));
		return 4;
	}
	cgfd = own_cgroup(dir, sizeof(dir));
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (r = 0; r < rounds; r++) {
		/* Nothing hooked: in-tree and the ioctl path. */
		ep = epoll_create1(0);
		fill(INTREE, ep);
		measure(INTREE, ep, per);
		close(ep);
		ep = shep_create(0);
		if (ep < 0)
			die("shep_create");
		fill(IOCTL, ep);
		measure(IOCTL, ep, per);
		close(ep);
		/* Hooked while the scope and the adopted instance live. */
		hooked = epoll_create1(0);
		fill(INTREE, hooked);
		scope = shep_adopt(cgfd, -1);
		if (scope < 0)
			die("SHADOW_EPOLL_IOC_ADOPT");
		measure(HOOKED, hooked, per);
		close(hooked);
		ep = epoll_create1(0);
		if (shep_is_instance(ep) != 1)
			die("the epoll_create1 of the scope is not a shadow");
		fill(ADOPTED, ep);
		measure(ADOPTED, ep, per);
		close(ep);
		close(scope);
	}
	printf("%-24s %10s %10s %10s %10s %8s %8s\n", "case (N=1024, LT)",
	       "in-tree ns", "ioctl ns", "adopted ns", "hooked ns", "ioctl/x",
	       "adopt/x");
	for (c = 0; c < NCASE; c++)
		printf("%-24s %10.0f %10.0f %10.0f %10.0f %8.2f %8.2f\n",
		       cases[c].name, best[c][INTREE], best[c][IOCTL],
		       best[c][ADOPTED], best[c][HOOKED],
		       best[c][IOCTL] / best[c][INTREE],
		       best[c][ADOPTED] / best[c][INTREE]);
	for (c = 0; c < NCASE; c++)
		printf("bench: adopted %s adopted/in-tree = %.2f (ioctl %.2f)\n",
		       cases[c].name, best[c][ADOPTED] / best[c][INTREE],
		       best[c][IOCTL] / best[c][INTREE]);
	/* Back to the parent cgroup, so that ours can go. */
	i = open(CG "/cgroup.procs", O_WRONLY);
	if (i < 0 || write(i, "0", 1) != 1 || rmdir(dir))
		fprintf(stderr, "sep_adopt_bench: %s left behind\n", dir);
	return 0;
}
