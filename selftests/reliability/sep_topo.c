// SPDX-License-Identifier: GPL-2.0-only
/*
 * sep_topo: randomized topology stress with a progress watchdog.
 *
 *   sep_topo [-s SEED] [-t SEC] [-r SEC] [-j THREADS] [-n NODES] [-w SEC] [-x KINDS] [-R] [-A] [-K] [-q] [-v[v]]
 *
 * Each round builds a random graph of 2..NODES instances, each a shadow
 * instance or an in-tree epoll, plus leaf sources (two eventfds, two
 * pipes), with random edges: cycles through in-tree epolls on purpose
 * (shadow -> real -> shadow ...), EPOLLEXCLUSIVE edges (EINVAL on epoll
 * targets, as in-tree), LT/ET/ONESHOT masks.  ELOOP and EINVAL answers are
 * counted, not failures.  Then THREADS threads do at random for -r seconds:
 * ADD/MOD/DEL between nodes, waits with 0..2 ms timeouts on every node
 * (nested instances re-poll their children), poll() on node fds, close and
 * re-create of nodes, dup of node fds, writes and reads on the leaves,
 * READY/INTEREST dumps.
 *
 * No call may block for long (every wait is bounded), so a thread that makes
 * no progress for -w seconds is stuck in the kernel: a deadlock or a lockup.
 * The workers run in a child process; the parent is the watchdog.  On a
 * stall it prints the topology (nodes, recorded edges) and every thread's
 * last operation, kills the child (which cannot die while a thread sleeps in
 * D state) and exits 1 without waiting for it.  The report also goes to
 * /dev/kmsg: a CPU spinning with interrupts off can stall the serial line
 * stdout is on, not the (polled) console.
 *
 * -A never adds an edge that closes a cycle (ADDs, DEL, close/re-create
 * and dup are serialized, only leaves are re-created, so the recorded graph
 * is exact): the same load without cycles, to tell a cycle hang from any
 * other.
 *
 * -x leaves out kinds of call in the threads, to narrow a hang down: a ADD,
 * m MOD, d DEL, w wait, p poll, c close/re-create, u dup, i leaf I/O,
 * D READY/INTEREST dumps.
 *
 * -v prints each round's topology and a heartbeat, -vv also every ADD of a
 * build (with the time of a hang, that tells which graph did it).  -K
 * writes every thread's current call to the kernel log every 100 ms: when
 * a lockup takes the whole VM, the console log still shows the last calls.
 *
 * -R builds the same kind of graphs from in-tree epolls only (no device
 * needed): the kernel refuses every cycle with ELOOP, so this validates the
 * test on in-tree epoll.  -t is the total time, -r the time per round.
 *
 * Defaults: -t 10 -r 1 -j 4 -n 8 -w 10, seed from the clock (printed).
 *
 * Output: "topo: R rounds, N topologies, C cycles through real epoll
 * (A accepted, L refused), OPS ops, S stalls" (C: ADDs of the builds that
 * close a cycle through a real epoll, exact there; the same count while the
 * threads run is approximate and on the second line, without -q); exit 0
 * if no stall and no
 * call failed with an errno it cannot give, 1 otherwise, 4 (skip) without
 * the device.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "sep_rel.h"

#define MAXN	12		/* instances per round */
#define NLEAF	4		/* eventfd, eventfd, pipe, pipe */
#define NALL	(MAXN + NLEAF)
#define NDUP	4
#define MAXT	16
#define MAIN_T	MAXT		/* slot of the child's main thread */

#define K_SHADOW	1
#define K_REAL		2
#define K_EFD		3
#define K_PIPE		4

#define EDGE_ON		(1U << 20)	/* not an EPOLL* bit */

enum op {
	OP_IDLE, OP_BUILD, OP_ADD, OP_MOD, OP_DEL, OP_WAIT, OP_POLL,
	OP_RECREATE, OP_DUP, OP_WRITE, OP_READ, OP_DUMP, OP_TEARDOWN,
	OP_SLEEP, OP_NR
};

static const char *const op_name[OP_NR] = {
	"idle", "build", "ctl ADD", "ctl MOD", "ctl DEL", "wait", "poll",
	"close+recreate", "dup", "write", "read", "READY/INTEREST dump",
	"teardown", "sleep",
};

struct node {
	_Atomic int fd;
	_Atomic int wfd;	/* pipe: write end */
	int kind;
};

struct thr {
	_Atomic uint64_t count;
	_Atomic int active;
	_Atomic int op, a, b;
	_Atomic uint32_t mask;
	_Atomic int fd_a, fd_b;
};

/* Shared between the workers (child) and the watchdog (parent). */
struct shared {
	_Atomic int round;
	_Atomic int nn;			/* instances this round */
	struct node n[NALL];		/* [0, nn) instances, [MAXN, NALL) leaves */
	_Atomic uint32_t edge[NALL][NALL];	/* edge[u][v]: u watches v */
	_Atomic int dupfd[NDUP], dupof[NDUP];
	struct thr th[MAXT + 1];
	_Atomic uint64_t ops, topos, cyc_try, cyc_ok, cyc_refused;
	_Atomic uint64_t rt_cyc_ok, rt_cyc_refused;	/* approximate */
	_Atomic uint64_t add_ok, add_loop, add_inval, add_other, waits, events;
	_Atomic uint64_t odd;		/* errnos outside the allowed sets */
	_Atomic int done;
};

static struct shared *S;
static struct rel_ep SH;	/* the shadow device, never in-tree */
static bool real_only, acyclic;
/* -A: ADDs, close/re-create and dup one at a time, so no race adds a cycle */
static pthread_mutex_t graph_lock = PTHREAD_MUTEX_INITIALIZER;

static void glock(void)
{
	if (acyclic)
		pthread_mutex_lock(&graph_lock);
}

static void gunlock(void)
{
	if (acyclic)
		pthread_mutex_unlock(&graph_lock);
}
static int nthreads = 4, maxnodes = 8, quiet, verbose, kmsg_trace;
static _Atomic int stop_run;

static void odd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void odd(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rel_vreport(atomic_fetch_add(&S->odd, 1), "topo", fmt, ap);
	va_end(ap);
}

/* fds are closed and re-created under the other threads' feet: a stale fd
 * may be closed (EBADF) or reused by another node of another kind. */
static const int ctl_ok[] = { EBADF, EEXIST, ENOENT, ELOOP, EINVAL, EPERM, 0 };
static const int wait_ok[] = { EBADF, EINVAL, EINTR, 0 };
static const int io_ok[] = { EBADF, EAGAIN, EINVAL, EPIPE, 0 };

static void note(int t, int op, int a, int b, uint32_t mask, int fa, int fb)
{
	struct thr *th = &S->th[t];

	atomic_store(&th->op, op);
	atomic_store(&th->a, a);
	atomic_store(&th->b, b);
	atomic_store(&th->mask, mask);
	atomic_store(&th->fd_a, fa);
	atomic_store(&th->fd_b, fb);
}

static void done_op(int t)
{
	atomic_fetch_add(&S->th[t].count, 1);
	atomic_fetch_add_explicit(&S->ops, 1, memory_order_relaxed);
}

static bool is_inst(int i)
{
	return i < MAXN;
}

static int kind_of(int i)
{
	return S->n[i].kind;
}

static const char *kind_name(int k);

/* ------------------------------------------------------------ the calls */

static int node_create(int kind, int *wfd)
{
	int p[2];

	*wfd = -1;
	switch (kind) {
	case K_SHADOW:
		return rel_create(&SH);
	case K_REAL:
		return epoll_create1(EPOLL_CLOEXEC);
	case K_EFD:
		return eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
	default:
		if (pipe2(p, O_NONBLOCK | O_CLOEXEC))
			return -1;
		*wfd = p[1];
		return p[0];
	}
}

static int do_ctl(int kind, int epfd, int op, int fd, uint32_t events,
		  uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	if (kind == K_SHADOW)
		return rel_ctl(&SH, epfd, op, fd, events, data);
	return epoll_ctl(epfd, op, fd, &ev);
}

static int do_wait(int kind, int epfd, int max, int timeout)
{
	struct epoll_event ev[8];

	if (kind == K_SHADOW)
		return rel_wait(&SH, epfd, ev, max, timeout);
	return epoll_wait(epfd, ev, max, timeout);
}

/* ------------------------------------------------------ graph bookkeeping */

/* reach[a][b]: a watches b through recorded edges (instances only). */
static void closure(bool reach[MAXN][MAXN])
{
	int a, b, c, nn = atomic_load(&S->nn);

	for (a = 0; a < MAXN; a++)
		for (b = 0; b < MAXN; b++)
			reach[a][b] = a < nn && b < nn &&
				      (atomic_load(&S->edge[a][b]) & EDGE_ON);
	for (c = 0; c < nn; c++)
		for (a = 0; a < nn; a++)
			if (reach[a][c])
				for (b = 0; b < nn; b++)
					if (reach[c][b])
						reach[a][b] = true;
}

/*
 * Would u watching v close a cycle through an in-tree epoll?  The nodes on
 * such a cycle are u, v and every w with v ->* w ->* u.  With -R every cycle
 * is all in-tree epolls (the kernel refuses it); otherwise it must hold at
 * least one real epoll and one shadow instance.
 */
static bool closes_real_cycle(int u, int v)
{
	bool reach[MAXN][MAXN];
	bool real = false, shadow = false;
	int w, nn = atomic_load(&S->nn);

	if (!is_inst(u) || !is_inst(v) || u == v)
		return false;
	closure(reach);
	if (!reach[v][u])
		return false;
	for (w = 0; w < nn; w++) {
		bool on = w == u || w == v || (reach[v][w] && reach[w][u]);

		if (!on)
			continue;
		real |= kind_of(w) == K_REAL;
		shadow |= kind_of(w) == K_SHADOW;
	}
	return real && (shadow || real_only);
}

/* -A: would u watching v close any cycle of recorded edges? */
static bool would_cycle(int u, int v)
{
	bool reach[MAXN][MAXN];

	if (!is_inst(u) || !is_inst(v))
		return false;
	if (u == v)
		return true;
	closure(reach);
	return reach[v][u];
}

static void forget_node(int i)
{
	int j;

	for (j = 0; j < NALL; j++) {
		atomic_store(&S->edge[i][j], 0);
		atomic_store(&S->edge[j][i], 0);
	}
}

static uint32_t rand_mask(uint64_t *s)
{
	static const uint32_t m[] = {
		EPOLLIN, EPOLLIN | EPOLLET, EPOLLIN | EPOLLONESHOT,
		EPOLLIN | EPOLLOUT, EPOLLIN | EPOLLET | EPOLLONESHOT,
		EPOLLIN | EPOLLEXCLUSIVE, EPOLLIN | EPOLLET | EPOLLEXCLUSIVE,
		EPOLLIN | EPOLLRDHUP, EPOLLOUT, EPOLLIN | EPOLLPRI,
	};

	return m[rel_below(s, sizeof(m) / sizeof(m[0]))];
}

static int __add_edge(int t, int u, int v, uint32_t mask, bool use_dup,
		      uint64_t *s);

/* ADD u -> v (v may be a leaf); bookkeeping and counts. */
static int add_edge(int t, int u, int v, uint32_t mask, bool use_dup,
		    uint64_t *s)
{
	int r;

	glock();
	r = __add_edge(t, u, v, mask, use_dup, s);
	gunlock();
	return r;
}

static int __add_edge(int t, int u, int v, uint32_t mask, bool use_dup,
		      uint64_t *s)
{
	int ufd = atomic_load(&S->n[u].fd), vfd = atomic_load(&S->n[v].fd);
	bool build = t == MAIN_T;	/* single-threaded: the graph is exact */
	bool cyc;
	int r, e, k;

	if (use_dup) {
		k = rel_below(s, NDUP);
		if (atomic_load(&S->dupof[k]) == v && atomic_load(&S->dupfd[k]) >= 0)
			vfd = atomic_load(&S->dupfd[k]);
	}
	if (ufd < 0 || vfd < 0)
		return -1;
	if (acyclic && would_cycle(u, v))
		return -1;
	cyc = closes_real_cycle(u, v);
	note(t, OP_ADD, u, v, mask, ufd, vfd);
	if (build && verbose > 1)
		printf("topo: build: ADD n%d(%s) -> n%d(%s) %#x%s\n", u,
		       kind_name(kind_of(u)), v, kind_name(kind_of(v)), mask,
		       cyc ? " (closes a cycle through real epoll)" : "");
	r = do_ctl(kind_of(u), ufd, EPOLL_CTL_ADD, vfd, mask,
		   ((uint64_t)u << 8) | (uint64_t)v);
	e = errno;
	if (r == 0) {
		atomic_fetch_add(&S->add_ok, 1);
		/* not if either fd was closed (maybe reused) meanwhile */
		if (atomic_load(&S->n[u].fd) == ufd &&
		    (atomic_load(&S->n[v].fd) == vfd || use_dup))
			atomic_store(&S->edge[u][v], mask | EDGE_ON);
		if (cyc && build) {
			atomic_fetch_add(&S->cyc_try, 1);
			atomic_fetch_add(&S->cyc_ok, 1);
			if (real_only)
				odd("in-tree epoll accepted the cycle %d -> %d", u, v);
		} else if (cyc) {
			atomic_fetch_add(&S->rt_cyc_ok, 1);
		}
	} else {
		if (e == ELOOP)
			atomic_fetch_add(&S->add_loop, 1);
		else if (e == EINVAL)
			atomic_fetch_add(&S->add_inval, 1);
		else
			atomic_fetch_add(&S->add_other, 1);
		if (cyc && e == ELOOP && build) {
			atomic_fetch_add(&S->cyc_try, 1);
			atomic_fetch_add(&S->cyc_refused, 1);
		} else if (cyc && e == ELOOP) {
			atomic_fetch_add(&S->rt_cyc_refused, 1);
		}
		if (!rel_err_in(e, ctl_ok))
			odd("ADD %d -> %d (fd %d -> %d, %#x): errno %d (%s)",
			    u, v, ufd, vfd, mask, e, strerror(e));
	}
	done_op(t);
	errno = e;
	return r;
}

/* ------------------------------------------------------------- the build */

static void build(int t, uint64_t *s)
{
	int nn = 2 + (int)rel_below(s, maxnodes - 1), i, k, ne, len;
	int cyc[MAXN];
	bool have_real = false, have_shadow = false;

	atomic_store(&S->nn, 0);
	for (i = 0; i < NALL; i++) {
		atomic_store(&S->n[i].fd, -1);
		atomic_store(&S->n[i].wfd, -1);
		forget_node(i);
	}
	for (i = 0; i < NDUP; i++) {
		atomic_store(&S->dupfd[i], -1);
		atomic_store(&S->dupof[i], -1);
	}
	for (i = 0; i < nn; i++) {
		int kind = real_only || rel_below(s, 2) ? K_REAL : K_SHADOW;

		/* mixed graphs hold at least one of each kind */
		if (!real_only && i == nn - 1 && !have_real)
			kind = K_REAL;
		if (!real_only && i == nn - 1 && !have_shadow)
			kind = K_SHADOW;
		have_real |= kind == K_REAL;
		have_shadow |= kind == K_SHADOW;
		S->n[i].kind = kind;
	}
	for (i = nn; i < MAXN; i++)
		S->n[i].kind = 0;
	for (i = 0; i < NLEAF; i++)
		S->n[MAXN + i].kind = i < 2 ? K_EFD : K_PIPE;
	atomic_store(&S->nn, nn);
	for (i = 0; i < NALL; i++) {
		int fd, wfd;

		if (!S->n[i].kind)
			continue;
		note(t, OP_BUILD, i, -1, 0, -1, -1);
		fd = node_create(S->n[i].kind, &wfd);
		if (fd < 0) {
			odd("create node %d (kind %d): %s", i, S->n[i].kind,
			    strerror(errno));
			continue;
		}
		atomic_store(&S->n[i].wfd, wfd);
		atomic_store(&S->n[i].fd, fd);
		if (wfd >= 0 && rel_below(s, 2) && write(wfd, "x", 1) != 1)
			odd("pipe write: %s", strerror(errno));
		done_op(t);
	}

	/* a cycle through at least one real epoll, edges added in random order */
	if (rel_below(s, 4)) {
		len = 2 + (int)rel_below(s, (nn < 4 ? nn : 4) - 1);
		for (i = 0; i < nn; i++)
			cyc[i] = i;
		for (i = nn - 1; i > 0; i--) {
			int j = (int)rel_below(s, i + 1), x = cyc[i];

			cyc[i] = cyc[j];
			cyc[j] = x;
		}
		/* make sure the first len hold a real epoll */
		for (i = 0; i < nn && kind_of(cyc[0]) != K_REAL; i++)
			if (kind_of(cyc[i]) == K_REAL) {
				int x = cyc[0];

				cyc[0] = cyc[i];
				cyc[i] = x;
			}
		/* ... and a shadow instance */
		if (!real_only && len >= 2)
			for (i = 1; i < nn && kind_of(cyc[1]) != K_SHADOW; i++)
				if (kind_of(cyc[i]) == K_SHADOW) {
					int x = cyc[1];

					cyc[1] = cyc[i];
					cyc[i] = x;
				}
		k = (int)rel_below(s, len);
		for (i = 0; i < len; i++) {
			int a = cyc[(k + i) % len], b = cyc[(k + i + 1) % len];

			/* EXCLUSIVE is EINVAL on an instance: not here */
			add_edge(t, a, b, rel_below(s, 2) ? EPOLLIN :
				 rand_mask(s) & ~EPOLLEXCLUSIVE, false, s);
		}
	}
	/* random edges, leaves first so instances have something to report */
	ne = nn + (int)rel_below(s, 2 * nn + 1);
	for (i = 0; i < ne; i++) {
		int u = (int)rel_below(s, nn);
		int v = rel_below(s, 3) ? MAXN + (int)rel_below(s, NLEAF) :
			(int)rel_below(s, nn);

		if (i < nn) {
			u = i;
			v = MAXN + (int)rel_below(s, NLEAF);
		}
		add_edge(t, u, v, rand_mask(s), false, s);
	}
	/* nested waits and a poll of every instance */
	for (i = 0; i < nn; i++) {
		int fd = atomic_load(&S->n[i].fd);
		struct pollfd p = { .fd = fd, .events = POLLIN };

		note(t, OP_WAIT, i, -1, 0, fd, -1);
		do_wait(kind_of(i), fd, 8, 0);
		note(t, OP_POLL, i, -1, 0, fd, -1);
		poll(&p, 1, 0);
		done_op(t);
	}
	atomic_fetch_add(&S->topos, 1);
}

static void teardown(int t)
{
	int i, fd;

	for (i = 0; i < NDUP; i++) {
		fd = atomic_exchange(&S->dupfd[i], -1);
		note(t, OP_TEARDOWN, atomic_load(&S->dupof[i]), -1, 0, fd, -1);
		if (fd >= 0)
			close(fd);
		done_op(t);
	}
	for (i = 0; i < NALL; i++) {
		fd = atomic_exchange(&S->n[i].fd, -1);
		note(t, OP_TEARDOWN, i, -1, 0, fd, -1);
		if (fd >= 0)
			close(fd);
		fd = atomic_exchange(&S->n[i].wfd, -1);
		if (fd >= 0)
			close(fd);
		done_op(t);
	}
}

/* ------------------------------------------------------------ the workers */

static int any_node(uint64_t *s)
{
	int nn = atomic_load(&S->nn);

	if (rel_below(s, 3) == 0)
		return MAXN + (int)rel_below(s, NLEAF);
	return (int)rel_below(s, nn);
}

/* -x: the kinds of call the threads leave out */
static const char *exclude = "";

static bool skip(char c)
{
	return strchr(exclude, c) != NULL;
}

static void one_op(int t, uint64_t *s)
{
	int nn = atomic_load(&S->nn);
	int u = (int)rel_below(s, nn), v, fd, fd2, r, k, i;
	uint32_t x = rel_below(s, 100), mask;
	char buf[64];

	if (x < 22) {				/* ADD */
		if (skip('a'))
			return;
		v = any_node(s);
		add_edge(t, u, v, rand_mask(s), rel_below(s, 4) == 0, s);
		return;
	}
	if (x < 30) {				/* MOD */
		if (skip('m'))
			return;
		v = any_node(s);
		mask = rand_mask(s) & ~EPOLLEXCLUSIVE;
		fd = atomic_load(&S->n[u].fd);
		fd2 = atomic_load(&S->n[v].fd);
		note(t, OP_MOD, u, v, mask, fd, fd2);
		r = do_ctl(kind_of(u), fd, EPOLL_CTL_MOD, fd2, mask, 0);
		if (r == 0 && (atomic_load(&S->edge[u][v]) & EDGE_ON))
			atomic_store(&S->edge[u][v], mask | EDGE_ON);
		else if (r < 0 && !rel_err_in(errno, ctl_ok))
			odd("MOD %d -> %d: %s", u, v, strerror(errno));
		done_op(t);
		return;
	}
	if (x < 36) {				/* DEL */
		if (skip('d'))
			return;
		v = any_node(s);
		glock();
		fd = atomic_load(&S->n[u].fd);
		fd2 = atomic_load(&S->n[v].fd);
		note(t, OP_DEL, u, v, 0, fd, fd2);
		r = do_ctl(kind_of(u), fd, EPOLL_CTL_DEL, fd2, 0, 0);
		if (r == 0)
			atomic_store(&S->edge[u][v], 0);
		else if (!rel_err_in(errno, ctl_ok))
			odd("DEL %d -> %d: %s", u, v, strerror(errno));
		gunlock();
		done_op(t);
		return;
	}
	if (x < 56) {				/* wait */
		if (skip('w'))
			return;
		int to = (int)rel_below(s, 3);

		fd = atomic_load(&S->n[u].fd);
		note(t, OP_WAIT, u, to, 0, fd, -1);
		r = do_wait(kind_of(u), fd, 1 + (int)rel_below(s, 8), to);
		if (r < 0 && !rel_err_in(errno, wait_ok))
			odd("wait %d (fd %d): %s", u, fd, strerror(errno));
		atomic_fetch_add(&S->waits, 1);
		if (r > 0)
			atomic_fetch_add(&S->events, (uint64_t)r);
		done_op(t);
		return;
	}
	if (x < 66) {				/* poll */
		if (skip('p'))
			return;
		struct pollfd p[3];
		int np = 1 + (int)rel_below(s, 3);

		for (i = 0; i < np; i++) {
			v = rel_below(s, 2) ? (int)rel_below(s, nn) : any_node(s);
			p[i].fd = atomic_load(&S->n[v].fd);
			p[i].events = POLLIN | (rel_below(s, 2) ? POLLOUT : 0);
			p[i].revents = 0;
		}
		note(t, OP_POLL, np, -1, 0, p[0].fd, np > 1 ? p[1].fd : -1);
		poll(p, np, (int)rel_below(s, 3));
		done_op(t);
		return;
	}
	if (x < 69) {				/* close + re-create */
		if (skip('c'))
			return;
		int wfd;

		v = rel_below(s, 4) ? u : MAXN + (int)rel_below(s, NLEAF);
		/*
		 * -A: an instance closed while another thread's call still
		 * holds it lives on with edges the table forgot: leaves only.
		 */
		if (acyclic && is_inst(v))
			v = MAXN + (int)rel_below(s, NLEAF);
		glock();
		fd = atomic_exchange(&S->n[v].fd, -1);
		if (fd < 0) {
			gunlock();
			return;
		}
		note(t, OP_RECREATE, v, -1, 0, fd, -1);
		forget_node(v);
		close(fd);
		/* -A: a dup would keep the old file and its edges alive */
		for (k = 0; acyclic && k < NDUP; k++) {
			if (atomic_load(&S->dupof[k]) != v)
				continue;
			fd2 = atomic_exchange(&S->dupfd[k], -1);
			if (fd2 >= 0)
				close(fd2);
		}
		wfd = atomic_exchange(&S->n[v].wfd, -1);
		if (wfd >= 0)
			close(wfd);
		fd = node_create(kind_of(v), &wfd);
		if (fd < 0)
			odd("re-create node %d: %s", v, strerror(errno));
		atomic_store(&S->n[v].wfd, wfd);
		atomic_store(&S->n[v].fd, fd);
		gunlock();
		done_op(t);
		/* give a re-created instance an edge or two at once */
		if (fd >= 0 && is_inst(v)) {
			add_edge(t, v, any_node(s), rand_mask(s), false, s);
			add_edge(t, (int)rel_below(s, nn), v, rand_mask(s), false, s);
		}
		return;
	}
	if (x < 73) {				/* dup */
		if (skip('u'))
			return;
		k = (int)rel_below(s, NDUP);
		v = any_node(s);
		glock();
		fd = atomic_exchange(&S->dupfd[k], -1);
		note(t, OP_DUP, v, k, 0, fd, -1);
		if (fd >= 0)
			close(fd);
		fd2 = atomic_load(&S->n[v].fd);
		fd = fd2 >= 0 ? fcntl(fd2, F_DUPFD_CLOEXEC, 0) : -1;
		atomic_store(&S->dupof[k], v);
		atomic_store(&S->dupfd[k], fd);
		gunlock();
		done_op(t);
		return;
	}
	if (x < 85) {				/* write a leaf */
		if (skip('i'))
			return;
		uint64_t one = 1;

		v = MAXN + (int)rel_below(s, NLEAF);
		if (kind_of(v) == K_EFD) {
			fd = atomic_load(&S->n[v].fd);
			note(t, OP_WRITE, v, -1, 0, fd, -1);
			r = (int)write(fd, &one, 8);
		} else {
			fd = atomic_load(&S->n[v].wfd);
			note(t, OP_WRITE, v, -1, 0, fd, -1);
			r = (int)write(fd, "x", 1);
		}
		if (r < 0 && !rel_err_in(errno, io_ok))
			odd("write leaf %d: %s", v, strerror(errno));
		done_op(t);
		return;
	}
	if (x < 93) {				/* read a leaf */
		if (skip('i'))
			return;
		v = MAXN + (int)rel_below(s, NLEAF);
		fd = atomic_load(&S->n[v].fd);
		note(t, OP_READ, v, -1, 0, fd, -1);
		r = (int)read(fd, buf, kind_of(v) == K_EFD ? 8 : (int)sizeof(buf));
		if (r < 0 && !rel_err_in(errno, io_ok))
			odd("read leaf %d: %s", v, strerror(errno));
		done_op(t);
		return;
	}
	/* READY / INTEREST dump of an instance (shadow ones; EINVAL on others) */
	if (!real_only && !skip('D')) {
		union {
			struct shadow_epoll_ready_entry r[16];
			struct shadow_epoll_interest_entry i[16];
		} ent;

		fd = atomic_load(&S->n[u].fd);
		note(t, OP_DUMP, u, -1, 0, fd, -1);
		r = rel_below(s, 2) ? shep_ready(fd, ent.r, 16, NULL) :
				      shep_interest(fd, ent.i, 16);
		if (r < 0 && !rel_err_in(errno, wait_ok))
			odd("dump %d (fd %d): %s", u, fd, strerror(errno));
		done_op(t);
	}
}

struct targ {
	int id;
	uint64_t seed;
};

static void *worker(void *p)
{
	struct targ *ta = p;
	uint64_t s = ta->seed;

	atomic_store(&S->th[ta->id].active, 1);
	while (!atomic_load(&stop_run))
		one_op(ta->id, &s);
	note(ta->id, OP_IDLE, -1, -1, 0, -1, -1);
	atomic_store(&S->th[ta->id].active, 0);
	return NULL;
}

static void print_topology(void);

/* The child: every round, build, run, tear down. */
static int child(uint64_t seed, double total, double per_round)
{
	uint64_t s = seed;
	double t0 = shep_now_s();
	pthread_t th[MAXT];
	struct targ ta[MAXT];
	int round, i;

	atomic_store(&S->th[MAIN_T].active, 1);
	for (round = 0; round == 0 || shep_now_s() - t0 < total; round++) {
		double tr;

		atomic_store(&S->round, round);
		build(MAIN_T, &s);
		if (verbose) {
			printf("topo: round %d: %d instances\n", round,
			       atomic_load(&S->nn));
			print_topology();
		}
		atomic_store(&stop_run, 0);
		for (i = 0; i < nthreads; i++) {
			ta[i].id = i;
			ta[i].seed = rel_rand(&s) | 1;
			if (pthread_create(&th[i], NULL, worker, &ta[i])) {
				perror("topo: pthread_create");
				return 1;
			}
		}
		tr = shep_now_s();
		while (shep_now_s() - tr < per_round) {
			note(MAIN_T, OP_SLEEP, -1, -1, 0, -1, -1);
			usleep(50000);
			done_op(MAIN_T);
		}
		atomic_store(&stop_run, 1);
		for (i = 0; i < nthreads; i++)
			pthread_join(th[i], NULL);
		teardown(MAIN_T);
	}
	atomic_store(&S->round, round);
	atomic_store(&S->done, 1);
	return atomic_load(&S->odd) ? 1 : 0;
}

/* ------------------------------------------------------------ the watchdog */

static const char *kind_name(int k)
{
	switch (k) {
	case K_SHADOW: return "shadow";
	case K_REAL: return "epoll";
	case K_EFD: return "eventfd";
	case K_PIPE: return "pipe";
	default: return "-";
	}
}

static void mask_str(char *b, size_t n, uint32_t m)
{
	snprintf(b, n, "%s%s%s%s%s%s%s%s",
		 m & EPOLLIN ? "IN" : "", m & EPOLLOUT ? "|OUT" : "",
		 m & EPOLLPRI ? "|PRI" : "", m & EPOLLRDHUP ? "|RDHUP" : "",
		 m & EPOLLET ? "|ET" : "", m & EPOLLONESHOT ? "|ONESHOT" : "",
		 m & EPOLLEXCLUSIVE ? "|EXCL" : "", "");
}

static void print_topology(void)
{
	int i, j, nn = atomic_load(&S->nn);
	char mb[64];

	printf("topo: nodes:\n");
	for (i = 0; i < NALL; i++) {
		if (!S->n[i].kind || (is_inst(i) && i >= nn))
			continue;
		printf("  n%-2d %-7s fd %d%s\n", i, kind_name(S->n[i].kind),
		       atomic_load(&S->n[i].fd), "");
	}
	for (i = 0; i < NDUP; i++)
		if (atomic_load(&S->dupfd[i]) >= 0)
			printf("  dup fd %d of n%d\n", atomic_load(&S->dupfd[i]),
			       atomic_load(&S->dupof[i]));
	printf("topo: edges (u watches v, as recorded; approximate after close/dup):\n");
	for (i = 0; i < MAXN; i++)
		for (j = 0; j < NALL; j++) {
			uint32_t m = atomic_load(&S->edge[i][j]);

			if (!(m & EDGE_ON))
				continue;
			mask_str(mb, sizeof(mb), m);
			printf("  n%d(%s) -> n%d(%s) %s\n", i, kind_name(S->n[i].kind),
			       j, kind_name(S->n[j].kind), mb);
		}
}

static void report_stall(int t, double idle, double elapsed, uint64_t seed,
			 const double *last, double tn)
{
	char mb[64], name[16];
	int i;

	printf("topo: STALL: %s made no progress for %.1f s (round %d, %.1f s into the run, seed %#llx)\n",
	       t == MAIN_T ? "main thread" : "a worker", idle,
	       atomic_load(&S->round), elapsed, (unsigned long long)seed);
	print_topology();
	printf("topo: threads:\n");
	for (i = 0; i <= MAXT; i++) {
		struct thr *th = &S->th[i];
		int op = atomic_load(&th->op);

		if (i < MAXT && i >= nthreads)
			continue;
		mask_str(mb, sizeof(mb), atomic_load(&th->mask));
		if (i == MAIN_T)
			snprintf(name, sizeof(name), "main");
		else
			snprintf(name, sizeof(name), "t%d", i);
		printf("  %-4s %s, no progress for %.1f s, ops %llu, last op: %s a=%d b=%d mask=%s fds %d %d\n",
		       name,
		       atomic_load(&th->active) ? "active" : "idle", tn - last[i],
		       (unsigned long long)atomic_load(&th->count),
		       op >= 0 && op < OP_NR ? op_name[op] : "?",
		       atomic_load(&th->a), atomic_load(&th->b), mb,
		       atomic_load(&th->fd_a), atomic_load(&th->fd_b));
	}
	fflush(NULL);
}

static void summary(int stalls)
{
	int rounds = atomic_load(&S->round);

	printf("topo: %d rounds, %llu topologies, %llu cycles through real epoll (%llu accepted, %llu refused), %llu ops, %d stalls\n",
	       rounds, (unsigned long long)atomic_load(&S->topos),
	       (unsigned long long)atomic_load(&S->cyc_try),
	       (unsigned long long)atomic_load(&S->cyc_ok),
	       (unsigned long long)atomic_load(&S->cyc_refused),
	       (unsigned long long)atomic_load(&S->ops), stalls);
	if (!quiet)
		printf("topo: ADD: %llu ok, %llu ELOOP, %llu EINVAL, %llu other; cycles while running (approximate): %llu accepted, %llu refused; %llu waits, %llu events; %llu bad errnos\n",
		       (unsigned long long)atomic_load(&S->add_ok),
		       (unsigned long long)atomic_load(&S->add_loop),
		       (unsigned long long)atomic_load(&S->add_inval),
		       (unsigned long long)atomic_load(&S->add_other),
		       (unsigned long long)atomic_load(&S->rt_cyc_ok),
		       (unsigned long long)atomic_load(&S->rt_cyc_refused),
		       (unsigned long long)atomic_load(&S->waits),
		       (unsigned long long)atomic_load(&S->events),
		       (unsigned long long)atomic_load(&S->odd));
	fflush(NULL);
}

/*
 * The stall report goes to the kernel log first (the console is written by
 * polling, it gets out while a CPU spins with interrupts off; the serial
 * line of stdout may not), then to stdout.
 */
static void emit(const char *buf, size_t len)
{
	int k = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	const char *p = buf, *e;

	while (k >= 0 && p < buf + len) {
		char line[512];
		int n;

		e = memchr(p, '\n', buf + len - p);
		if (!e)
			e = buf + len;
		n = snprintf(line, sizeof(line), "<3>sep_%.*s", (int)(e - p), p);
		if (n > 0)
			(void)!write(k, line, n < (int)sizeof(line) ? n : (int)sizeof(line) - 1);
		p = e + 1;
	}
	if (k >= 0)
		close(k);
	while (len) {
		ssize_t w = write(STDOUT_FILENO, buf, len);

		if (w <= 0)
			break;
		buf += w;
		len -= (size_t)w;
	}
}

/*
 * -K: each thread's current call into the kernel log every 100 ms (the
 * console is polled: a line written before a lockup stays in the log).
 */
static void trace_ops(double t)
{
	static int k = -2;
	char line[512];
	int i, n;

	if (k == -2)
		k = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (k < 0)
		return;
	n = snprintf(line, sizeof(line), "<5>sep_topo: %.1f s r%d", t,
		     atomic_load(&S->round));
	for (i = 0; i <= MAXT && n < (int)sizeof(line) - 48; i++) {
		struct thr *th = &S->th[i];
		int op = atomic_load(&th->op);

		if (i < MAXT && i >= nthreads)
			continue;
		n += snprintf(line + n, sizeof(line) - n, " | %s%d %s %d %d %#x",
			      i == MAIN_T ? "m" : "t", i == MAIN_T ? 0 : i,
			      op >= 0 && op < OP_NR ? op_name[op] : "?",
			      atomic_load(&th->a), atomic_load(&th->b),
			      atomic_load(&th->mask));
	}
	(void)!write(k, line, strlen(line));
}

static void usage(void)
{
	fprintf(stderr, "usage: sep_topo [-s seed] [-t total-sec] [-r sec-per-round] [-j threads] [-n max-nodes] [-w watchdog-sec] [-x amdwpcuiD] [-R] [-A] [-K] [-q] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t seed = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
	double total = 10, per_round = 1, wd = 10, t0, last[MAXT + 1];
	uint64_t seen[MAXT + 1];
	int prev_active[MAXT + 1];
	int opt, i, st;
	pid_t pid;

	while ((opt = getopt(argc, argv, "s:t:r:j:n:w:x:RAKqv")) != -1) {
		switch (opt) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 't': total = atof(optarg); break;
		case 'r': per_round = atof(optarg); break;
		case 'j': nthreads = atoi(optarg); break;
		case 'n': maxnodes = atoi(optarg); break;
		case 'w': wd = atof(optarg); break;
		case 'R': real_only = true; break;
		case 'A': acyclic = true; break;
		case 'K': kmsg_trace = 1; break;
		case 'x': exclude = optarg; break;
		case 'q': quiet = 1; break;
		case 'v': verbose++; break;
		default: usage();
		}
	}
	if (nthreads < 1 || nthreads > MAXT || maxnodes < 2 || maxnodes > MAXN ||
	    total < 0 || per_round <= 0 || wd <= 0)
		usage();
	if (!seed)
		seed = 1;
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	SH.kernel = false;
	if (!real_only && shep_gateway() < 0) {
		printf("topo: SKIP: %s: %s\n", shep_device_path(), strerror(errno));
		return 4;
	}
	S = mmap(NULL, sizeof(*S), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (S == MAP_FAILED) {
		perror("topo: mmap");
		return 1;
	}
	memset(S, 0, sizeof(*S));
	printf("topo: %s%s, %.0f s, %.1f s per round, %d threads, up to %d instances, watchdog %.0f s, seed %#llx\n",
	       real_only ? "in-tree epoll only" : "shadow + in-tree epoll",
	       acyclic ? ", no cycles" : "", total,
	       per_round, nthreads, maxnodes, wd, (unsigned long long)seed);

	pid = fork();
	if (pid < 0) {
		perror("topo: fork");
		return 1;
	}
	if (pid == 0)
		_exit(child(seed, total, per_round));

	/* the watchdog */
	t0 = shep_now_s();
	for (i = 0; i <= MAXT; i++) {
		last[i] = t0;
		seen[i] = 0;
		prev_active[i] = 0;
	}
	for (;;) {
		double tn;
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid) {
			int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 1;

			if (!WIFEXITED(st))
				printf("topo: FAIL: the workers died (status %#x)\n", st);
			summary(0);
			return rc;
		}
		usleep(100000);
		tn = shep_now_s();
		if (kmsg_trace)
			trace_ops(tn - t0);
		if (verbose && (int)(tn - t0) != (int)(tn - t0 - 0.1))
			printf("topo: %.0f s: round %d, %llu ops\n", tn - t0,
			       atomic_load(&S->round),
			       (unsigned long long)atomic_load(&S->ops));
		for (i = 0; i <= MAXT; i++) {
			int act = atomic_load(&S->th[i].active);
			uint64_t c = atomic_load(&S->th[i].count);

			if (!act || !prev_active[i] || c != seen[i]) {
				seen[i] = c;
				last[i] = tn;
				prev_active[i] = act;
				continue;
			}
			if (tn - last[i] > wd) {
				FILE *real_stdout = stdout;
				char *rep = NULL;
				size_t len = 0;

				kill(pid, SIGKILL);
				/* compose the report first, then send it out */
				stdout = open_memstream(&rep, &len);
				if (!stdout)
					stdout = real_stdout;
				report_stall(i, tn - last[i], tn - t0, seed, last, tn);
				summary(1);
				if (stdout != real_stdout) {
					fclose(stdout);
					stdout = real_stdout;
					emit(rep, len);
				}
				/* a thread in D state never exits: do not wait */
				_exit(1);
			}
		}
	}
}
