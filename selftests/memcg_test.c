// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential memory-cgroup test: are registrations charged to the memory
 * cgroup of the task that makes them, as in-tree epoll charges its epitems
 * and wait-queue hooks (SLAB_ACCOUNT caches)?
 *
 * The test makes a cgroup v2 child group (mounting cgroup2 at /sys/fs/cgroup
 * and enabling the memory controller if needed), moves itself in, opens N
 * eventfds, and then on each side in turn reads memory.current, registers
 * the N eventfds in one fresh instance and reads memory.current again.  The
 * eventfds exist before both readings, so their own cost is not counted
 * (it is printed separately).  The growth divided by N is the charge per
 * registration.
 *
 * Tolerance: the shadow's charge must lie within [0.5, 1.6] times the
 * in-tree charge measured in the same run.  In-tree allocates an epitem and
 * an eppoll_entry per registration (plus a small per-file list head); the
 * shadow allocates one item with its first hook embedded.  The layouts
 * differ, so the figures may differ by a few tens of percent, but not by
 * half: 0.5x is what no charge at all (or charging only part of a
 * registration) falls below, 1.6x what charging twice or a grossly
 * oversized object goes over.  Measurement noise: memory.current moves in
 * per-CPU batches of at most 64 pages (256 KiB); the test pins itself to
 * one CPU, and with N = 50000 registrations (several MiB per side) the
 * batch error stays under 3%.
 *
 * Not tested: ENOMEM at memory.max.  An accounted allocation that hits the
 * limit invokes the memory cgroup's OOM killer before it fails, and the
 * kill's report (with a stack dump) is a kernel splat to the VM harness;
 * the outcome is the same for both sides once the charge is right.
 *
 * Skips when cgroup v2 or its memory controller is unavailable, or when
 * in-tree epoll's charge is not visible (kernel memory accounting off).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sep_harness.h"
#include "sep_test.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define NREG		50000
#define MIN_RATIO	0.5
#define MAX_RATIO	1.6
/* Below this in-tree charge per registration, kmem accounting is off. */
#define MIN_INTREE	32.0

static int write_str(const char *path, const char *val)
{
	ssize_t len = strlen(val);
	int fd, r;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = write(fd, val, len) == len ? 0 : -1;
	close(fd);
	return r;
}

static int read_str(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* Mount cgroup2 if needed; 0 when the memory controller can be used. */
static int cg_prepare_root(void)
{
	char buf[512];

	if (access(CG_ROOT "/cgroup.controllers", R_OK)) {
		mkdir(CG_ROOT, 0755);
		if (mount("none", CG_ROOT, "cgroup2", 0, NULL))
			return -1;
	}
	if (read_str(CG_ROOT "/cgroup.controllers", buf, sizeof(buf)) ||
	    !strstr(buf, "memory"))
		return -1;
	if (read_str(CG_ROOT "/cgroup.subtree_control", buf, sizeof(buf)))
		return -1;
	if (!strstr(buf, "memory") &&
	    write_str(CG_ROOT "/cgroup.subtree_control", "+memory"))
		return -1;
	return 0;
}

static int cg_read_current(const char *dir, long long *v)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), "%s/memory.current", dir);
	if (read_str(path, buf, sizeof(buf)))
		return -1;
	*v = atoll(buf);
	return 0;
}

static int raise_nofile(long n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (rl.rlim_cur >= (rlim_t)n)
		return 0;
	rl.rlim_cur = n;
	if (rl.rlim_max < (rlim_t)n)
		rl.rlim_max = n;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

/* Pin to the CPU we run on: one per-CPU charge stock moves. */
static void pin_self(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

FIXTURE(memcg) {
	char dir[128];
	bool in_cg;
	int *fds;
	int n;
};

FIXTURE_SETUP(memcg)
{
	char pid[32];

	self->in_cg = false;
	self->fds = NULL;
	self->n = 0;
	if (cg_prepare_root())
		SKIP(return, "cgroup v2 memory controller unavailable");
	snprintf(self->dir, sizeof(self->dir), CG_ROOT "/sep_memcg.%d",
		 getpid());
	if (mkdir(self->dir, 0755) && errno != EEXIST)
		SKIP(return, "cannot create %s: %s", self->dir, strerror(errno));
	snprintf(pid, sizeof(pid), "%d", getpid());
	{
		char procs[160];

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", self->dir);
		if (write_str(procs, pid))
			SKIP(return, "cannot join %s: %s", self->dir,
			     strerror(errno));
	}
	self->in_cg = true;
	pin_self();
	ASSERT_EQ(0, raise_nofile(NREG + 256));
}

FIXTURE_TEARDOWN(memcg)
{
	char pid[32];
	int i;

	for (i = 0; i < self->n; i++)
		close(self->fds[i]);
	free(self->fds);
	if (!self->in_cg)
		return;
	snprintf(pid, sizeof(pid), "%d", getpid());
	write_str(CG_ROOT "/cgroup.procs", pid);
	rmdir(self->dir);
}

/*
 * Register fds[0..n) in a fresh instance of @b; *bytes gets the growth of
 * memory.current.  The instance stays open (*ep): closing it would free its
 * registrations after an RCU grace period, in the middle of the next
 * measurement.
 */
static int charge_of(const struct sep_backend *b, const char *dir,
		     const int *fds, int n, long long *bytes, int *ep)
{
	struct epoll_event ev = { .events = EPOLLIN };
	long long before, after;
	int i;

	*ep = b->create(0);
	if (*ep < 0)
		return -1;
	if (cg_read_current(dir, &before))
		return -1;
	for (i = 0; i < n; i++) {
		ev.data.u64 = i;
		if (b->ctl(*ep, EPOLL_CTL_ADD, fds[i], &ev)) {
			fprintf(stderr, "# %s: ADD %d failed: %s\n", b->name,
				i, strerror(errno));
			return -1;
		}
	}
	if (cg_read_current(dir, &after))
		return -1;
	*bytes = after - before;
	return 0;
}

TEST_F_TIMEOUT(memcg, charge_per_registration, 300)
{
	long long before, after, real_b = 0, shadow_b = 0;
	double real_per, shadow_per, ratio;
	int i, ep_real = -1, ep_shadow = -1;

	self->fds = calloc(NREG, sizeof(int));
	ASSERT_NE(NULL, self->fds);
	ASSERT_EQ(0, cg_read_current(self->dir, &before));
	for (i = 0; i < NREG; i++) {
		self->fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, self->fds[i]);
		self->n++;
	}
	ASSERT_EQ(0, cg_read_current(self->dir, &after));
	ksft_print_msg("eventfds alone: %.1f bytes each (not counted below)\n",
		       (double)(after - before) / NREG);

	ASSERT_EQ(0, charge_of(sep_real(), self->dir, self->fds, NREG,
			       &real_b, &ep_real));
	ASSERT_EQ(0, charge_of(sep_shadow(), self->dir, self->fds, NREG,
			       &shadow_b, &ep_shadow));
	sep_real()->close(ep_real);
	sep_shadow()->close(ep_shadow);

	real_per = (double)real_b / NREG;
	shadow_per = (double)shadow_b / NREG;
	ratio = real_per > 0 ? shadow_per / real_per : 0;
	ksft_print_msg("%d registrations: in-tree %.1f bytes each, shadow %.1f bytes each (shadow/in-tree %.2f, allowed %.1f..%.1f)\n",
		       NREG, real_per, shadow_per, ratio, MIN_RATIO,
		       MAX_RATIO);
	if (real_per < MIN_INTREE)
		SKIP(return, "in-tree charge %.1f bytes: kmem accounting off?",
		     real_per);
	EXPECT_GE(ratio, MIN_RATIO);
	EXPECT_LE(ratio, MAX_RATIO);
}

SEP_REQUIRE_SHADOW_MAIN
