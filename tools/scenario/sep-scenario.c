// SPDX-License-Identifier: GPL-2.0-only
/*
 * sep-scenario: run small text scenarios on in-tree epoll and on the
 * shadow (/dev/shadow_epoll) in lockstep and print every step side by side.
 *
 *   sep-scenario [-q] [--shadow=module|kernel] FILE.sep|DIR ...
 *
 * See tools/README.md for the scenario language.  Summary:
 *
 *   scenario NAME                  start a scenario (else: one per file)
 *   create [cloexec]               the epoll instance (one per side)
 *   open NAME KIND                 make a file: eventfd pipe socketpair source
 *   add NAME [KIND] MODE MASK [DATA]  EPOLL_CTL_ADD (KIND opens NAME first)
 *   mod NAME MODE MASK [DATA]      EPOLL_CTL_MOD
 *   del NAME                       EPOLL_CTL_DEL
 *   write NAME [N]                 make NAME readable (source: or IN)
 *   read NAME                      drain NAME (source: clear IN, no wakeup)
 *   hangup NAME                    close the write end / the peer (source: or HUP)
 *   close NAME | dup NAME as NAME2
 *   set|or|clear|pollfree NAME MASK [key=K] [nowake] [sync]   (sources)
 *   trigger NAME TARGET [count=N] OP MASK [key=K] [nowake] [sync]
 *   wait MAX TIMEOUT [pwait|pwait2] [fault=K|straddle=K]
 *   ready | interest
 *   expect A B:IN|HUP ... | expect none | expect -1 EFAULT
 *   expect-ready A B C ... | expect-ready none
 *
 * Lockstep: eventfds, pipes and socketpairs are the *same* files registered in
 * both instances; sources are one per side (a trigger fires on the next
 * re-poll of its source, and each side's scan must see its own), with every
 * source command applied to both.  Each step runs on in-tree epoll first,
 * then on the shadow, and the results (return value, errno, the returned
 * event bytes) are compared byte for byte.
 *
 * Ready lists: after every wait (and at "ready"), the shadow's ready list is
 * read with the READY dump (non-destructive).  The in-tree order cannot be
 * read, so it is revealed by probing a *cloned world*: a fresh in-tree epoll
 * with fresh files replays every state-changing step so far (waits with
 * timeout 0, the same fault layout), then is probed with maxevents=1 until an
 * item repeats or nothing is left.  The same is done on a cloned shadow
 * world, and the two probes must be equal; the dump must list the probed
 * items in the same order (items it lists that the probe skips are queued but
 * no longer ready: a later scan drops them; they are shown as ~NAME).  The
 * main worlds are never disturbed.  Triggers still armed in a clone are
 * disarmed before it is probed, so the probe's re-polls fire nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libshadow_epoll.h"
#include "shep_util.h"

#define MAXOBJ		64
#define MAXSTEP		1024
#define MAXEV		128
#define MAXTOK		24
#define EVSZ		((int)sizeof(struct epoll_event))
#define PAGE		4096
/* A blocking wait that nothing ends is cut by SIGALRM (EINTR) after this. */
#define WAIT_WATCHDOG	10

enum kind { K_NONE = -1, K_EVENTFD, K_PIPE, K_SOCK, K_SOURCE };
static const char *const kind_names[] = { "eventfd", "pipe", "socketpair", "source" };

enum backend { B_KERNEL, B_SHADOW };

enum op {
	OP_CREATE, OP_OPEN, OP_ADD, OP_MOD, OP_DEL, OP_WRITE, OP_READ,
	OP_HANGUP, OP_CLOSE, OP_DUP, OP_SRC, OP_TRIGGER, OP_WAIT, OP_READY,
	OP_INTEREST, OP_EXPECT, OP_EXPECT_READY,
};

struct expect {
	int ret, err;			/* ret -1 with err, or the count */
	int n;
	uint64_t data[MAXEV];
	uint32_t ev[MAXEV];
	bool has_ev[MAXEV];
};

struct step {
	int op, line;
	char text[160];
	int obj, obj2, kind;
	uint32_t events;
	uint64_t data;
	long n;
	int flags;			/* create: cloexec */
	/* sources */
	uint32_t sop, mask, key, sflags, count;
	/* wait */
	int max, timeout, variant, fault, straddle;
	struct expect *exp;
};

struct scenario {
	char name[128];
	char file[512];
	int nstep;
	struct step step[MAXSTEP];
	int nobj;
	char objname[MAXOBJ][32];
	int objkind[MAXOBJ];
	uint64_t defdata[MAXOBJ];
	uint64_t curdata[MAXOBJ];	/* while parsing: last registered data */
	/* data value -> object name for printing */
	int nmap;
	uint64_t map_data[MAXOBJ * 4];
	int map_obj[MAXOBJ * 4];
};

struct obj {
	bool made;
	int kind;
	int fd[2];		/* the watched fd, per side (same if shared) */
	int wfd[2];		/* the end written to, -1 if none */
	bool own_wfd;
};

struct world {
	int nsides;
	int backend[2];
	bool shared;		/* non-source files shared between the sides */
	int ep[2];
	struct obj o[MAXOBJ];
	void *fault_map;
	int inject_side;	/* side that gets --inject, or -1 */
};

struct result {
	int ret, err;
	int nbytes;
	unsigned char bytes[MAXEV * EVSZ];
};

static bool quiet;
/*
 * --inject=lose-event: make the shadow side behave like the classic emulator
 * bug (an item is popped before the room in the buffer is checked): after
 * every shadow wait that fills the buffer, one more item is taken off its
 * ready list and dropped.  Only to show that the runner catches it.
 */
static bool inject_lose;
static int shadow_backend = B_SHADOW;
static bool have_module;

/* ------------------------------------------------------------------ */
/* Names and printing. */

static const struct { uint32_t bit; const char *name; } evbits[] = {
	{ EPOLLIN, "in" }, { EPOLLPRI, "pri" }, { EPOLLOUT, "out" },
	{ EPOLLERR, "err" }, { EPOLLHUP, "hup" }, { EPOLLRDNORM, "rdnorm" },
	{ EPOLLRDBAND, "rdband" }, { EPOLLWRNORM, "wrnorm" },
	{ EPOLLWRBAND, "wrband" }, { EPOLLMSG, "msg" }, { EPOLLRDHUP, "rdhup" },
	{ EPOLLEXCLUSIVE, "excl" }, { EPOLLWAKEUP, "wakeup" },
	{ EPOLLONESHOT, "oneshot" }, { EPOLLET, "et" },
};

/* The errno name, or "errno<N>" for one shep_errname() does not know. */
static const char *errname(int e)
{
	static char buf[16];
	const char *n = shep_errname(e);

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

static int parse_errno(const char *s)
{
	const char *n;
	int e;

	for (e = 1; e < 256; e++) {
		n = shep_errname(e);
		if (n && !strcasecmp(s, n))
			return e;
	}
	return -1;
}

static void fmt_mask(char *buf, size_t sz, uint32_t m)
{
	size_t n = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < sizeof(evbits) / sizeof(evbits[0]); i++) {
		if (!(m & evbits[i].bit))
			continue;
		n += snprintf(buf + n, n < sz ? sz - n : 0, "%s%s",
			      n ? "|" : "", evbits[i].name);
		m &= ~evbits[i].bit;
	}
	if (m || !n)
		snprintf(buf + n, n < sz ? sz - n : 0, "%s0x%x", n ? "|" : "", m);
}

static const char *data_name(const struct scenario *sc, uint64_t d, char *buf,
			     size_t sz)
{
	int i;

	for (i = 0; i < sc->nmap; i++)
		if (sc->map_data[i] == d)
			return sc->objname[sc->map_obj[i]];
	snprintf(buf, sz, "0x%" PRIx64, d);
	return buf;
}

/* "3: A B C:in|hup" */
static void fmt_result(const struct scenario *sc, const struct result *r,
		       int max, char *out, size_t sz)
{
	size_t n;
	int i;

	if (r->ret < 0) {
		int written = 0;

		/* a partial write before the fault (the straddle case) */
		for (i = 0; i < r->nbytes; i++)
			written += r->bytes[i] != 0xa5;
		if (written)
			snprintf(out, sz, "-1 %s (%d bytes written)",
				 errname(r->err), written);
		else
			snprintf(out, sz, "-1 %s", errname(r->err));
		return;
	}
	n = snprintf(out, sz, "%d", r->ret);
	if (r->ret > 0 && n < sz)
		n += snprintf(out + n, sz - n, ":");
	for (i = 0; i < r->ret && i < max && (i + 1) * EVSZ <= r->nbytes; i++) {
		struct epoll_event ev;
		char nb[32], mb[96];

		memcpy(&ev, r->bytes + i * EVSZ, EVSZ);
		if (n >= sz)
			break;
		if (ev.events == EPOLLIN) {
			n += snprintf(out + n, sz - n, " %s",
				      data_name(sc, ev.data.u64, nb, sizeof(nb)));
		} else {
			fmt_mask(mb, sizeof(mb), ev.events);
			n += snprintf(out + n, sz - n, " %s:%s",
				      data_name(sc, ev.data.u64, nb, sizeof(nb)),
				      mb);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Parsing. */

static int perr(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static int find_obj(const struct scenario *sc, const char *name)
{
	int i;

	for (i = 0; i < sc->nobj; i++)
		if (!strcmp(sc->objname[i], name))
			return i;
	return -1;
}

static int new_obj(struct scenario *sc, const char *name, int kind)
{
	int i = sc->nobj;

	if (i >= MAXOBJ || strlen(name) >= sizeof(sc->objname[0]))
		return -1;
	strcpy(sc->objname[i], name);
	sc->objkind[i] = kind;
	sc->defdata[i] = (uint64_t)(i + 1);
	sc->curdata[i] = sc->defdata[i];
	sc->nobj++;
	return i;
}

static int parse_kind(const char *s)
{
	unsigned int i;

	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (!strcmp(s, kind_names[i]))
			return (int)i;
	if (!strcmp(s, "socket") || !strcmp(s, "sock"))
		return K_SOCK;
	return K_NONE;
}

/* "in+out", "et|oneshot", "lt", "0x19", "-" */
static int parse_bits(const char *s, uint32_t *out)
{
	char tmp[128], *save = NULL, *t;
	uint32_t m = 0;
	unsigned int i;

	if (strlen(s) >= sizeof(tmp))
		return -1;
	strcpy(tmp, s);
	for (t = strtok_r(tmp, "+|,", &save); t; t = strtok_r(NULL, "+|,", &save)) {
		char *end;
		bool found = false;

		if (!strcasecmp(t, "lt") || !strcmp(t, "-") ||
		    !strcasecmp(t, "none"))
			continue;
		if (!strncasecmp(t, "epoll", 5))
			t += 5;
		for (i = 0; i < sizeof(evbits) / sizeof(evbits[0]); i++) {
			if (!strcasecmp(t, evbits[i].name) ||
			    (!strcasecmp(t, "exclusive") &&
			     evbits[i].bit == EPOLLEXCLUSIVE)) {
				m |= evbits[i].bit;
				found = true;
			}
		}
		if (found)
			continue;
		errno = 0;
		m |= (uint32_t)strtoul(t, &end, 0);
		if (errno || *end || end == t)
			return -1;
	}
	*out = m;
	return 0;
}

static int parse_num(const char *s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 0);
	return errno || *end || end == s ? -1 : 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end || end == s ? -1 : 0;
}

static void map_data(struct scenario *sc, uint64_t d, int obj)
{
	int i;

	for (i = 0; i < sc->nmap; i++)
		if (sc->map_data[i] == d)
			return;
	if (sc->nmap < MAXOBJ * 4) {
		sc->map_data[sc->nmap] = d;
		sc->map_obj[sc->nmap++] = obj;
	}
}

/* The options of source commands: key=K count=N nowake sync */
static int parse_src_opts(struct step *st, char **tok, int ntok, int from,
			  bool key_given_default)
{
	int i;

	(void)key_given_default;
	for (i = from; i < ntok; i++) {
		long v;

		if (!strncmp(tok[i], "key=", 4)) {
			if (parse_bits(tok[i] + 4, &st->key))
				return -1;
		} else if (!strncmp(tok[i], "count=", 6)) {
			if (parse_num(tok[i] + 6, &v) || v < 0)
				return -1;
			st->count = (uint32_t)v;
		} else if (!strcmp(tok[i], "nowake")) {
			st->sflags |= SHADOW_EPOLL_SRC_NOWAKE;
		} else if (!strcmp(tok[i], "sync")) {
			st->sflags |= SHADOW_EPOLL_SRC_SYNC;
		} else {
			return -1;
		}
	}
	return 0;
}

static int parse_src_op(const char *s, uint32_t *op)
{
	if (!strcmp(s, "set"))
		*op = SHADOW_EPOLL_SRC_SET;
	else if (!strcmp(s, "or"))
		*op = SHADOW_EPOLL_SRC_OR;
	else if (!strcmp(s, "clear"))
		*op = SHADOW_EPOLL_SRC_CLEAR;
	else if (!strcmp(s, "pollfree"))
		*op = SHADOW_EPOLL_SRC_POLLFREE;
	else
		return -1;
	return 0;
}

static int parse_expect(struct scenario *sc, struct step *st, char **tok,
			int ntok, bool ready)
{
	struct expect *e = calloc(1, sizeof(*e));
	int i;

	if (!e)
		return -1;
	st->exp = e;
	if (ntok >= 2 && (!strcmp(tok[1], "none") || !strcmp(tok[1], "0")) &&
	    ntok == 2)
		return 0;
	if (!ready && ntok == 3 && !strcmp(tok[1], "-1")) {
		e->ret = -1;
		e->err = parse_errno(tok[2]);
		return e->err < 0 ? -1 : 0;
	}
	for (i = 1; i < ntok; i++) {
		char name[64], *colon;
		int o;

		if (e->n >= MAXEV || strlen(tok[i]) >= sizeof(name))
			return -1;
		strcpy(name, tok[i]);
		colon = strchr(name, ':');
		if (colon) {
			*colon = 0;
			if (parse_bits(colon + 1, &e->ev[e->n]))
				return -1;
			e->has_ev[e->n] = true;
		}
		o = find_obj(sc, name);
		if (o >= 0) {
			/* the data this name was last registered with */
			e->data[e->n] = sc->curdata[o];
		} else if (parse_u64(name, &e->data[e->n])) {
			return -1;
		}
		e->n++;
	}
	e->ret = e->n;
	return 0;
}

static int parse_line(struct scenario *sc, char *line, int lineno)
{
	char *tok[MAXTOK], *save = NULL, *t, *hash;
	struct step *st;
	int ntok = 0, o;
	long v;

	hash = strchr(line, '#');
	if (hash)
		*hash = 0;
	line[strcspn(line, "\r\n")] = 0;
	for (t = line; *t == ' ' || *t == '\t'; t++)
		;
	if (!*t)
		return 0;
	if (sc->nstep >= MAXSTEP)
		return perr(sc->file, lineno, "too many steps");
	st = &sc->step[sc->nstep];
	memset(st, 0, sizeof(*st));
	st->line = lineno;
	st->obj = st->obj2 = -1;
	st->fault = -1;
	snprintf(st->text, sizeof(st->text), "%.*s", (int)sizeof(st->text) - 1, t);
	{
		/* squeeze blanks for display */
		char *r = st->text, *w = st->text;
		bool sp = false;

		for (; *r; r++) {
			if (*r == ' ' || *r == '\t') {
				sp = true;
				continue;
			}
			if (sp && w != st->text)
				*w++ = ' ';
			sp = false;
			*w++ = *r;
		}
		*w = 0;
	}
	for (t = strtok_r(line, " \t", &save); t && ntok < MAXTOK;
	     t = strtok_r(NULL, " \t", &save))
		tok[ntok++] = t;
	if (!ntok)
		return 0;

#define NEED(c) do { if (ntok < (c)) return perr(sc->file, lineno, "%s: missing arguments", tok[0]); } while (0)
#define OBJ(i, dst) do { (dst) = find_obj(sc, tok[i]); if ((dst) < 0) return perr(sc->file, lineno, "unknown name '%s'", tok[i]); } while (0)

	if (!strcmp(tok[0], "create")) {
		st->op = OP_CREATE;
		if (ntok > 1 && !strcmp(tok[1], "cloexec"))
			st->flags = EPOLL_CLOEXEC;
		else if (ntok > 1 && parse_num(tok[1], &v) == 0)
			st->flags = (int)v;
		else if (ntok > 1)
			return perr(sc->file, lineno, "create [cloexec|FLAGS]");
	} else if (!strcmp(tok[0], "open")) {
		NEED(3);
		st->op = OP_OPEN;
		st->kind = parse_kind(tok[2]);
		if (st->kind == K_NONE)
			return perr(sc->file, lineno, "unknown kind '%s'", tok[2]);
		if (find_obj(sc, tok[1]) >= 0)
			return perr(sc->file, lineno, "'%s' exists", tok[1]);
		st->obj = new_obj(sc, tok[1], st->kind);
		if (st->obj < 0)
			return perr(sc->file, lineno, "too many names");
	} else if (!strcmp(tok[0], "add") || !strcmp(tok[0], "mod")) {
		int i = 2;
		uint32_t mode, mask;

		st->op = tok[0][0] == 'a' ? OP_ADD : OP_MOD;
		NEED(4);
		o = find_obj(sc, tok[1]);
		st->kind = parse_kind(tok[2]);
		if (st->kind != K_NONE) {
			if (st->op == OP_MOD || o >= 0)
				return perr(sc->file, lineno, "'%s' exists or mod with a kind", tok[1]);
			o = new_obj(sc, tok[1], st->kind);
			if (o < 0)
				return perr(sc->file, lineno, "too many names");
			i = 3;
			NEED(5);
		} else if (o < 0) {
			return perr(sc->file, lineno, "unknown name '%s' (add NAME KIND MODE MASK [DATA])", tok[1]);
		}
		st->obj = o;
		if (parse_bits(tok[i], &mode) || parse_bits(tok[i + 1], &mask))
			return perr(sc->file, lineno, "bad MODE or MASK");
		st->events = mode | mask;
		st->data = sc->defdata[o];
		if (ntok > i + 2 && parse_u64(tok[i + 2], &st->data))
			return perr(sc->file, lineno, "bad DATA '%s'", tok[i + 2]);
		if (ntok > i + 3)
			return perr(sc->file, lineno, "trailing arguments");
		map_data(sc, st->data, o);
		sc->curdata[o] = st->data;
	} else if (!strcmp(tok[0], "del") || !strcmp(tok[0], "read") ||
		   !strcmp(tok[0], "close") || !strcmp(tok[0], "hangup")) {
		NEED(2);
		st->op = !strcmp(tok[0], "del") ? OP_DEL :
			 !strcmp(tok[0], "read") ? OP_READ :
			 !strcmp(tok[0], "close") ? OP_CLOSE : OP_HANGUP;
		OBJ(1, st->obj);
	} else if (!strcmp(tok[0], "write")) {
		NEED(2);
		st->op = OP_WRITE;
		OBJ(1, st->obj);
		st->n = 1;
		if (ntok > 2 && (parse_num(tok[2], &st->n) || st->n < 1))
			return perr(sc->file, lineno, "write NAME [N>0]");
	} else if (!strcmp(tok[0], "dup")) {
		NEED(4);
		st->op = OP_DUP;
		OBJ(1, st->obj);
		if (strcasecmp(tok[2], "as"))
			return perr(sc->file, lineno, "dup NAME as NAME2");
		if (find_obj(sc, tok[3]) >= 0)
			return perr(sc->file, lineno, "'%s' exists", tok[3]);
		st->obj2 = new_obj(sc, tok[3], sc->objkind[st->obj]);
		if (st->obj2 < 0)
			return perr(sc->file, lineno, "too many names");
	} else if (!parse_src_op(tok[0], &st->sop)) {
		NEED(3);
		st->op = OP_SRC;
		OBJ(1, st->obj);
		if (sc->objkind[st->obj] != K_SOURCE)
			return perr(sc->file, lineno, "%s: not a source", tok[1]);
		if (parse_bits(tok[2], &st->mask))
			return perr(sc->file, lineno, "bad MASK");
		st->key = st->mask;
		if (parse_src_opts(st, tok, ntok, 3, true))
			return perr(sc->file, lineno, "bad option");
	} else if (!strcmp(tok[0], "trigger")) {
		NEED(5);
		st->op = OP_TRIGGER;
		OBJ(1, st->obj);
		OBJ(2, st->obj2);
		if (sc->objkind[st->obj] != K_SOURCE ||
		    sc->objkind[st->obj2] != K_SOURCE)
			return perr(sc->file, lineno, "trigger: both must be sources");
		st->count = 1;
		{
			int i = 3;

			if (!strncmp(tok[i], "count=", 6)) {
				if (parse_num(tok[i] + 6, &v) || v < 0)
					return perr(sc->file, lineno, "bad count");
				st->count = (uint32_t)v;
				i++;
			}
			NEED(i + 2);
			if (parse_src_op(tok[i], &st->sop) ||
			    parse_bits(tok[i + 1], &st->mask))
				return perr(sc->file, lineno, "trigger NAME TARGET [count=N] set|or|clear|pollfree MASK");
			st->key = st->mask;
			if (parse_src_opts(st, tok, ntok, i + 2, true))
				return perr(sc->file, lineno, "bad option");
		}
	} else if (!strcmp(tok[0], "wait")) {
		int i;

		NEED(3);
		st->op = OP_WAIT;
		if (parse_num(tok[1], &v) || v > MAXEV)
			return perr(sc->file, lineno, "wait MAX(<=%d) TIMEOUT", MAXEV);
		st->max = (int)v;
		if (parse_num(tok[2], &v))
			return perr(sc->file, lineno, "bad TIMEOUT");
		st->timeout = (int)v;
		for (i = 3; i < ntok; i++) {
			if (!strcmp(tok[i], "pwait")) {
				st->variant = 1;
			} else if (!strcmp(tok[i], "pwait2")) {
				st->variant = 2;
			} else if (!strncmp(tok[i], "fault=", 6) ||
				   !strncmp(tok[i], "straddle=", 9)) {
				st->straddle = tok[i][0] == 's';
				if (parse_num(strchr(tok[i], '=') + 1, &v) ||
				    v < 0 || v >= MAXEV)
					return perr(sc->file, lineno, "bad fault slot");
				st->fault = (int)v;
			} else {
				return perr(sc->file, lineno, "bad wait option '%s'", tok[i]);
			}
		}
	} else if (!strcmp(tok[0], "ready")) {
		st->op = OP_READY;
	} else if (!strcmp(tok[0], "interest")) {
		st->op = OP_INTEREST;
	} else if (!strcmp(tok[0], "expect") || !strcmp(tok[0], "expect-ready")) {
		st->op = tok[0][6] ? OP_EXPECT_READY : OP_EXPECT;
		if (parse_expect(sc, st, tok, ntok, st->op == OP_EXPECT_READY))
			return perr(sc->file, lineno, "bad expectation");
	} else {
		return perr(sc->file, lineno, "unknown command '%s'", tok[0]);
	}
#undef NEED
#undef OBJ
	sc->nstep++;
	return 0;
}

static void sc_free(struct scenario *sc)
{
	int i;

	for (i = 0; i < sc->nstep; i++)
		free(sc->step[i].exp);
	sc->nstep = 0;
}

/* ------------------------------------------------------------------ */
/* Worlds. */

static void world_init(struct world *w, int nsides, int b0, int b1)
{
	int i;

	memset(w, 0, sizeof(*w));
	w->nsides = nsides;
	w->backend[0] = b0;
	w->backend[1] = b1;
	w->shared = nsides == 2;
	w->ep[0] = w->ep[1] = -1;
	w->inject_side = nsides == 2 ? 1 : -1;
	for (i = 0; i < MAXOBJ; i++)
		w->o[i].fd[0] = w->o[i].fd[1] = w->o[i].wfd[0] =
			w->o[i].wfd[1] = -1;
}

static void close_once(int *a, int *b)
{
	if (*a >= 0)
		close(*a);
	if (b && *b >= 0 && *b != *a)
		close(*b);
	*a = -1;
	if (b)
		*b = -1;
}

static void world_destroy(struct world *w)
{
	int i;

	for (i = 0; i < MAXOBJ; i++) {
		struct obj *o = &w->o[i];

		if (!o->made)
			continue;
		close_once(&o->fd[0], &o->fd[1]);
		if (o->own_wfd)
			close_once(&o->wfd[0], &o->wfd[1]);
	}
	close_once(&w->ep[0], &w->ep[1]);
	if (w->fault_map)
		munmap(w->fault_map, 2 * PAGE);
	w->fault_map = NULL;
}

/* Is side s's file of o the same as side 0's (do it once)? */
static bool same_file(const struct world *w, int kind, int s)
{
	return s > 0 && w->shared && kind != K_SOURCE;
}

static int obj_make(struct world *w, int idx, int kind)
{
	struct obj *o = &w->o[idx];
	int s, p[2];

	o->made = true;
	o->kind = kind;
	o->own_wfd = true;
	for (s = 0; s < w->nsides; s++) {
		if (same_file(w, kind, s)) {
			o->fd[s] = o->fd[0];
			o->wfd[s] = o->wfd[0];
			continue;
		}
		switch (kind) {
		case K_EVENTFD:
			o->fd[s] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			o->wfd[s] = o->fd[s];
			break;
		case K_PIPE:
			if (pipe2(p, O_NONBLOCK | O_CLOEXEC))
				return -1;
			o->fd[s] = p[0];
			o->wfd[s] = p[1];
			break;
		case K_SOCK:
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
				       SOCK_CLOEXEC, 0, p))
				return -1;
			o->fd[s] = p[0];
			o->wfd[s] = p[1];
			break;
		case K_SOURCE:
			o->fd[s] = shep_source(O_CLOEXEC, 0);
			o->wfd[s] = -1;
			break;
		}
		if (o->fd[s] < 0)
			return -1;
	}
	if (kind == K_EVENTFD)
		o->own_wfd = false;	/* wfd is fd */
	return 0;
}

static int side_create(int b, int flags)
{
	return b == B_KERNEL ? epoll_create1(flags) : shep_create(flags);
}

static int side_ctl(int b, int ep, int op, int fd, struct epoll_event *ev)
{
	return b == B_KERNEL ? epoll_ctl(ep, op, fd, ev) : shep_ctl(ep, op, fd, ev);
}

static int side_wait(int b, int variant, int ep, struct epoll_event *evs,
		     int max, int timeout)
{
	struct timespec ts, *tsp = NULL;
	sigset_t none;

	sigemptyset(&none);
	if (timeout >= 0) {
		ts.tv_sec = timeout / 1000;
		ts.tv_nsec = (long)(timeout % 1000) * 1000000L;
		tsp = &ts;
	}
	switch (variant) {
	case 1:
		return b == B_KERNEL ? epoll_pwait(ep, evs, max, timeout, &none) :
		       shep_pwait(ep, evs, max, timeout, &none);
	case 2:
		return b == B_KERNEL ? epoll_pwait2(ep, evs, max, tsp, &none) :
		       shep_pwait2(ep, evs, max, tsp, &none);
	default:
		return b == B_KERNEL ? epoll_wait(ep, evs, max, timeout) :
		       shep_wait(ep, evs, max, timeout);
	}
}

static int src_change(int fd, const struct step *st)
{
	return shep_source_change(fd, st->sop, st->mask, st->key, st->sflags);
}

/*
 * Run one state-changing step on world w.  r[s] gets each side's result;
 * returns the number of sides that have a result of their own (1 when the
 * step acted once on a shared file, else nsides), or -1 on a setup error.
 */
static int run_step(struct world *w, const struct scenario *sc,
		    const struct step *st, struct result *r, bool replay)
{
	struct obj *o = st->obj >= 0 ? &w->o[st->obj] : NULL;
	int s, nres = w->nsides;
	struct epoll_event ev;

	(void)sc;
	for (s = 0; s < 2; s++) {
		r[s].ret = 0;
		r[s].err = 0;
		r[s].nbytes = 0;
	}
	switch (st->op) {
	case OP_CREATE:
		for (s = 0; s < w->nsides; s++) {
			w->ep[s] = side_create(w->backend[s], st->flags);
			r[s].ret = w->ep[s];
			r[s].err = errno;
		}
		break;
	case OP_OPEN:
		if (obj_make(w, st->obj, st->kind))
			return -1;
		break;
	case OP_ADD:
	case OP_MOD:
	case OP_DEL:
		if (st->op == OP_ADD && st->kind != K_NONE && !o->made &&
		    obj_make(w, st->obj, st->kind))
			return -1;
		for (s = 0; s < w->nsides; s++) {
			ev.events = st->events;
			ev.data.u64 = st->data;
			r[s].ret = side_ctl(w->backend[s], w->ep[s],
					    st->op == OP_ADD ? EPOLL_CTL_ADD :
					    st->op == OP_MOD ? EPOLL_CTL_MOD :
					    EPOLL_CTL_DEL, o->fd[s], &ev);
			r[s].err = errno;
		}
		break;
	case OP_WRITE:
	case OP_READ:
	case OP_HANGUP:
		for (s = 0; s < w->nsides; s++) {
			int fd = o->fd[s], wfd = o->wfd[s];
			char buf[4096];
			uint64_t one = (uint64_t)st->n;
			long k;

			if (same_file(w, o->kind, s)) {
				nres = 1;
				r[s] = r[0];
				continue;
			}
			errno = 0;
			r[s].ret = 0;
			if (o->kind == K_SOURCE) {
				struct step c = *st;

				c.sop = st->op == OP_READ ? SHADOW_EPOLL_SRC_CLEAR :
					SHADOW_EPOLL_SRC_OR;
				c.mask = st->op == OP_HANGUP ? EPOLLHUP : EPOLLIN;
				c.key = c.mask;
				c.sflags = st->op == OP_READ ? SHADOW_EPOLL_SRC_NOWAKE : 0;
				r[s].ret = src_change(fd, &c) < 0 ? -1 : 0;
			} else if (st->op == OP_WRITE) {
				if (o->kind == K_EVENTFD) {
					r[s].ret = write(wfd, &one, 8) == 8 ? 0 : -1;
				} else {
					memset(buf, 'x', sizeof(buf));
					for (k = st->n; k > 0 && r[s].ret == 0; k -= sizeof(buf))
						if (write(wfd, buf, k > (long)sizeof(buf) ? sizeof(buf) : (size_t)k) < 0)
							r[s].ret = -1;
				}
			} else if (st->op == OP_READ) {
				while (read(fd, buf, sizeof(buf)) > 0)
					;
				r[s].ret = errno == EAGAIN ? 0 : -1;
			} else {	/* hangup */
				if (o->kind == K_EVENTFD || wfd < 0) {
					errno = EINVAL;
					r[s].ret = -1;
				} else {
					r[s].ret = close(wfd);
					o->wfd[s] = -1;
					if (w->shared && o->kind != K_SOURCE)
						o->wfd[1] = -1;
				}
			}
			r[s].err = r[s].ret < 0 ? errno : 0;
		}
		break;
	case OP_CLOSE:
		for (s = 0; s < w->nsides; s++) {
			if (same_file(w, o->kind, s)) {
				nres = 1;
				r[s] = r[0];
				o->fd[s] = -1;
				continue;
			}
			r[s].ret = close(o->fd[s]);
			r[s].err = errno;
			o->fd[s] = -1;
		}
		break;
	case OP_DUP: {
		struct obj *o2 = &w->o[st->obj2];

		o2->made = true;
		o2->kind = o->kind;
		o2->own_wfd = false;
		for (s = 0; s < w->nsides; s++) {
			o2->wfd[s] = o->wfd[s];
			if (same_file(w, o->kind, s)) {
				nres = 1;
				o2->fd[s] = o2->fd[0];
				r[s] = r[0];
				continue;
			}
			o2->fd[s] = fcntl(o->fd[s], F_DUPFD_CLOEXEC, 0);
			r[s].ret = o2->fd[s] < 0 ? -1 : 0;
			r[s].err = errno;
		}
		break;
	}
	case OP_SRC:
		for (s = 0; s < w->nsides; s++) {
			r[s].ret = src_change(o->fd[s], st);
			r[s].err = errno;
		}
		break;
	case OP_TRIGGER:
		for (s = 0; s < w->nsides; s++) {
			r[s].ret = shep_source_trigger(o->fd[s],
						      w->o[st->obj2].fd[s],
						      st->count, st->sop,
						      st->mask, st->key,
						      st->sflags);
			r[s].err = errno;
		}
		break;
	case OP_WAIT:
		for (s = 0; s < w->nsides; s++) {
			struct epoll_event local[MAXEV];
			unsigned char *base;
			int avail, cap;

			if (st->fault >= 0) {
				if (!w->fault_map) {
					w->fault_map = mmap(NULL, 2 * PAGE,
							    PROT_READ | PROT_WRITE,
							    MAP_PRIVATE | MAP_ANONYMOUS,
							    -1, 0);
					if (w->fault_map == MAP_FAILED) {
						w->fault_map = NULL;
						return -1;
					}
					mprotect((char *)w->fault_map + PAGE,
						 PAGE, PROT_NONE);
				}
				avail = st->fault * EVSZ + (st->straddle ? 4 : 0);
				base = (unsigned char *)w->fault_map + PAGE - avail;
			} else {
				base = (unsigned char *)local;
				avail = (int)sizeof(local);
			}
			cap = st->max > 0 ? st->max * EVSZ : 0;
			if (cap > avail)
				cap = avail;
			memset(base, 0xa5, cap);
			if (!replay && st->timeout != 0)
				alarm(WAIT_WATCHDOG);
			r[s].ret = side_wait(w->backend[s], st->variant, w->ep[s],
					     (struct epoll_event *)base, st->max,
					     replay ? 0 : st->timeout);
			r[s].err = errno;
			if (!replay && st->timeout != 0)
				alarm(0);
			if (inject_lose && s == w->inject_side && r[s].ret > 0 &&
			    r[s].ret == st->max) {
				struct epoll_event lost;

				side_wait(w->backend[s], 0, w->ep[s], &lost, 1, 0);
			}
			/* every byte the call could have written */
			memcpy(r[s].bytes, base, cap);
			r[s].nbytes = cap;
		}
		break;
	default:
		break;
	}
	return nres;
}

/* ------------------------------------------------------------------ */
/* Ready-list reveal. */

struct order {
	int n;
	uint64_t data[MAXEV];
	uint32_t flags[MAXEV];
	int err;		/* -1 if the order could not be obtained */
	unsigned int dflags;
};

/* Probe with maxevents=1, timeout 0, until an item repeats or none is left. */
static void probe(int b, int ep, struct order *ord)
{
	struct epoll_event ev;
	int i, k;

	ord->n = 0;
	ord->err = 0;
	for (i = 0; i < MAXEV; i++) {
		k = side_wait(b, 0, ep, &ev, 1, 0);
		if (k < 0) {
			ord->err = errno;
			return;
		}
		if (k == 0)
			return;
		for (k = 0; k < ord->n; k++)
			if (ord->data[k] == ev.data.u64)
				return;
		ord->data[ord->n++] = ev.data.u64;
	}
}

/* Replay steps [0, upto] on a fresh one-sided world and probe it. */
static int clone_probe(const struct scenario *sc, int upto, int b,
		       bool shadow_role, struct order *ord)
{
	struct result r[2];
	struct world w;
	int i;

	world_init(&w, 1, b, b);
	w.inject_side = shadow_role ? 0 : -1;
	for (i = 0; i <= upto; i++) {
		const struct step *st = &sc->step[i];

		if (st->op == OP_READY || st->op == OP_INTEREST ||
		    st->op == OP_EXPECT || st->op == OP_EXPECT_READY)
			continue;
		if (run_step(&w, sc, st, r, true) < 0) {
			ord->err = errno ? errno : EINVAL;
			world_destroy(&w);
			return -1;
		}
	}
	/* Disarm every trigger: the probe's re-polls must not fire any. */
	for (i = 0; i < MAXOBJ; i++)
		if (w.o[i].made && w.o[i].kind == K_SOURCE && w.o[i].fd[0] >= 0)
			shep_source_trigger(w.o[i].fd[0], w.o[i].fd[0], 0,
					   SHADOW_EPOLL_SRC_OR, 0, 0, 0);
	if (w.ep[0] < 0) {
		ord->err = EBADF;
		ord->n = 0;
	} else {
		probe(b, w.ep[0], ord);
	}
	world_destroy(&w);
	return ord->err ? -1 : 0;
}

static void dump_order(int ep, struct order *ord)
{
	struct shadow_epoll_ready_entry e[MAXEV];
	int n, i;

	ord->n = 0;
	ord->err = 0;
	n = shep_ready(ep, e, MAXEV, &ord->dflags);
	if (n < 0) {
		ord->err = errno;
		return;
	}
	for (i = 0; i < n && i < MAXEV; i++) {
		ord->data[i] = e[i].data;
		ord->flags[i] = e[i].flags;
	}
	ord->n = i;
}

static void fmt_order(const struct scenario *sc, const struct order *ord,
		      const struct order *probed, char *out, size_t sz)
{
	size_t n = 0;
	int i, k;

	out[0] = 0;
	if (ord->err) {
		snprintf(out, sz, "(%s)", errname(ord->err));
		return;
	}
	if (!ord->n) {
		snprintf(out, sz, "(empty)");
		return;
	}
	for (i = 0; i < ord->n && n < sz; i++) {
		char nb[32];
		bool stale = false;

		if (probed) {
			stale = true;
			for (k = 0; k < probed->n; k++)
				if (probed->data[k] == ord->data[i])
					stale = false;
		}
		n += snprintf(out + n, sz - n, "%s%s%s", i ? " " : "",
			      stale ? "~" : "",
			      data_name(sc, ord->data[i], nb, sizeof(nb)));
	}
}

static bool order_eq(const struct order *a, const struct order *b)
{
	return a->err == b->err && a->n == b->n &&
	       !memcmp(a->data, b->data, a->n * sizeof(a->data[0]));
}

/* The dump lists the probed items in the probed order (plus stale ones). */
static bool dump_consistent(const struct order *dump, const struct order *pr)
{
	int i, k = 0;

	if (dump->err)
		return false;
	for (i = 0; i < dump->n && k < pr->n; i++)
		if (dump->data[i] == pr->data[k])
			k++;
	return k == pr->n;
}

/* ------------------------------------------------------------------ */
/* fdinfo vs INTEREST. */

struct reg {
	int fd;
	uint32_t events;
	uint64_t data;
};

static int fdinfo_regs(int ep, struct reg *rg, int max)
{
	char path[64], line[512];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ep);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < max) {
		unsigned long long d;
		unsigned int ev;
		int fd;

		if (sscanf(line, "tfd: %d events: %x data: %llx", &fd, &ev, &d) == 3) {
			rg[n].fd = fd;
			rg[n].events = ev;
			rg[n].data = d;
			n++;
		}
	}
	fclose(f);
	return n;
}

static int interest_regs(int b, int ep, struct reg *rg, int max)
{
	struct shadow_epoll_interest_entry e[MAXEV];
	int n, i;

	if (b == B_KERNEL)
		return fdinfo_regs(ep, rg, max);
	n = shep_interest(ep, e, MAXEV);
	if (n < 0)
		return -1;
	for (i = 0; i < n && i < max; i++) {
		rg[i].fd = e[i].fd;
		rg[i].events = e[i].events;
		rg[i].data = e[i].data;
	}
	return i;
}

static void fmt_regs(const struct scenario *sc, const struct reg *rg, int n,
		     char *out, size_t sz)
{
	size_t len = 0;
	int i;

	if (n < 0) {
		snprintf(out, sz, "(%s)", errname(errno));
		return;
	}
	if (!n)
		snprintf(out, sz, "(empty)");
	for (i = 0; i < n && len < sz; i++) {
		char nb[32], mb[96];

		fmt_mask(mb, sizeof(mb), rg[i].events);
		len += snprintf(out + len, sz - len, "%s%s=%s",
				i ? " " : "",
				data_name(sc, rg[i].data, nb, sizeof(nb)), mb);
	}
}

/* ------------------------------------------------------------------ */
/* Running a scenario. */

#define COL 34

static void row(int line, const char *step, const char *left,
		const char *right, const char *mark)
{
	char num[16];

	if (line > 0)
		snprintf(num, sizeof(num), "%4d", line);
	else
		snprintf(num, sizeof(num), "    ");
	printf("%s  %-30s %-*s %-*s%s\n", num, step, COL, left, COL, right,
	       mark);
}

static bool expect_ok(const struct expect *e, const struct result *r)
{
	int i;

	if (e->ret < 0)
		return r->ret == -1 && r->err == e->err;
	if (r->ret != e->ret)
		return false;
	for (i = 0; i < e->n; i++) {
		struct epoll_event ev;

		memcpy(&ev, r->bytes + i * EVSZ, EVSZ);
		if (ev.data.u64 != e->data[i])
			return false;
		if (e->has_ev[i] && ev.events != e->ev[i])
			return false;
	}
	return true;
}

static bool expect_order_ok(const struct expect *e, const struct order *o)
{
	int i;

	if (o->err || o->n != e->n)
		return false;
	for (i = 0; i < e->n; i++)
		if (o->data[i] != e->data[i])
			return false;
	return true;
}

static const char *mark_of(bool diff)
{
	return diff ? "  <-- DIFF" : "";
}

static bool results_equal(const struct step *st, const struct result *a,
			  const struct result *b)
{
	if (st->op == OP_CREATE)
		return (a->ret >= 0) == (b->ret >= 0) &&
		       (a->ret >= 0 || a->err == b->err);
	if (a->ret != b->ret || (a->ret < 0 && a->err != b->err))
		return false;
	if (st->op == OP_WAIT)
		return a->nbytes == b->nbytes &&
		       !memcmp(a->bytes, b->bytes, a->nbytes);
	return true;
}

static void fmt_simple(const struct step *st, const struct result *r,
		       char *out, size_t sz)
{
	if (r->ret < 0)
		snprintf(out, sz, "-1 %s", errname(r->err));
	else if (st->op == OP_CREATE)
		snprintf(out, sz, "fd");
	else if (st->op == OP_SRC)
		snprintf(out, sz, "mask 0x%x", r->ret);
	else
		snprintf(out, sz, "%d", r->ret);
}

static bool scenario_uses_sources(const struct scenario *sc)
{
	int i;

	for (i = 0; i < sc->nobj; i++)
		if (sc->objkind[i] == K_SOURCE)
			return true;
	return false;
}

/* Returns the number of differences, or -1 if the scenario could not run. */
static int run_scenario(struct scenario *sc)
{
	struct result r[2], lastwait[2];
	bool have_wait = false;
	struct world w;
	int i, diffs = 0, calls = 0, xfail = 0;

	if (!quiet)
		printf("\n== %s (%s)\n", sc->name, sc->file);
	if (scenario_uses_sources(sc) && !have_module) {
		printf("-- %s: skipped (sources need /dev/shadow_epoll)\n",
		       sc->name);
		return -1;
	}
	if (!quiet)
		printf("%4s  %-30s %-*s %-*s\n", "line", "step", COL,
		       "in-tree epoll", COL,
		       shadow_backend == B_SHADOW ? "shadow" : "shadow (=in-tree)");
	world_init(&w, 2, B_KERNEL, shadow_backend);
	for (i = 0; i < sc->nstep; i++) {
		const struct step *st = &sc->step[i];
		char left[512], right[512];
		bool diff = false, reveal = false;
		int nres;

		switch (st->op) {
		case OP_READY:
			reveal = true;
			break;
		case OP_INTEREST: {
			struct reg a[MAXEV], b[MAXEV];
			int na = interest_regs(B_KERNEL, w.ep[0], a, MAXEV);
			int nb = interest_regs(shadow_backend, w.ep[1], b, MAXEV);

			fmt_regs(sc, a, na, left, sizeof(left));
			fmt_regs(sc, b, nb, right, sizeof(right));
			/* fd numbers differ only for files made per side */
			diff = na != nb;
			for (int k = 0; !diff && k < na; k++)
				diff = a[k].events != b[k].events ||
				       a[k].data != b[k].data;
			if (!quiet || diff)
				row(st->line, st->text, left, right,
				    mark_of(diff));
			break;
		}
		case OP_EXPECT: {
			bool ok0, ok1;

			if (!have_wait) {
				fprintf(stderr, "%s:%d: expect without a wait\n",
					sc->file, st->line);
				diff = true;
				row(st->line, st->text, "(no wait)", "(no wait)",
				    "  <-- EXPECTATION FAILED");
				break;
			}
			ok0 = expect_ok(st->exp, &lastwait[0]);
			ok1 = expect_ok(st->exp, &lastwait[1]);
			diff = !ok0 || !ok1;
			xfail += diff;
			if (!quiet || diff)
				row(st->line, st->text, ok0 ? "ok" : "FAILED",
				    ok1 ? "ok" : "FAILED",
				    diff ? "  <-- EXPECTATION FAILED" : "");
			break;
		}
		case OP_EXPECT_READY:
			reveal = true;
			break;
		default:
			nres = run_step(&w, sc, st, r, false);
			if (nres < 0) {
				printf("%4d  %-30s setup failed: %s\n", st->line,
				       st->text, strerror(errno));
				world_destroy(&w);
				return diffs + 1;
			}
			if (st->op == OP_OPEN)
				break;
			if (st->op == OP_WAIT) {
				fmt_result(sc, &r[0], st->max, left, sizeof(left));
				fmt_result(sc, &r[1], st->max, right, sizeof(right));
				lastwait[0] = r[0];
				lastwait[1] = r[1];
				have_wait = true;
				reveal = true;
			} else {
				fmt_simple(st, &r[0], left, sizeof(left));
				fmt_simple(st, &r[1], right, sizeof(right));
			}
			if (st->op == OP_CREATE || st->op == OP_ADD ||
			    st->op == OP_MOD || st->op == OP_DEL ||
			    st->op == OP_WAIT)
				calls++;
			diff = nres == 2 && !results_equal(st, &r[0], &r[1]);
			if (nres == 1)
				snprintf(right, sizeof(right), "(same file)");
			if (!quiet || diff)
				row(st->line, st->text, left, right, mark_of(diff));
			break;
		}
		if (diff)
			diffs++;
		if (reveal) {
			struct order kp, sp, sd;
			bool d2;

			memset(&kp, 0, sizeof(kp));
			memset(&sp, 0, sizeof(sp));
			memset(&sd, 0, sizeof(sd));
			clone_probe(sc, i, B_KERNEL, false, &kp);
			clone_probe(sc, i, shadow_backend, true, &sp);
			if (shadow_backend == B_SHADOW)
				dump_order(w.ep[1], &sd);
			else
				sd = sp;
			d2 = !order_eq(&kp, &sp) || !dump_consistent(&sd, &sp);
			fmt_order(sc, &kp, NULL, left, sizeof(left));
			fmt_order(sc, &sd, &sp, right, sizeof(right));
			if (st->op == OP_EXPECT_READY) {
				bool ok = expect_order_ok(st->exp, &kp) &&
					  expect_order_ok(st->exp, &sp);

				if (!quiet || !ok || d2)
					row(st->line, st->text, left, right,
					    d2 ? "  <-- DIFF" :
					    ok ? "" : "  <-- EXPECTATION FAILED");
				xfail += !ok && !d2;
				d2 = d2 || !ok;
			} else if (!quiet || d2) {
				char lbl[40];

				snprintf(lbl, sizeof(lbl), "%s", st->op == OP_READY ?
					 "ready" : "  ready list");
				row(st->op == OP_READY || quiet ? st->line : 0,
				    lbl, left, right, mark_of(d2));
			}
			if (d2)
				diffs++;
		}
	}
	world_destroy(&w);
	printf("-- %s: %s (%d steps, %d epoll calls, %d difference%s, %d expectation%s failed)\n",
	       sc->name, diffs - xfail ? "DIFFERENT" :
	       xfail ? "EXPECTATION FAILED" : "identical", sc->nstep, calls,
	       diffs - xfail, diffs - xfail == 1 ? "" : "s", xfail,
	       xfail == 1 ? "" : "s");
	return diffs;
}

/* ------------------------------------------------------------------ */

struct totals {
	int run, same, differ, skipped, errors;
};

static void run_file(const char *path, struct totals *t)
{
	static struct scenario sc;
	char line[1024];
	const char *base;
	int lineno = 0, err = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "sep-scenario: %s: %s\n", path, strerror(errno));
		t->errors++;
		return;
	}
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	memset(&sc, 0, sizeof(sc));
	snprintf(sc.file, sizeof(sc.file), "%s", path);
	snprintf(sc.name, sizeof(sc.name), "%.*s",
		 (int)(strcspn(base, ".")), base);

#define FLUSH() do { \
		if (err) { t->errors++; } \
		else if (sc.nstep) { \
			int d = run_scenario(&sc); \
			if (d < 0) t->skipped++; \
			else { t->run++; if (d) t->differ++; else t->same++; } \
		} \
		sc_free(&sc); sc.nobj = 0; sc.nmap = 0; err = 0; \
	} while (0)

	while (fgets(line, sizeof(line), f)) {
		char *p = line;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!strncmp(p, "scenario", 8) && (p[8] == ' ' || p[8] == '\t')) {
			FLUSH();
			p += 9;
			p[strcspn(p, "#\r\n")] = 0;
			while (*p == ' ' || *p == '\t')
				p++;
			snprintf(sc.name, sizeof(sc.name), "%s", p);
			continue;
		}
		if (parse_line(&sc, line, lineno))
			err = 1;
	}
	FLUSH();
#undef FLUSH
	fclose(f);
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path, struct totals *t)
{
	struct stat stb;
	struct dirent *de;
	char *names[1024];
	int n = 0, i;
	DIR *d;

	if (stat(path, &stb) || !S_ISDIR(stb.st_mode)) {
		run_file(path, t);
		return;
	}
	d = opendir(path);
	if (!d) {
		t->errors++;
		return;
	}
	while ((de = readdir(d)) && n < 1024) {
		size_t l = strlen(de->d_name);

		if (l > 4 && !strcmp(de->d_name + l - 4, ".sep") &&
		    asprintf(&names[n], "%.*s/%s", (int)(strlen(path) -
			     (path[strlen(path) - 1] == '/')), path,
			     de->d_name) > 0)
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmpstr);
	for (i = 0; i < n; i++) {
		run_file(names[i], t);
		free(names[i]);
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: sep-scenario [-q] [--shadow=module|kernel] FILE.sep|DIR ...\n"
		"  -q               print only differences and the summaries\n"
		"  --shadow=kernel  use in-tree epoll as the \"shadow\" too (no module\n"
		"                   needed; for checking the runner and the corpus)\n"
		"  --inject=lose-event  the shadow side drops one more item after\n"
		"                   every full buffer (the classic emulator bug), to\n"
		"                   show that the runner catches it\n"
		"exit: 0 all identical, 1 a difference or failed expectation,\n"
		"      2 usage, parse or setup error\n");
}

static void on_alarm(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct totals t = { 0 };
	int i, nfiles = 0;

	sigaction(SIGALRM, &sa, NULL);

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-q"))
			quiet = true;
		else if (!strcmp(argv[i], "--shadow=kernel"))
			shadow_backend = B_KERNEL;
		else if (!strcmp(argv[i], "--inject=lose-event"))
			inject_lose = true;
		else if (!strcmp(argv[i], "--shadow=module"))
			shadow_backend = B_SHADOW;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage();
			return 0;
		} else if (argv[i][0] == '-') {
			usage();
			return 2;
		} else {
			nfiles++;
		}
	}
	if (!nfiles) {
		usage();
		return 2;
	}
	have_module = shep_gateway() >= 0;
	if (shadow_backend == B_SHADOW && !have_module) {
		fprintf(stderr, "sep-scenario: %s: %s (load shadow_epoll.ko, or use --shadow=kernel)\n",
			shep_device_path(), strerror(errno));
		return 2;
	}
	for (i = 1; i < argc; i++)
		if (argv[i][0] != '-')
			run_path(argv[i], &t);
	if (t.skipped)
		printf("scenarios skipped: %d\n", t.skipped);
	if (t.errors)
		printf("scenario files with errors: %d\n", t.errors);
	printf("scenarios: %d run, %d identical, %d different\n", t.run, t.same,
	       t.differ);
	return t.errors ? 2 : t.differ ? 1 : 0;
}
