// SPDX-License-Identifier: GPL-2.0-only
/*
 * sep_report: the main job's side-by-side report.
 *
 * Runs the worked examples (§2.5 (a)-(g)) and a few more scenarios
 * (many ready items > maxevents) on in-tree epoll and on the shadow, each
 * side with its own files.  For every call it prints the events returned by
 * both, then the shadow's ready list after the call (READY dump) next to the
 * in-tree order (probed on a clone of the scenario replayed up to that call),
 * marking differences.  Ends with
 *   report: N scenarios, N calls, N differences
 * and exits 1 on any difference (4 if the shadow is not available).
 *
 * Usage: sep_report [-q] [scenario-name...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sep_lib.h"

enum { S_SIG, S_DRAIN, S_ADD, S_MOD, S_DEL, S_WAIT, S_WAITF, S_UFFD };

struct step {
	int op;
	int a;		/* item, or maxevents */
	int b;		/* mask, or writable room (S_WAITF) */
	int nsig;
	int sig[8];	/* S_UFFD: items signalled during the pause */
};

#define MAX_STEPS 200

struct scen {
	const char *name;
	const char *desc;
	int n;
	int type;
	int nsteps;
	struct step st[MAX_STEPS];
};

struct result {
	int ret, err;
	int nev;			/* events captured */
	struct epoll_event ev[SEP_BUF_EVENTS];
	int room;			/* S_WAITF: bytes compared */
	unsigned char raw[SEP_BUF_EVENTS * 12];
	int dump_n;			/* S_UFFD paused dump, -1 none */
	uint64_t dump[32];
};

static int quiet;
static int total_calls, total_diffs;

/* ---- scenario building ---- */

static struct step *push(struct scen *s, int op, int a, int b)
{
	struct step *st = &s->st[s->nsteps++];

	memset(st, 0, sizeof(*st));
	st->op = op;
	st->a = a;
	st->b = b;
	return st;
}

/* n items; signalled (if sig) then added in order with masks[i % nm]. */
static void prologue(struct scen *s, const char *name, const char *desc,
		     int n, int type, const uint32_t *masks, int nm, int nsig)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->desc = desc;
	s->n = n;
	s->type = type;
	for (i = 0; i < n; i++) {
		if (i < nsig)
			push(s, S_SIG, i, 0);
		push(s, S_ADD, i, masks[i % nm]);
	}
}

static void waits(struct scen *s, int max, int count)
{
	while (count--)
		push(s, S_WAIT, max, 0);
}

/* ---- running ---- */

static int apply(struct sep_side *side, int sidx, const struct step *st,
		 struct result *r)
{
	struct epoll_event ev;
	int i;

	memset(r, 0, sizeof(*r));
	r->dump_n = -1;
	errno = 0;
	switch (st->op) {
	case S_SIG:
		return sep_src_signal(&side->src[st->a]);
	case S_DRAIN:
		return sep_src_drain(&side->src[st->a]);
	case S_ADD:
	case S_MOD:
	case S_DEL:
		ev.events = (uint32_t)st->b;
		ev.data.u64 = sep_data(st->a);
		r->ret = side->b->ctl(side->ep, st->op == S_ADD ? EPOLL_CTL_ADD :
				      st->op == S_MOD ? EPOLL_CTL_MOD :
				      EPOLL_CTL_DEL, side->src[st->a].rfd, &ev);
		r->err = errno;
		return 0;
	case S_WAIT:
		memset(side->buf, 0xa5, sizeof(side->buf));
		r->ret = side->b->wait(side->ep, side->buf, st->a, 0);
		r->err = errno;
		r->nev = r->ret > 0 ? r->ret : 0;
		memcpy(r->ev, side->buf, sizeof(r->ev));
		return 0;
	case S_WAITF: {
		char *buf = sep_fault_buf(sidx, st->b);

		if (!buf)
			return -1;
		r->ret = side->b->wait(side->ep, (struct epoll_event *)buf,
				       st->a, 0);
		r->err = errno;
		r->room = st->b;
		memcpy(r->raw, buf, st->b);
		r->nev = r->ret > 0 ? r->ret : 0;
		memcpy(r->ev, buf, (size_t)r->nev * SEP_EVENT_SIZE);
		return 0;
	}
	case S_UFFD: {
		struct sep_uffd_result u;
		int rc = sep_uffd_wait(side, st->a, st->sig, st->nsig, &u);

		if (rc)
			return -1;
		r->ret = u.ret;
		r->err = u.err;
		r->nev = u.ret > 0 ? (u.ret < 16 ? u.ret : 16) : 0;
		memcpy(r->ev, u.ev, (size_t)r->nev * SEP_EVENT_SIZE);
		r->dump_n = u.dump_n;
		for (i = 0; i < u.dump_n && i < 32; i++)
			r->dump[i] = u.dump[i];
		return 0;
	}
	}
	return -1;
}

static bool is_call(int op)
{
	return op == S_WAIT || op == S_WAITF || op == S_UFFD;
}

/* Order after step k, by replaying steps 0..k on a fresh side and probing. */
static int clone_order(const struct scen *sc, const struct sep_backend *b,
		       int sidx, int k, uint64_t *data, int max)
{
	struct sep_side *side = calloc(1, sizeof(*side));
	struct result *r = calloc(1, sizeof(*r));
	int i, n = -1;

	if (!side || !r)
		goto out;
	if (sep_side_init(side, b, sc->n, sc->type))
		goto fini;
	for (i = 0; i <= k; i++)
		if (apply(side, sidx, &sc->st[i], r))
			goto fini;
	n = b->ready_order(side->ep, data, max, NULL);
fini:
	sep_side_fini(side);
out:
	free(side);
	free(r);
	return n;
}

static const char *fmt_res(char *buf, size_t size, const struct result *r)
{
	char evs[900];
	size_t i, n;

	if (r->ret < 0) {
		snprintf(buf, size, "-1 %s", strerrorname_np(r->err) ?
			 strerrorname_np(r->err) : "?");
		return buf;
	}
	n = (size_t)r->nev;
	sep_fmt_events(evs, sizeof(evs), r->ev, (int)n);
	/* events are all EPOLLIN in most scenarios: show letters if so */
	for (i = 0; i < n; i++)
		if (r->ev[i].events != EPOLLIN)
			break;
	if (i == n) {
		uint64_t d[SEP_BUF_EVENTS];

		for (i = 0; i < n; i++)
			d[i] = r->ev[i].data.u64;
		sep_fmt_order(evs, sizeof(evs), d, (int)n);
	}
	snprintf(buf, size, "%d: %s", r->ret, evs);
	return buf;
}

static bool same_result(const struct result *a, const struct result *b)
{
	if (a->ret != b->ret || (a->ret < 0 && a->err != b->err))
		return false;
	if (a->nev != b->nev ||
	    memcmp(a->ev, b->ev, (size_t)a->nev * SEP_EVENT_SIZE))
		return false;
	if (a->room && memcmp(a->raw, b->raw, a->room))
		return false;
	return true;
}

static const char *op_name(char *buf, size_t size, const struct step *st)
{
	int i, n;

	switch (st->op) {
	case S_WAIT:
		snprintf(buf, size, "wait(max %d)", st->a);
		break;
	case S_WAITF:
		snprintf(buf, size, "wait(max %d, fault@%dB)", st->a, st->b);
		break;
	case S_UFFD:
		n = snprintf(buf, size, "wait(max %d, paused: ", st->a);
		for (i = 0; i < st->nsig; i++)
			n += snprintf(buf + n, size - n, "%c", sep_letter(st->sig[i]));
		snprintf(buf + n, size - n, ")");
		break;
	default:
		buf[0] = 0;
	}
	return buf;
}

/* Device: the raw READY dump when it holds entries a scan would drop. */
static void print_raw_dump(int ep)
{
	struct shadow_epoll_ready_entry e[256];
	char buf[2048];
	size_t used = 0;
	uint32_t fl = 0;
	int n, i, stale = 0;

	n = shep_ready(ep, e, 256, &fl);
	if (n > 256)
		n = 256;
	buf[0] = 0;
	for (i = 0; i < n && used + 24 < sizeof(buf); i++) {
		bool ready = sep_entry_ready(e[i].fd, e[i].events);
		int idx = sep_data_idx(e[i].data);

		stale += !ready;
		used += snprintf(buf + used, sizeof(buf) - used, "%s%s%c%s",
				 i ? " " : "", ready ? "" : "(",
				 idx >= 0 ? sep_letter(idx) : '?',
				 ready ? "" : ")");
	}
	if (stale || fl)
		printf("   %-4s %-26s %-34s %s%s\n", "", "raw READY dump",
		       "(stale entries in parentheses)", buf,
		       fl & SHADOW_EPOLL_DUMP_SCANNING ? " [SCANNING]" : "");
}

static int run(const struct scen *sc)
{
	struct sep_duo *d = calloc(1, sizeof(*d));
	struct result *r = calloc(2, sizeof(*r));
	struct sep_side *w = d ? d->s : NULL;
	int k, s, calls = 0, diffs = 0;
	char b0[1024], b1[1024], on[128];

	if (!d || !r)
		return -1;
	printf("\n== %s: %s (%d x %s)\n", sc->name, sc->desc, sc->n,
	       sep_ftype_name(sc->type));
	printf("   %-4s %-26s %-34s %-34s\n", "call", "operation", "in-tree",
	       sep_shadow()->name);
	if (sep_duo_init(d, sc->n, sc->type)) {
		printf("   setup failed: %s\n", strerror(errno));
		diffs++;
		goto out;
	}
	for (k = 0; k < sc->nsteps; k++) {
		const struct step *st = &sc->st[k];
		uint64_t ro[256], so[256];
		int nr, ns;
		uint32_t fl = 0;
		bool same;

		for (s = 0; s < 2; s++) {
			if (apply(&w[s], s, st, &r[s])) {
				printf("   step %d failed on %s: %s\n", k,
				       w[s].b->name, strerror(errno));
				diffs++;
				goto out;
			}
		}
		if (!is_call(st->op)) {
			if ((st->op == S_ADD || st->op == S_MOD ||
			     st->op == S_DEL) && !same_result(&r[0], &r[1])) {
				printf("   ctl step %d: in-tree %d/%d shadow %d/%d  <<< DIFF\n",
				       k, r[0].ret, r[0].err, r[1].ret, r[1].err);
				diffs++;
			}
			if (!quiet && st->op == S_SIG && k && is_call(sc->st[k - 1].op))
				printf("   %-4s signal %c\n", "", sep_letter(st->a));
			if (!quiet && st->op == S_DRAIN)
				printf("   %-4s drain %c\n", "", sep_letter(st->a));
			if (!quiet && st->op == S_MOD)
				printf("   %-4s MOD %c %#x\n", "", sep_letter(st->a),
				       st->b);
			if (!quiet && st->op == S_DEL)
				printf("   %-4s DEL %c\n", "", sep_letter(st->a));
			continue;
		}
		calls++;
		same = same_result(&r[0], &r[1]);
		diffs += !same;
		printf("   %-4d %-26s %-34s %-34s%s\n", calls,
		       op_name(on, sizeof(on), st),
		       fmt_res(b0, sizeof(b0), &r[0]),
		       fmt_res(b1, sizeof(b1), &r[1]), same ? "" : "  <<< DIFF");
		if (st->op == S_UFFD && r[1].dump_n >= 0)
			printf("   %-4s %-26s %-34s %s\n", "", "ready while paused",
			       "(not observable)",
			       sep_fmt_order(b1, sizeof(b1), r[1].dump,
					     r[1].dump_n));
		/* ready list after the call */
		nr = clone_order(sc, sep_real(), 0, k, ro, 256);
		if (w[1].b->ready_is_dump) {
			ns = w[1].b->ready_order(w[1].ep, so, 256, &fl);
			print_raw_dump(w[1].ep);
		} else {
			ns = clone_order(sc, w[1].b, 1, k, so, 256);
		}
		same = nr == ns && (nr <= 0 || !memcmp(ro, so, sizeof(*ro) * nr)) &&
		       !(fl & SHADOW_EPOLL_DUMP_SCANNING);
		diffs += !same;
		printf("   %-4s %-26s %-34s %-34s%s\n", "", "ready after",
		       sep_fmt_order(b0, sizeof(b0), ro, nr > 0 ? nr : 0),
		       sep_fmt_order(b1, sizeof(b1), so, ns > 0 ? ns : 0),
		       same ? "" : "  <<< DIFF");
	}
out:
	sep_duo_fini(d);
	free(d);
	free(r);
	total_calls += calls;
	total_diffs += diffs;
	printf("   -> %d calls, %d differences\n", calls, diffs);
	return diffs;
}

/* ---- the scenarios ---- */

static const uint32_t LT[] = { EPOLLIN };
static const uint32_t ET[] = { EPOLLIN | EPOLLET };
static const uint32_t OS[] = { EPOLLIN | EPOLLONESHOT };
static const uint32_t MIX[] = {
	EPOLLIN, EPOLLIN | EPOLLET, EPOLLIN | EPOLLONESHOT, EPOLLIN,
	EPOLLIN | EPOLLET,
};

static int build(struct scen *all)
{
	struct scen *s = all;
	struct step *st;
	int i;

	prologue(s, "a", "5 x LT, maxevents 2 (§2.5 a)", 5, SEP_EVENTFD, LT, 1, 5);
	waits(s, 2, 4);
	s++;
	prologue(s, "b", "5 x ET, maxevents 2, then A again (§2.5 b)", 5,
		 SEP_EVENTFD, ET, 1, 5);
	waits(s, 2, 4);
	push(s, S_SIG, 0, 0);
	waits(s, 2, 1);
	s++;
	prologue(s, "c", "5 x ONESHOT, maxevents 2, MOD re-arm (§2.5 c)", 5,
		 SEP_EVENTFD, OS, 1, 5);
	waits(s, 2, 3);
	push(s, S_SIG, 1, 0);
	waits(s, 2, 1);
	push(s, S_MOD, 0, EPOLLIN | EPOLLONESHOT);
	waits(s, 2, 1);
	s++;
	prologue(s, "d", "mix LT ET ONESHOT LT ET, maxevents 2 (§2.5 d)", 5,
		 SEP_EVENTFD, MIX, 5, 5);
	waits(s, 2, 4);
	s++;
	prologue(s, "e", "LT, B drained before the call (§2.5 e)", 5,
		 SEP_EVENTFD, LT, 1, 5);
	push(s, S_DRAIN, 1, 0);
	waits(s, 2, 2);
	s++;
	prologue(s, "f1", "LT, EFAULT at slot 1, maxevents 3 (§2.5 f)", 5,
		 SEP_EVENTFD, LT, 1, 5);
	push(s, S_WAITF, 3, 12);
	waits(s, 5, 1);
	s++;
	prologue(s, "f2", "LT, EFAULT at slot 0 (§2.5 f)", 5, SEP_EVENTFD,
		 LT, 1, 5);
	push(s, S_WAITF, 3, 0);
	waits(s, 5, 1);
	s++;
	prologue(s, "f3", "ONESHOT, data of slot 0 faults (§2.5 f)", 5,
		 SEP_EVENTFD, OS, 1, 5);
	push(s, S_WAITF, 3, 4);
	waits(s, 5, 1);
	s++;
	prologue(s, "g1", "LT, scan paused at slot 1; F G C A signalled (§2.5 g)",
		 7, SEP_EVENTFD, LT, 1, 5);
	st = push(s, S_UFFD, 3, 0);
	st->nsig = 4;
	st->sig[0] = 5; st->sig[1] = 6; st->sig[2] = 2; st->sig[3] = 0;
	waits(s, 3, 3);
	s++;
	prologue(s, "g2", "LT, as g1 with maxevents 5 (§2.5 g)", 7,
		 SEP_EVENTFD, LT, 1, 5);
	st = push(s, S_UFFD, 5, 0);
	st->nsig = 4;
	st->sig[0] = 5; st->sig[1] = 6; st->sig[2] = 2; st->sig[3] = 0;
	waits(s, 5, 2);
	s++;
	prologue(s, "g3", "ET, paused; F A D signalled (§2.5 g, ET)", 7,
		 SEP_EVENTFD, ET, 1, 5);
	st = push(s, S_UFFD, 3, 0);
	st->nsig = 3;
	st->sig[0] = 5; st->sig[1] = 0; st->sig[2] = 3;
	waits(s, 3, 2);
	s++;
	prologue(s, "g4", "ET, paused; C signalled while pending (duplicate quirk)",
		 5, SEP_EVENTFD, ET, 1, 5);
	st = push(s, S_UFFD, 3, 0);
	st->nsig = 1;
	st->sig[0] = 2;
	waits(s, 3, 2);
	s++;
	prologue(s, "h", "64 x LT, maxevents 7", 64, SEP_EVENTFD, LT, 1, 64);
	waits(s, 7, 10);
	s++;
	prologue(s, "i", "20 x mix over pipes, maxevents 3, re-signals", 20,
		 SEP_PIPE, MIX, 5, 20);
	for (i = 0; i < 8; i++) {
		waits(s, 3, 1);
		push(s, S_SIG, (i * 7) % 20, 0);
	}
	s++;
	prologue(s, "j", "12 x LT over sockets, maxevents 5, drains", 12,
		 SEP_SOCK, LT, 1, 12);
	waits(s, 5, 1);
	push(s, S_DRAIN, 6, 0);
	push(s, S_DRAIN, 0, 0);
	waits(s, 5, 3);
	s++;
	prologue(s, "k", "9 x ET, signalled after ADD in another order, maxevents 4",
		 9, SEP_EVENTFD, ET, 1, 0);
	for (i = 0; i < 9; i++)
		push(s, S_SIG, (i * 4) % 9, 0);
	waits(s, 4, 3);
	s++;
	return (int)(s - all);
}

int main(int argc, char **argv)
{
	static struct scen all[24];
	int n, i, j, ran = 0;

	if (argc > 1 && !strcmp(argv[1], "-q")) {
		quiet = 1;
		argc--;
		argv++;
	}
	if (!sep_shadow_available()) {
		printf("report: %s missing (SEP_SHADOW_BACKEND=kernel to self-test)\n",
		       SHADOW_EPOLL_DEVICE);
		return 4;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	n = build(all);
	printf("shadow-epoll report: in-tree epoll vs %s (%s), kernel %d.%d\n",
	       sep_shadow()->name, sep_shadow_is_device() ? SHADOW_EPOLL_DEVICE :
	       "in-tree epoll as the shadow", sep_kver() / 100, sep_kver() % 100);
	printf("events: letter = item (A = first added), \"X:hex\" when not plain EPOLLIN\n");
	for (i = 0; i < n; i++) {
		bool want = argc <= 1;

		for (j = 1; j < argc; j++)
			want |= !strcmp(argv[j], all[i].name);
		if (!want)
			continue;
		run(&all[i]);
		ran++;
	}
	printf("\nreport: %d scenarios, %d calls, %d differences\n", ran,
	       total_calls, total_diffs);
	return total_diffs ? 1 : 0;
}
