// SPDX-License-Identifier: GPL-2.0-only
/*
 * Regression tests: instances mixed with in-tree epolls in cycles, and how
 * the module recognises an in-tree epoll.
 *
 *  fifo_named_eventpoll   a FIFO named "[eventpoll]" is an ordinary file:
 *                         it must not be taken for an in-tree epoll (nor
 *                         teach the module what one looks like), so an
 *                         EXCLUSIVE ADD of a pipe still gives 0 and of an
 *                         in-tree epoll still EINVAL, as in-tree.  Runs
 *                         first: the module learns from the first
 *                         "[eventpoll]" file it is given.
 *  poll_through_real      S watches an in-tree epoll R holding a readable
 *                         eventfd: poll(S) gives POLLIN and a wait on S one
 *                         event, as an in-tree epoll E watching R does.
 *  mutex_cycle            S2 watches S1 and e2, S1 watches R, R watches S2,
 *                         R2 watches S1; one thread MODs S1 in S2, one
 *                         waits on R, one writes e2, for 3 s: once an ABBA
 *                         deadlock between the instances' mutexes and R's.
 *  wake_cycle             S1 watches eventfd(1) and an in-tree epoll R, S2
 *                         watches S1, then R watches S2 (the cycle the
 *                         module cannot refuse), with writes and waits: once
 *                         a hard lockup (recursive wakeup through R).  Last:
 *                         a CPU spinning with interrupts off may take the
 *                         VM with it.
 *  chain_race             no cycle: S2 watches S1, S1 watches R and a pipe,
 *                         R the pipe; two threads wait on and poll all of
 *                         them and feed the pipe for 3 s.
 *  sandwich_mod           no cycle: S0 watches R, R watches S2; one thread
 *                         MODs S2 in R, one waits on S0, for 3 s.
 *
 * Order matters on a module that still learns what an in-tree epoll is from
 * a name: after fifo_named_eventpoll failed, in-tree epolls are no longer
 * recognised and poll_through_real passes by accident; run it alone
 * (cycle_test -t poll_through_real) on a fresh module to see it fail there.
 *
 * The last four run in a child process that the test waits for at most
 * CHILD_TIMEOUT seconds: a child stuck in the kernel (D state) cannot be
 * killed, so it is reported (state and wchan of each thread), abandoned, and
 * the test fails instead of hanging the whole run.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sep_harness.h"
#include "sep_test.h"

#define CHILD_TIMEOUT	20	/* s; under the harness's 30 s */

static int sctl(int ep, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return sep_shadow()->ctl(ep, op, fd, &ev);
}

static int rctl(int ep, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(ep, op, fd, &ev);
}

/* Print state and wchan of every thread of pid (a child that did not end). */
static void show_tasks(pid_t pid)
{
	char path[320], buf[256];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		char st = '?', wchan[64] = "?", *p;
		ssize_t n;
		int fd;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid, d->d_name);
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n > 0) {
				buf[n] = 0;
				p = strrchr(buf, ')');
				if (p && p[1] && p[2])
					st = p[2];
			}
		}
		snprintf(path, sizeof(path), "/proc/%d/task/%s/wchan", pid, d->d_name);
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			n = read(fd, wchan, sizeof(wchan) - 1);
			close(fd);
			wchan[n > 0 ? n : 0] = 0;
		}
		ksft_print_msg("  task %s: state %c, wchan %s\n", d->d_name, st, wchan);
	}
	closedir(dir);
}

/*
 * Run fn in a child and wait at most secs.  Returns its exit status, 128 +
 * signal if killed, or -1 if it did not end (then it is killed; a child in
 * D state survives that and is left behind).
 */
/* One thread of a child: its function and argument. */
struct cy_thread {
	void *(*fn)(void *);
	void *arg;
};

/*
 * How long each race runs.  Every lockup these races reproduce froze the
 * old module in well under a second (TCG included).
 */
#define RACE_MS	2000

/*
 * Runs the n threads for ms milliseconds, then sets *stop and joins them.
 * Returns 0, or -1 if a thread could not be started (those started are
 * stopped and joined all the same).
 */
static int run_threads(const struct cy_thread *t, int n, atomic_bool *stop,
		       int ms)
{
	pthread_t th[4];
	int i, started = 0;
	double t0;

	for (i = 0; i < n && i < 4; i++) {
		if (pthread_create(&th[i], NULL, t[i].fn, t[i].arg))
			break;
		started++;
	}
	t0 = shep_now_ms();
	while (started == n && shep_now_ms() - t0 < ms)
		usleep(50000);
	atomic_store(stop, true);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	return started == n ? 0 : -1;
}

static int run_bounded(int (*fn)(void), int secs)
{
	double t0 = shep_now_ms();
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -2;
	if (pid == 0)
		_exit(fn());
	while (shep_now_ms() - t0 < secs * 1000.0) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(10000);
	}
	ksft_print_msg("child %d still running after %d s: stuck in the kernel?\n",
		       pid, secs);
	show_tasks(pid);
	kill(pid, SIGKILL);
	usleep(200000);
	if (waitpid(pid, &st, WNOHANG) != pid)
		ksft_print_msg("child %d did not die on SIGKILL (stuck in the kernel): abandoned\n",
			       pid);
	return -1;
}

/* ------------------------------------------------------------------ */

/*
 * A test whose NAME_child() runs in a bounded child: -1 is a hang (the
 * topology in WHAT), anything but 0 a failed setup.
 */
#define CHILD_TEST(name, what)						\
	TEST(name)							\
	{								\
		int rc = run_bounded(name##_child, CHILD_TIMEOUT);	\
									\
		EXPECT_NE(-1, rc) TH_LOG("%s", what);			\
		EXPECT_EQ(0, rc) TH_LOG("child exit %d", rc);		\
	}

TEST(fifo_named_eventpoll)
{
	char dir[] = "/tmp/cycle_test.XXXXXX", path[64];
	int fifo, s, s2, e, e2, r, p[2], rs, rr, es, er;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/[eventpoll]", dir);
	ASSERT_EQ(0, mkfifo(path, 0600));
	fifo = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fifo);
	s = sep_shadow()->create(0);
	s2 = sep_shadow()->create(0);
	e = epoll_create1(0);
	e2 = epoll_create1(0);
	r = epoll_create1(0);
	ASSERT_LE(0, s);
	ASSERT_LE(0, s2);
	ASSERT_LE(0, e);
	ASSERT_LE(0, e2);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, pipe2(p, O_NONBLOCK | O_CLOEXEC));

	/* first of all: the FIFO into an instance */
	errno = 0;
	rs = sctl(s, EPOLL_CTL_ADD, fifo, EPOLLIN, 1);
	es = errno;
	errno = 0;
	rr = rctl(e, EPOLL_CTL_ADD, fifo, EPOLLIN, 1);
	er = errno;
	EXPECT_EQ(0, rr);
	EXPECT_EQ(0, sep_cmp_result("ADD fifo", rr, er, rs, es));

	/* the FIFO is a pipe: EXCLUSIVE is allowed on it */
	errno = 0;
	rs = sctl(s2, EPOLL_CTL_ADD, fifo, EPOLLIN | EPOLLEXCLUSIVE, 2);
	es = errno;
	errno = 0;
	rr = rctl(e2, EPOLL_CTL_ADD, fifo, EPOLLIN | EPOLLEXCLUSIVE, 2);
	er = errno;
	EXPECT_EQ(0, rr);
	EXPECT_EQ(0, sep_cmp_result("EXCLUSIVE ADD fifo", rr, er, rs, es));

	/* so is it on an anonymous pipe */
	errno = 0;
	rs = sctl(s, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLEXCLUSIVE, 3);
	es = errno;
	errno = 0;
	rr = rctl(e, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLEXCLUSIVE, 3);
	er = errno;
	EXPECT_EQ(0, rr);
	EXPECT_EQ(0, sep_cmp_result("EXCLUSIVE ADD pipe", rr, er, rs, es));

	/* and refused on an in-tree epoll */
	errno = 0;
	rs = sctl(s, EPOLL_CTL_ADD, r, EPOLLIN | EPOLLEXCLUSIVE, 4);
	es = errno;
	errno = 0;
	rr = rctl(e, EPOLL_CTL_ADD, r, EPOLLIN | EPOLLEXCLUSIVE, 4);
	er = errno;
	EXPECT_EQ(-1, rr);
	EXPECT_EQ(EINVAL, er);
	EXPECT_EQ(0, sep_cmp_result("EXCLUSIVE ADD epoll", rr, er, rs, es));

	close(p[0]);
	close(p[1]);
	close(r);
	close(e2);
	close(e);
	close(s2);
	close(s);
	close(fifo);
	unlink(path);
	rmdir(dir);
}

/*
 * epoll_wait(top[0]) in-tree and the same wait on the instance top[1], both
 * with timeout 0: 0 if in-tree gives one event and the shadow the same
 * result and bytes.
 */
static int wait_both(const int top[2], const char *what)
{
	struct epoll_event ev[2][4];
	int ret[2], err[2];

	memset(ev, 0xa5, sizeof(ev));
	errno = 0;
	ret[0] = epoll_wait(top[0], ev[0], 4, 0);
	err[0] = errno;
	errno = 0;
	ret[1] = sep_shadow()->wait(top[1], ev[1], 4, 0);
	err[1] = errno;
	if (ret[0] != 1)
		printf("# %s: in-tree returned %d (errno %d), expected 1\n",
		       what, ret[0], err[0]);
	return (ret[0] != 1) | sep_cmp_result(what, ret[0], err[0], ret[1], err[1]) |
	       sep_cmp_bytes(what, ev[0], ev[1], sizeof(ev[0]));
}

TEST(poll_through_real)
{
	struct pollfd pf[2];
	int efd[2], r[2], top[2], ret[2], i;

	for (i = 0; i < 2; i++) {
		efd[i] = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
		r[i] = epoll_create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, efd[i]);
		ASSERT_LE(0, r[i]);
		ASSERT_EQ(0, rctl(r[i], EPOLL_CTL_ADD, efd[i], EPOLLIN, 7));
	}
	top[0] = epoll_create1(EPOLL_CLOEXEC);
	top[1] = sep_shadow()->create(EPOLL_CLOEXEC);
	ASSERT_LE(0, top[0]);
	ASSERT_LE(0, top[1]);
	ASSERT_EQ(0, rctl(top[0], EPOLL_CTL_ADD, r[0], EPOLLIN, 9));
	ASSERT_EQ(0, sctl(top[1], EPOLL_CTL_ADD, r[1], EPOLLIN, 9));

	for (i = 0; i < 2; i++) {
		pf[i].fd = top[i];
		pf[i].events = POLLIN;
		pf[i].revents = 0;
		ret[i] = poll(&pf[i], 1, 0);
	}
	EXPECT_EQ(1, ret[0]);
	EXPECT_EQ(POLLIN, pf[0].revents);
	EXPECT_EQ(ret[0], ret[1]);
	EXPECT_EQ(pf[0].revents, pf[1].revents)
		TH_LOG("poll: in-tree epoll over R gives %#x, the instance %#x",
		       pf[0].revents, pf[1].revents);

	EXPECT_EQ(0, wait_both(top, "wait after poll"));

	/* again with the readiness arriving after the ADD (a wakeup of R) */
	for (i = 0; i < 2; i++) {
		uint64_t v, one = 1;

		ASSERT_EQ(8, read(efd[i], &v, 8));
		ASSERT_EQ(8, write(efd[i], &one, 8));
		pf[i].revents = 0;
		ret[i] = poll(&pf[i], 1, 0);
	}
	EXPECT_EQ(1, ret[0]);
	EXPECT_EQ(ret[0], ret[1]);
	EXPECT_EQ(pf[0].revents, pf[1].revents)
		TH_LOG("poll after a wakeup: in-tree %#x, the instance %#x",
		       pf[0].revents, pf[1].revents);
	EXPECT_EQ(0, wait_both(top, "wait after a wakeup"));

	for (i = 0; i < 2; i++) {
		close(top[i]);
		close(r[i]);
		close(efd[i]);
	}
}

/* ------------------------------------------------------------ mutex_cycle */

static atomic_bool mc_stop;
static _Atomic unsigned long mc_iter[3];
static int mc_s1, mc_s2, mc_r, mc_e2;

static void *mc_mod(void *p)
{
	(void)p;
	while (!atomic_load(&mc_stop)) {
		sctl(mc_s2, EPOLL_CTL_MOD, mc_s1, EPOLLIN, 3);
		atomic_fetch_add(&mc_iter[0], 1);
	}
	return NULL;
}

static void *mc_wait(void *p)
{
	struct epoll_event ev[4];

	(void)p;
	while (!atomic_load(&mc_stop)) {
		epoll_wait(mc_r, ev, 4, 1);
		atomic_fetch_add(&mc_iter[1], 1);
	}
	return NULL;
}

static void *mc_write(void *p)
{
	uint64_t one = 1, v;

	(void)p;
	while (!atomic_load(&mc_stop)) {
		if (write(mc_e2, &one, 8) == 8 && atomic_load(&mc_iter[2]) % 4 == 3)
			(void)!read(mc_e2, &v, 8);
		atomic_fetch_add(&mc_iter[2], 1);
	}
	return NULL;
}

static int mutex_cycle_child(void)
{
	const struct sep_backend *sh = sep_shadow();
	int r2 = epoll_create1(EPOLL_CLOEXEC);
	const struct cy_thread th[] = {
		{ mc_mod, NULL }, { mc_wait, NULL }, { mc_write, NULL },
	};

	mc_e2 = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	mc_r = epoll_create1(EPOLL_CLOEXEC);
	mc_s1 = sh->create(EPOLL_CLOEXEC);
	mc_s2 = sh->create(EPOLL_CLOEXEC);
	if (r2 < 0 || mc_e2 < 0 || mc_r < 0 || mc_s1 < 0 || mc_s2 < 0)
		return 2;
	if (sctl(mc_s2, EPOLL_CTL_ADD, mc_s1, EPOLLIN, 3) ||
	    sctl(mc_s2, EPOLL_CTL_ADD, mc_e2, EPOLLIN, 5) ||
	    sctl(mc_s1, EPOLL_CTL_ADD, mc_r, EPOLLIN, 2))
		return 3;
	if (rctl(mc_r, EPOLL_CTL_ADD, mc_s2, EPOLLIN, 4) && errno != ELOOP)
		return 4;
	if (rctl(r2, EPOLL_CTL_ADD, mc_s1, EPOLLIN, 6))
		return 5;
	if (run_threads(th, 3, &mc_stop, RACE_MS))
		return 6;
	printf("# mutex_cycle: %lu MODs, %lu waits, %lu writes\n",
	       atomic_load(&mc_iter[0]), atomic_load(&mc_iter[1]),
	       atomic_load(&mc_iter[2]));
	return 0;
}

CHILD_TEST(mutex_cycle, "S2{S1,e2} S1{R} R{S2} R2{S1}: the child hung (deadlock)");

/* ------------------------------------------------------------ wake_cycle */

static int wake_cycle_child(void)
{
	const struct sep_backend *sh = sep_shadow();
	int e = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
	int r = epoll_create1(EPOLL_CLOEXEC);
	int s1 = sh->create(EPOLL_CLOEXEC), s2 = sh->create(EPOLL_CLOEXEC);
	struct epoll_event ev[4];
	uint64_t one = 1, v;
	double t0;
	int n = 0;

	if (e < 0 || r < 0 || s1 < 0 || s2 < 0)
		return 2;
	if (sctl(s1, EPOLL_CTL_ADD, e, EPOLLIN, 1) ||
	    sctl(s1, EPOLL_CTL_ADD, r, EPOLLIN, 2) ||
	    sctl(s2, EPOLL_CTL_ADD, s1, EPOLLIN, 3))
		return 3;
	/* the module cannot see this ADD; in-tree (the fake) refuses it */
	if (rctl(r, EPOLL_CTL_ADD, s2, EPOLLIN, 4) && errno != ELOOP)
		return 4;
	t0 = shep_now_ms();
	while (shep_now_ms() - t0 < 1000) {
		struct pollfd pf[3] = {
			{ .fd = s1, .events = POLLIN },
			{ .fd = s2, .events = POLLIN },
			{ .fd = r, .events = POLLIN },
		};

		if (write(e, &one, 8) != 8)
			return 5;
		sh->wait(s2, ev, 4, 0);
		sh->wait(s1, ev, 4, 0);
		epoll_wait(r, ev, 4, 0);
		poll(pf, 3, 0);
		if (n++ % 2)
			(void)!read(e, &v, 8);
	}
	close(r);
	close(s2);
	close(s1);
	close(e);
	return 0;
}

CHILD_TEST(wake_cycle, "S1{e,R} S2{S1} R{S2}: the child hung (lockup or deadlock)");

/* ----------------------------------------------------------- chain_race */

static atomic_bool cr_stop;
static int cr_s1, cr_s2, cr_r, cr_p[2];

static void *cr_thread(void *p)
{
	uint64_t s = (uint64_t)(unsigned long)p * 0x9e3779b97f4a7c15ull + 1;
	struct epoll_event ev[4];
	char c = 'x', buf[16];

	while (!atomic_load(&cr_stop)) {
		struct pollfd pf = { .events = POLLIN };

		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		switch (s % 6) {
		case 0:
			sep_shadow()->wait(cr_s1, ev, 1 + s % 4, (int)((s >> 8) % 3));
			break;
		case 1:
			sep_shadow()->wait(cr_s2, ev, 1 + s % 4, (int)((s >> 8) % 3));
			break;
		case 2:
			pf.fd = s & 256 ? cr_s1 : cr_s2;
			poll(&pf, 1, (int)((s >> 8) % 3));
			break;
		case 3:
			epoll_wait(cr_r, ev, 4, 0);
			break;
		case 4:
			(void)!write(cr_p[1], &c, 1);
			break;
		default:
			(void)!read(cr_p[0], buf, sizeof(buf));
			break;
		}
	}
	return NULL;
}

/* No cycle: S2 watches S1, S1 watches R and the pipe, R watches the pipe. */
static int chain_race_child(void)
{
	const struct cy_thread th[] = {
		{ cr_thread, (void *)1UL }, { cr_thread, (void *)2UL },
	};

	cr_r = epoll_create1(EPOLL_CLOEXEC);
	cr_s1 = sep_shadow()->create(EPOLL_CLOEXEC);
	cr_s2 = sep_shadow()->create(EPOLL_CLOEXEC);
	if (cr_r < 0 || cr_s1 < 0 || cr_s2 < 0 ||
	    pipe2(cr_p, O_NONBLOCK | O_CLOEXEC))
		return 2;
	if (rctl(cr_r, EPOLL_CTL_ADD, cr_p[0], EPOLLIN | EPOLLPRI, 1) ||
	    sctl(cr_s1, EPOLL_CTL_ADD, cr_r, EPOLLIN, 2) ||
	    sctl(cr_s1, EPOLL_CTL_ADD, cr_p[0], EPOLLIN | EPOLLET | EPOLLONESHOT, 3) ||
	    sctl(cr_s2, EPOLL_CTL_ADD, cr_s1, EPOLLIN, 4))
		return 3;
	return run_threads(th, 2, &cr_stop, RACE_MS) ? 4 : 0;
}

CHILD_TEST(chain_race, "S2{S1} S1{R,pipe} R{pipe}, no cycle: the child hung");

/* ---------------------------------------------------------- sandwich_mod */

static atomic_bool sw_stop;
static int sw_s0, sw_r1, sw_s2, sw_e;

static void *sw_io(void *p)
{
	uint64_t v = 1;
	int n = 0;

	(void)p;
	while (!atomic_load(&sw_stop)) {
		if (n++ % 2)
			(void)!read(sw_e, &v, 8);
		else
			(void)!write(sw_e, &v, 8);
		v = 1;
	}
	return NULL;
}

static void *sw_mod(void *p)
{
	uint32_t m = 0;

	(void)p;
	while (!atomic_load(&sw_stop)) {
		rctl(sw_r1, EPOLL_CTL_MOD, sw_s2,
		     EPOLLIN | (m++ & 1 ? EPOLLET | EPOLLONESHOT : EPOLLRDHUP), 5);
	}
	return NULL;
}

static void *sw_wait(void *p)
{
	struct epoll_event ev[4];
	int n = 0;

	(void)p;
	while (!atomic_load(&sw_stop))
		sep_shadow()->wait(sw_s0, ev, 4, n++ % 3);
	return NULL;
}

/*
 * No cycle: S0 watches real R1, R1 watches S2; S2 and R1 watch a readable
 * eventfd, each watch once more through a dup.  One thread MODs S2 in R1,
 * one waits on S0, one feeds the eventfd: the shape of a stall sep_topo -A
 * found (MOD(R1, S2) and WAIT(S0) stuck); this alone has not hung it yet.
 */
static int sandwich_mod_child(void)
{
	int e = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
	const struct cy_thread th[] = {
		{ sw_mod, NULL }, { sw_wait, NULL }, { sw_io, NULL },
	};

	sw_r1 = epoll_create1(EPOLL_CLOEXEC);
	sw_s0 = sep_shadow()->create(EPOLL_CLOEXEC);
	sw_s2 = sep_shadow()->create(EPOLL_CLOEXEC);
	if (e < 0 || sw_r1 < 0 || sw_s0 < 0 || sw_s2 < 0)
		return 2;
	if (sctl(sw_s2, EPOLL_CTL_ADD, e, EPOLLIN | EPOLLPRI, 1) ||
	    rctl(sw_r1, EPOLL_CTL_ADD, e, EPOLLIN | EPOLLONESHOT, 2) ||
	    rctl(sw_r1, EPOLL_CTL_ADD, sw_s2, EPOLLIN | EPOLLRDHUP, 3) ||
	    sctl(sw_s0, EPOLL_CTL_ADD, sw_r1, EPOLLIN | EPOLLET, 4))
		return 3;
	/* a second registration of each through a dup, as sep_topo had */
	if (rctl(sw_r1, EPOLL_CTL_ADD, dup(sw_s2), EPOLLIN, 6) ||
	    sctl(sw_s0, EPOLL_CTL_ADD, dup(sw_r1), EPOLLIN, 7))
		return 3;
	sw_e = e;
	return run_threads(th, 3, &sw_stop, RACE_MS) ? 4 : 0;
}

CHILD_TEST(sandwich_mod, "S0{R1} R1{S2,e} S2{e}, no cycle, MOD(R1,S2) || WAIT(S0): the child hung");

/*
 * Two CPUs entering one cycle at different points (found by review): S1
 * watches R and e1, S2 watches S1, R watches S2 and e2; one thread writes
 * e1 (e1 -> S1 -> S2 -> R -> ...), another e2 (e2 -> R -> S1 -> ...).  If
 * each chain may cross between the module and real epolls once, they take
 * S1's and R's poll_wait locks in opposite orders: both CPUs spin forever.
 */
static atomic_bool ab_stop;
static int ab_e[2];

static void *ab_write(void *p)
{
	int e = ab_e[(long)p];
	uint64_t one = 1, v;

	while (!atomic_load(&ab_stop)) {
		if (write(e, &one, 8) != 8)
			break;
		(void)!read(e, &v, 8);
	}
	return NULL;
}

static int two_cpu_cycle_child(void)
{
	const struct sep_backend *sh = sep_shadow();
	int r = epoll_create1(EPOLL_CLOEXEC);
	int s1 = sh->create(EPOLL_CLOEXEC), s2 = sh->create(EPOLL_CLOEXEC);
	const struct cy_thread th[] = {
		{ ab_write, (void *)0L }, { ab_write, (void *)1L },
	};

	ab_e[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ab_e[1] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r < 0 || s1 < 0 || s2 < 0 || ab_e[0] < 0 || ab_e[1] < 0)
		return 2;
	if (sctl(s1, EPOLL_CTL_ADD, r, EPOLLIN, 1) ||
	    sctl(s1, EPOLL_CTL_ADD, ab_e[0], EPOLLIN, 2) ||
	    sctl(s2, EPOLL_CTL_ADD, s1, EPOLLIN, 3) ||
	    rctl(r, EPOLL_CTL_ADD, ab_e[1], EPOLLIN, 5))
		return 3;
	if (rctl(r, EPOLL_CTL_ADD, s2, EPOLLIN, 4) && errno != ELOOP)
		return 4;
	return run_threads(th, 2, &ab_stop, RACE_MS) ? 5 : 0;
}

CHILD_TEST(two_cpu_cycle, "S1{R,e1} S2{S1} R{S2,e2}, two writers: the child hung");

/*
 * A real epoll ADD racing a wakeup (found by review): S0 watches S1, S1
 * watches R, R watches e; one thread writes e, another toggles
 * epoll_ctl(R, ADD/DEL, S1).  A wakeup that decided from S1's f_ep that no
 * real epoll watches S1 could meet R's entry hooked meanwhile and re-take
 * R's poll_wait lock on the same CPU.
 */
static atomic_bool fr_stop;
static int fr_s1, fr_r, fr_e;

static void *fr_write(void *p)
{
	uint64_t one = 1, v;

	while (!atomic_load(&fr_stop)) {
		if (write(fr_e, &one, 8) != 8)
			break;
		(void)!read(fr_e, &v, 8);
	}
	return p;
}

static void *fr_toggle(void *p)
{
	while (!atomic_load(&fr_stop)) {
		rctl(fr_r, EPOLL_CTL_ADD, fr_s1, EPOLLIN, 1);
		rctl(fr_r, EPOLL_CTL_DEL, fr_s1, 0, 0);
	}
	return p;
}

static int real_add_race_child(void)
{
	const struct sep_backend *sh = sep_shadow();
	int s0 = sh->create(EPOLL_CLOEXEC);
	const struct cy_thread th[] = {
		{ fr_write, NULL }, { fr_toggle, NULL },
	};

	fr_s1 = sh->create(EPOLL_CLOEXEC);
	fr_r = epoll_create1(EPOLL_CLOEXEC);
	fr_e = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s0 < 0 || fr_s1 < 0 || fr_r < 0 || fr_e < 0)
		return 2;
	if (sctl(s0, EPOLL_CTL_ADD, fr_s1, EPOLLIN, 1) ||
	    sctl(fr_s1, EPOLL_CTL_ADD, fr_r, EPOLLIN, 2) ||
	    rctl(fr_r, EPOLL_CTL_ADD, fr_e, EPOLLIN, 3))
		return 3;
	return run_threads(th, 2, &fr_stop, RACE_MS) ? 5 : 0;
}

CHILD_TEST(real_add_race, "S0{S1} S1{R} R{e}, ADD/DEL of S1 in R racing writes: the child hung");

SEP_REQUIRE_SHADOW_MAIN
