// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential tests: timeouts (ms and timespec), signals (EINTR never
 * restarted, events beat signals, sigmask restore), blocked waiters woken
 * by events, several waiters on one instance, EPOLLEXCLUSIVE across
 * instances.  Timing assertions are loose; results are compared exactly.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sep_harness.h"
#include "sep_test.h"

static volatile sig_atomic_t handled;
static sigset_t handler_mask;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
	pthread_sigmask(SIG_SETMASK, NULL, &handler_mask);
}

static void install(int flags)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	handled = 0;
}

struct killer {
	pthread_t target;
	int delay_ms;
	pthread_t th;
};

static void *killer_fn(void *arg)
{
	struct killer *k = arg;

	usleep(k->delay_ms * 1000);
	pthread_kill(k->target, SIGUSR1);
	return NULL;
}

static void kill_me_later(struct killer *k, int ms)
{
	k->target = pthread_self();
	k->delay_ms = ms;
	pthread_create(&k->th, NULL, killer_fn, k);
}

enum wkind { W_WAIT, W_PWAIT, W_PWAIT2 };

struct res {
	int ret, err, handled;
	double ms;
	struct epoll_event ev[4];
};

/* One call of a kind on a side; optionally a SIGUSR1 after kill_ms. */
static void call(struct sep_side *side, enum wkind kind, int timeout,
		 const struct timespec *ts, const sigset_t *mask, int kill_ms,
		 struct res *r)
{
	struct killer k;
	double t0;

	handled = 0;
	memset(r->ev, 0xa5, sizeof(r->ev));
	if (kill_ms >= 0)
		kill_me_later(&k, kill_ms);
	t0 = shep_now_ms();
	errno = 0;
	switch (kind) {
	case W_WAIT:
		r->ret = side->b->wait(side->ep, r->ev, 4, timeout);
		break;
	case W_PWAIT:
		r->ret = side->b->pwait(side->ep, r->ev, 4, timeout, mask,
					SEP_SIGSETSIZE);
		break;
	case W_PWAIT2:
		r->ret = side->b->pwait2(side->ep, r->ev, 4, ts, mask,
					 SEP_SIGSETSIZE);
		break;
	}
	r->err = errno;
	r->ms = shep_now_ms() - t0;
	if (kill_ms >= 0)
		pthread_join(k.th, NULL);
	r->handled = handled;
}

FIXTURE(wake) {
	struct sep_duo d;
	struct res r[2];
};

FIXTURE_VARIANT(wake) {
	enum wkind kind;
};

FIXTURE_VARIANT_ADD(wake, wait) { .kind = W_WAIT };
FIXTURE_VARIANT_ADD(wake, pwait) { .kind = W_PWAIT };
FIXTURE_VARIANT_ADD(wake, pwait2) { .kind = W_PWAIT2 };

FIXTURE_SETUP(wake)
{
	ASSERT_EQ(0, sep_duo_setup(&self->d, 2, SEP_EVENTFD, MODE_LT, false));
	install(SA_RESTART);
}

FIXTURE_TEARDOWN(wake)
{
	sep_duo_fini(&self->d);
}

static struct timespec ms_ts(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	return ts;
}

/* Both sides, same call; compare ret/errno/events/handler count. */
static int both(FIXTURE_DATA(wake) *self, enum wkind kind, int ms,
		bool null_ts, const sigset_t *mask, int kill_ms)
{
	struct timespec ts = ms_ts(ms < 0 ? 0 : ms);
	int s;

	for (s = 0; s < 2; s++)
		call(&self->d.s[s], kind, ms, null_ts ? NULL : &ts, mask,
		     kill_ms, &self->r[s]);
	if (sep_cmp_result("wait", self->r[0].ret, self->r[0].err,
			   self->r[1].ret, self->r[1].err) ||
	    sep_cmp_bytes("wait", self->r[0].ev, self->r[1].ev,
			  sizeof(self->r[0].ev)))
		return -1;
	if (self->r[0].handled != self->r[1].handled) {
		fprintf(stderr, "# DIFF handler ran %d vs %d times\n",
			self->r[0].handled, self->r[1].handled);
		return -1;
	}
	return 0;
}

TEST_F(wake, timeout_zero)
{
	ASSERT_EQ(0, both(self, variant->kind, 0, false, NULL, -1));
	EXPECT_EQ(0, self->r[0].ret);
	EXPECT_GT(200, self->r[1].ms);
}

TEST_F(wake, timeout_small)
{
	ASSERT_EQ(0, both(self, variant->kind, 30, false, NULL, -1));
	EXPECT_EQ(0, self->r[0].ret);
	EXPECT_LE(29.5, self->r[0].ms);
	EXPECT_LE(29.5, self->r[1].ms);
	EXPECT_GT(1000, self->r[1].ms);
}

/* Events win over a signal that arrives later; event wakes a sleeper. */
TEST_F(wake, event_wakes_sleeper)
{
	int s;

	for (s = 0; s < 2; s++) {
		struct sep_side *side = &self->d.s[s];
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			usleep(60000);
			sep_src_signal(&side->src[1]);
			_exit(0);
		}
		/* pwait2 with a NULL timespec: infinite */
		call(side, variant->kind, 3000, NULL, NULL, -1, &self->r[s]);
		waitpid(pid, NULL, 0);
	}
	EXPECT_EQ(1, self->r[0].ret);
	EXPECT_EQ(0, sep_cmp_result("woken", self->r[0].ret, self->r[0].err,
				    self->r[1].ret, self->r[1].err));
	EXPECT_EQ(0, sep_cmp_bytes("woken", self->r[0].ev, self->r[1].ev,
				   sizeof(self->r[0].ev)));
	EXPECT_GT(2000, self->r[1].ms);
}

/* Negative ms / NULL timespec = infinite: ended by a signal, EINTR even
 * with SA_RESTART. */
TEST_F(wake, infinite_eintr_sa_restart)
{
	ASSERT_EQ(0, both(self, variant->kind, -1, true, NULL, 80));
	EXPECT_EQ(-1, self->r[0].ret);
	EXPECT_EQ(EINTR, self->r[0].err);
	EXPECT_EQ(1, self->r[0].handled);
	EXPECT_LE(70, self->r[1].ms);
	if (variant->kind != W_PWAIT2) {
		ASSERT_EQ(0, both(self, variant->kind, -7, true, NULL, 50));
		EXPECT_EQ(EINTR, self->r[0].err);
	}
}

TEST_F(wake, finite_eintr)
{
	ASSERT_EQ(0, both(self, variant->kind, 2000, false, NULL, 50));
	EXPECT_EQ(-1, self->r[0].ret);
	EXPECT_EQ(EINTR, self->r[0].err);
	EXPECT_GT(1500, self->r[1].ms);
}

/* pwait2 NULL timespec with something ready returns at once. */
TEST_F(wake, ready_no_sleep)
{
	sep_duo_signal(&self->d, 0);
	ASSERT_EQ(0, both(self, variant->kind, -1, true, NULL, -1));
	EXPECT_EQ(1, self->r[0].ret);
	ASSERT_EQ(0, both(self, variant->kind, 5000, false, NULL, -1));
	EXPECT_GT(1000, self->r[1].ms);
}

/*
 * A signal pending but blocked, unblocked by the call's sigmask: with an
 * event ready the call returns it, the handler does not run, the signal
 * stays pending, the old mask is back.
 */
TEST_F(wake, sigmask_events_beat_signal)
{
	sigset_t block, empty, now[2], pend[2];
	int s;

	if (variant->kind == W_WAIT)
		SKIP(return, "no sigmask in epoll_wait");
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	sep_duo_signal(&self->d, 0);
	for (s = 0; s < 2; s++) {
		pthread_sigmask(SIG_BLOCK, &block, NULL);
		raise(SIGUSR1);
		call(&self->d.s[s], variant->kind, 100, &(struct timespec){ 0, 100000000 },
		     &empty, -1, &self->r[s]);
		pthread_sigmask(SIG_SETMASK, NULL, &now[s]);
		sigpending(&pend[s]);
		/* let it run now, before the other side */
		pthread_sigmask(SIG_UNBLOCK, &block, NULL);
	}
	EXPECT_EQ(1, self->r[0].ret);
	EXPECT_EQ(0, self->r[0].handled);
	EXPECT_EQ(self->r[0].ret, self->r[1].ret);
	EXPECT_EQ(self->r[0].handled, self->r[1].handled);
	EXPECT_EQ(1, sigismember(&now[0], SIGUSR1));
	EXPECT_EQ(sigismember(&now[0], SIGUSR1), sigismember(&now[1], SIGUSR1));
	EXPECT_EQ(1, sigismember(&pend[0], SIGUSR1));
	EXPECT_EQ(sigismember(&pend[0], SIGUSR1), sigismember(&pend[1], SIGUSR1));
}

/* Nothing ready: the unblocked pending signal interrupts (EINTR), the
 * handler runs with the call's mask, and the old mask is restored. */
TEST_F(wake, sigmask_eintr_restore)
{
	sigset_t block, tmp, now[2], hm[2];
	int s;

	if (variant->kind == W_WAIT)
		SKIP(return, "no sigmask in epoll_wait");
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&tmp);
	sigaddset(&tmp, SIGUSR2);
	for (s = 0; s < 2; s++) {
		pthread_sigmask(SIG_BLOCK, &block, NULL);
		raise(SIGUSR1);
		call(&self->d.s[s], variant->kind, 1000, &(struct timespec){ 1, 0 },
		     &tmp, -1, &self->r[s]);
		pthread_sigmask(SIG_SETMASK, NULL, &now[s]);
		hm[s] = handler_mask;
		pthread_sigmask(SIG_UNBLOCK, &block, NULL);
	}
	EXPECT_EQ(-1, self->r[0].ret);
	EXPECT_EQ(EINTR, self->r[0].err);
	EXPECT_EQ(1, self->r[0].handled);
	EXPECT_EQ(0, sep_cmp_result("eintr", self->r[0].ret, self->r[0].err,
				    self->r[1].ret, self->r[1].err));
	EXPECT_EQ(self->r[0].handled, self->r[1].handled);
	/* the handler ran under the call's mask (SIGUSR2 blocked) */
	EXPECT_EQ(1, sigismember(&hm[0], SIGUSR2));
	EXPECT_EQ(sigismember(&hm[0], SIGUSR2), sigismember(&hm[1], SIGUSR2));
	/* and the old mask is back */
	EXPECT_EQ(1, sigismember(&now[0], SIGUSR1));
	EXPECT_EQ(0, sigismember(&now[0], SIGUSR2));
	EXPECT_EQ(sigismember(&now[0], SIGUSR1), sigismember(&now[1], SIGUSR1));
	EXPECT_EQ(sigismember(&now[0], SIGUSR2), sigismember(&now[1], SIGUSR2));
}

/* A sigmask that blocks the signal: the call sleeps through it. */
TEST_F(wake, sigmask_blocks_signal)
{
	sigset_t block;

	if (variant->kind == W_WAIT)
		SKIP(return, "no sigmask in epoll_wait");
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	ASSERT_EQ(0, both(self, variant->kind, 150, false, &block, 30));
	EXPECT_EQ(0, self->r[0].ret);
	EXPECT_EQ(1, self->r[0].handled);	/* after the mask was restored */
	EXPECT_LE(140, self->r[1].ms);
}

/* ---- several waiters ---- */

#define WAITER_TIMEOUT	1500
#define WOKEN_BEFORE	1000

struct waiter {
	const struct sep_backend *b;
	int ep, ret, err;
	volatile pid_t tid;
	double ms;
	pthread_t th;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;
	struct epoll_event ev[4];
	double t0;

	w->tid = gettid();
	t0 = shep_now_ms();
	errno = 0;
	w->ret = w->b->wait(w->ep, ev, 1, WAITER_TIMEOUT);
	w->err = errno;
	w->ms = shep_now_ms() - t0;
	return NULL;
}

/* Wait (up to 3 s) until a waiter thread is asleep in the kernel. */
static void wait_asleep(struct waiter *w)
{
	char path[64], buf[256], *p;
	int i;
	FILE *f;

	for (i = 0; i < 300; i++) {
		usleep(10000);
		if (!w->tid)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/stat", w->tid);
		f = fopen(path, "re");
		if (!f)
			continue;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		p = p ? strrchr(buf, ')') : NULL;
		if (p && p[1] == ' ' && p[2] == 'S')
			break;
	}
	usleep(20000);
}

/* Number of waiters that returned an event well before their timeout. */
static int woken(struct waiter *w, int n)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += w[i].ret > 0 && w[i].ms < WOKEN_BEFORE;
	return c;
}

/* Two threads on one instance, one item: LT wakes both, ET one. */
TEST(two_waiters_one_instance)
{
	int mode, s, i, c[2][2];

	for (mode = 0; mode < 2; mode++) {
		struct waiter w[2][2];
		int ep[2], efd[2];

		for (s = 0; s < 2; s++) {
			const struct sep_backend *b = s ? sep_shadow() : sep_real();
			struct epoll_event ev = {
				.events = EPOLLIN | (mode ? EPOLLET : 0) };

			ep[s] = b->create(0);
			efd[s] = eventfd(0, EFD_CLOEXEC);
			ASSERT_EQ(0, b->ctl(ep[s], EPOLL_CTL_ADD, efd[s], &ev));
			for (i = 0; i < 2; i++) {
				w[s][i].b = b;
				w[s][i].ep = ep[s];
				w[s][i].tid = 0;
				pthread_create(&w[s][i].th, NULL, waiter_fn, &w[s][i]);
			}
		}
		for (s = 0; s < 2; s++)
			for (i = 0; i < 2; i++)
				wait_asleep(&w[s][i]);
		for (s = 0; s < 2; s++) {
			uint64_t one = 1;

			ASSERT_EQ(8, write(efd[s], &one, 8));
		}
		for (s = 0; s < 2; s++) {
			for (i = 0; i < 2; i++)
				pthread_join(w[s][i].th, NULL);
			c[mode][s] = woken(w[s], 2);
			close(ep[s]);
			close(efd[s]);
		}
	}
	EXPECT_EQ(2, c[0][0]);
	EXPECT_EQ(1, c[1][0]);
	EXPECT_EQ(c[0][0], c[0][1]);
	EXPECT_EQ(c[1][0], c[1][1]);
}

#define NEXCL 4

/*
 * NEXCL instances, each with a registration on the same eventfd (per side)
 * and a blocked waiter (except instance 0 when idle0).  Returns per instance
 * whether its waiter was woken and whether it has the item queued after.
 */
static void exclusive_run(const struct sep_backend *b, bool excl, bool idle0,
			  int *wok, int *queued, int *ctl_ret)
{
	struct waiter w[NEXCL];
	int ep[NEXCL], efd, i;
	uint64_t one = 1;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	for (i = 0; i < NEXCL; i++) {
		struct epoll_event ev = {
			.events = EPOLLIN | (excl ? EPOLLEXCLUSIVE : 0),
			.data.u64 = i };

		ep[i] = b->create(0);
		ctl_ret[i] = b->ctl(ep[i], EPOLL_CTL_ADD, efd, &ev);
		w[i].b = b;
		w[i].ep = ep[i];
		w[i].ret = -2;
		w[i].tid = 0;
		if (!(idle0 && i == 0))
			pthread_create(&w[i].th, NULL, waiter_fn, &w[i]);
	}
	for (i = 0; i < NEXCL; i++)
		if (!(idle0 && i == 0))
			wait_asleep(&w[i]);
	if (write(efd, &one, 8) != 8)
		ctl_ret[0] = -100;
	for (i = 0; i < NEXCL; i++) {
		struct epoll_event ev;

		if (!(idle0 && i == 0))
			pthread_join(w[i].th, NULL);
		wok[i] = w[i].ret > 0 && w[i].ms < WOKEN_BEFORE;
		queued[i] = b->wait(ep[i], &ev, 1, 0);
		close(ep[i]);
	}
	close(efd);
}

static void exclusive_cmp(struct __test_metadata *_metadata, bool excl,
			  bool idle0)
{
	int wok[2][NEXCL], q[2][NEXCL], cr[2][NEXCL], s, i, nw = 0;

	for (s = 0; s < 2; s++)
		exclusive_run(s ? sep_shadow() : sep_real(), excl, idle0,
			      wok[s], q[s], cr[s]);
	for (i = 0; i < NEXCL; i++) {
		EXPECT_EQ(0, cr[0][i]);
		EXPECT_EQ(cr[0][i], cr[1][i]) TH_LOG("instance %d ctl", i);
		EXPECT_EQ(wok[0][i], wok[1][i]) TH_LOG("instance %d woken", i);
		EXPECT_EQ(q[0][i], q[1][i]) TH_LOG("instance %d queued", i);
		nw += wok[0][i];
	}
	if (excl) {
		EXPECT_EQ(1, nw);
	} else {
		EXPECT_EQ(idle0 ? NEXCL - 1 : NEXCL, nw);
	}
	if (excl && idle0) {
		/* the idle instance got it queued, the one after the woken not */
		EXPECT_EQ(1, q[0][0]);
		EXPECT_EQ(0, q[0][NEXCL - 1]);
	}
}

TEST(exclusive_one_woken)
{
	exclusive_cmp(_metadata, true, false);
}

TEST(exclusive_idle_instance_first)
{
	exclusive_cmp(_metadata, true, true);
}

TEST(non_exclusive_all_woken)
{
	exclusive_cmp(_metadata, false, false);
}

TEST(non_exclusive_idle_instance_first)
{
	exclusive_cmp(_metadata, false, true);
}

SEP_REQUIRE_SHADOW_MAIN
