// SPDX-License-Identifier: GPL-2.0-only
/*
 * sep_fuzz: seeded differential fuzzer, in-tree epoll vs /dev/shadow_epoll.
 *
 * A trace is a random sequence of operations over a few "worlds".  A world
 * holds instance pairs (a real epoll and a shadow instance, created and
 * closed together) and file slots.  Most files are SHARED: the real epoll and
 * the shadow instance watch the very same file, so both see identical
 * wakeups (eventfds, pipes, socketpairs, synthetic sources).  "Split"
 * synthetic sources are one source per side (the real side's epolls watch
 * one, the shadow side's the other, every change is applied to both); only
 * split sources get triggers, so a trigger fires in the real scan and in the
 * shadow scan alike.  Instance pairs nest inside each other per side.
 *
 * Every operation runs on the real side, then on the shadow side, and the
 * results are compared: return value, errno, the returned event bytes.  On
 * a divergence the trace is replayed from scratch and minimised (delta
 * debugging), and the minimised trace is printed one op per line.
 *
 * No threads, every wait has timeout 0: a trace is deterministic, which is
 * what makes replay and minimisation work.
 *
 *   sep_fuzz [-s SEED] [-n OPS] [-t TRACE_LEN] [-w WORLDS] [-r TRACE_SEED]
 *            [-m MAXDIV] [-p] [-q]
 *
 * Output ends with "fuzz: <ops> ops, <traces> traces, <divergences> divergences";
 * exit 0 (none), 1 (divergence), 2 (setup error), 4 (no /dev/shadow_epoll).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/shadow_epoll.h>

#include "libshadow_epoll.h"
#include "shep_util.h"

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif
#ifndef EPOLLEXCLUSIVE
#define EPOLLEXCLUSIVE (1u << 28)
#endif
#ifndef EPOLLWAKEUP
#define EPOLLWAKEUP (1u << 29)
#endif

_Static_assert(sizeof(struct epoll_event) == 12,
	       "struct epoll_event must be the kernel's packed layout");

#define EVSZ		12
#define EP_MAX_EVENTS	(0x7fffffff / EVSZ)
#define MAXW		4	/* worlds */
#define NINST		6	/* instance pairs per world */
#define NSLOT		10	/* file slots per world */
#define MAXEV		128	/* event buffer entries */
#define MAXENT		256	/* dump / fdinfo entries */
#define BADFD		4000
#define PAGE		4096
/*
 * Private files (split sources and their dups, instances) live at
 * fd >= PRIVFD, shared ones below, and a private fd number is never reused
 * within a trace: every private fd number maps to one canonical id (the same
 * on both sides), also after close while a dup keeps its file (and the
 * registration with the stale tfd) alive.  That is what the fdinfo/INTEREST
 * comparison translates tfds with.
 */
#define PRIVFD		600
#define MAXFD		8192
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* PRNG (splitmix64): the only source of randomness. */

static uint64_t rs;

static uint64_t rnd64(void)
{
	uint64_t z = (rs += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint32_t n)	/* [0, n) */
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

static bool chance(unsigned pct)
{
	return rnd(100) < pct;
}

static uint64_t mix(uint64_t x)
{
	uint64_t save = rs, r;

	rs = x;
	r = rnd64();
	rs = save;
	return r;
}

/* ------------------------------------------------------------------ */
/* Operations. */

enum opkind {
	OP_FILE_OPEN, OP_FILE_CLOSE, OP_DUP, OP_INST_OPEN, OP_INST_CLOSE,
	OP_CTL, OP_WAIT, OP_POLL, OP_EVWRITE, OP_EVREAD, OP_WRITE, OP_READ,
	OP_SHUTDOWN, OP_SRC_SET, OP_SRC_TRIG, OP_INTEREST, OP_PROBE,
	OP_NKINDS
};

static const char *const opname[OP_NKINDS] = {
	"open", "close", "dup", "inst_open", "inst_close", "ctl", "wait",
	"poll", "efd_write", "efd_read", "write", "read", "shutdown",
	"src_set", "src_trigger", "interest", "ready_probe",
};

enum ftype { FT_NONE, FT_EVENTFD, FT_PIPE, FT_SOCK, FT_SRC, FT_SPLIT, FT_N };

static const char *const ftname[FT_N] = {
	"none", "eventfd", "pipe", "socketpair", "source", "split_source",
};

struct op {
	uint8_t kind, w, a, b, c, d, e;
	uint32_t m1, m2, m3;
	int32_t i1;
	uint64_t data;
};

/*
 * Field use:
 *  FILE_OPEN   a=slot b=type m1=initial source mask
 *  FILE_CLOSE  a=slot b=which (0 main, 1 second end, 2 dup, 3 all)
 *  DUP         a=slot
 *  INST_OPEN   a=k b=how (0 open(), 1 IOC_CREATE) c=cloexec
 *  INST_CLOSE  a=k
 *  CTL         a=epsel b=tgt c=op d=1:NULL event m1=events data
 *  WAIT        a=epsel i1=maxevents b=bufmode c=fault slot d=straddle e=variant
 *  POLL        a=k m1=events
 *  EVWRITE     a=slot data=value
 *  EVREAD      a=slot
 *  WRITE/READ  a=slot b=which i1=bytes
 *  SHUTDOWN    a=slot b=which c=how
 *  SRC_SET     a=slot m1=op m2=mask m3=key c=flags
 *  SRC_TRIG    a=slot b=target slot i1=count m1=op m2=mask m3=key c=flags
 *  INTEREST    a=k
 *  PROBE       a=k
 */

/* epsel / tgt encodings */
#define SEL_SLOT	100	/* + slot: a file as epfd */
#define SEL_BAD		200
#define TGT_INST	100	/* + k */
#define TGT_BAD		200
#define TGT_DIR		201
#define TGT_OPATH	202
#define TGT_SELF	203

/* ------------------------------------------------------------------ */
/* Worlds. */

struct slot {
	int type;
	int fd[2];	/* pipe r,w; sock a,b; split: real-side, shadow-side */
	int dup;
	int dup1;	/* split: the shadow side's dup */
};

struct world {
	int re[NINST], se[NINST];
	struct slot s[NSLOT];
};

static struct world W[MAXW];
static int nworlds = 2;
static int dirfd_g = -1, opath_g = -1, fdinfo_dir = -1;
static unsigned char *fault_page[2];	/* per side: RW page then PROT_NONE */
static char iobuf[65536];

static int priv_next = PRIVFD, priv_max = 1000, next_cid = 1;
static int canon_id[MAXFD];

/* Move a private file's fd to a fresh number of the private range. */
static int priv(int fd, int cid)
{
	int nfd;

	if (fd < 0)
		return fd;
	if (priv_next >= priv_max)
		priv_next = PRIVFD;	/* very long trace: wrap (ids may go wrong) */
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, priv_next);
	close(fd);
	if (nfd >= 0) {
		priv_next = nfd + 1;
		if (nfd < MAXFD)
			canon_id[nfd] = cid;
	}
	return nfd;
}

static void world_init(struct world *w)
{
	for (int k = 0; k < NINST; k++)
		w->re[k] = w->se[k] = -1;
	for (int s = 0; s < NSLOT; s++) {
		w->s[s].type = FT_NONE;
		w->s[s].fd[0] = w->s[s].fd[1] = w->s[s].dup = w->s[s].dup1 = -1;
	}
}

static void xclose(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void slot_close(struct slot *sl)
{
	xclose(&sl->dup);
	xclose(&sl->dup1);
	xclose(&sl->fd[0]);
	xclose(&sl->fd[1]);
	sl->type = FT_NONE;
}

static void worlds_reset(void)
{
	for (int i = 0; i < MAXW; i++) {
		struct world *w = &W[i];

		for (int k = 0; k < NINST; k++) {
			xclose(&w->re[k]);
			xclose(&w->se[k]);
		}
		for (int s = 0; s < NSLOT; s++)
			slot_close(&w->s[s]);
		world_init(w);
	}
	memset(canon_id + PRIVFD, 0, (priv_max - PRIVFD) * sizeof(canon_id[0]));
	priv_next = PRIVFD;
	next_cid = 1;
}

/* ------------------------------------------------------------------ */
/* Divergence reporting. */

static char why[8192];
static bool diverged;

static void diverge(const char *fmt, ...)
{
	va_list ap;
	size_t l = strlen(why);

	diverged = true;
	va_start(ap, fmt);
	if (l < sizeof(why) - 1)
		vsnprintf(why + l, sizeof(why) - l, fmt, ap);
	va_end(ap);
}

static void hexdump(const char *tag, const unsigned char *b, int n)
{
	diverge("    %s:", tag);
	for (int i = 0; i < n; i++)
		diverge("%s%02x", i % EVSZ ? "" : " ", b[i]);
	diverge("\n");
}

static void evdump(const char *tag, const unsigned char *b, int n)
{
	diverge("    %s:", tag);
	for (int i = 0; i + EVSZ <= n * EVSZ; i += EVSZ) {
		uint32_t e;
		uint64_t d;

		memcpy(&e, b + i, 4);
		memcpy(&d, b + i + 4, 8);
		diverge(" {%#x,%#" PRIx64 "}", e, d);
	}
	diverge("\n");
}

struct res {
	long ret;
	int err;
};

static bool cmp_res(const char *what, struct res *r, struct res *s)
{
	if (r->ret == s->ret && (r->ret >= 0 || r->err == s->err))
		return true;
	diverge("  %s: real ret=%ld errno=%d(%s)  shadow ret=%ld errno=%d(%s)\n",
		what, r->ret, r->ret < 0 ? r->err : 0,
		r->ret < 0 ? strerror(r->err) : "-", s->ret,
		s->ret < 0 ? s->err : 0, s->ret < 0 ? strerror(s->err) : "-");
	return false;
}

#define DO(r, call) do { errno = 0; (r).ret = (long)(call); (r).err = errno; } while (0)

/* Coverage counters (real side), printed without -q. */
static struct stats {
	long wait, wait_pos, wait_ev, wait_full, ctl, ctl_ok, probe, probe_ev;
	long err[160];
} st;

static long last_ctl_ret;	/* for the generator */


static void count_err(struct res *r)
{
	if (r->ret < 0 && r->err > 0 && r->err < 160)
		st.err[r->err]++;
}

/* ------------------------------------------------------------------ */
/* Shadow wrappers. */

/*
 * The shadow side of a wait variant: 0 epoll_wait, 1 epoll_pwait (8-byte
 * mask), 2 epoll_pwait2 (no mask, sigsetsize 0), 3 epoll_pwait with a wrong
 * sigsetsize (16); the last two need the raw form.
 */
static long sh_wait(int epfd, void *evs, int max, int variant)
{
	static const struct timespec ts0;
	static uint64_t kset;
	struct shadow_epoll_wait_args a = {
		.size = sizeof(a), .epfd = epfd, .maxevents = max,
		.events = (uint64_t)(uintptr_t)evs, .timeout_ms = 0,
	};

	switch (variant) {
	case 0:
		return shep_wait(epfd, evs, max, 0);
	case 1:
		return shep_pwait(epfd, evs, max, 0, (const sigset_t *)&kset);
	case 2:
		a.flags = SHADOW_EPOLL_WAIT_TIMESPEC;
		a.timeout_ts = (uint64_t)(uintptr_t)&ts0;
		break;
	default:
		a.sigmask = (uint64_t)(uintptr_t)&kset;
		a.sigsetsize = 16;
	}
	return shep_wait_raw(&a);
}

static long re_wait(int epfd, void *evs, int max, int variant)
{
	static const struct timespec ts0;
	static uint64_t kset;

	switch (variant) {
	case 1:
		return syscall(SYS_epoll_pwait, epfd, evs, max, 0, &kset, 8);
	case 2:
		return syscall(SYS_epoll_pwait2, epfd, evs, max, &ts0, NULL, 0);
	case 3:
		return syscall(SYS_epoll_pwait, epfd, evs, max, 0, &kset, 16);
	}
	return syscall(SYS_epoll_wait, epfd, evs, max, 0);
}

/* ------------------------------------------------------------------ */
/* Interest: fdinfo of a real epoll / shadow instance, INTEREST dump. */

struct ient {
	int tfd;
	uint32_t events;
	uint64_t data;
	long long pos;
	unsigned long ino;
	unsigned sdev;
};

/* Skip "<tag>" and blanks, then parse a number (sscanf is slow). */
static bool field(char **p, const char *tag, int base, unsigned long long *v)
{
	size_t l = strlen(tag);
	char *end;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (strncmp(*p, tag, l))
		return false;
	*p += l;
	*v = strtoull(*p, &end, base);
	if (end == *p)
		return false;
	*p = end;
	return true;
}

/* "tfd: %d events: %x data: %llx pos:%lli ino:%lx sdev:%x" */
static bool tfd_line(char *p, struct ient *e)
{
	unsigned long long v[6];

	if (!field(&p, "tfd:", 10, &v[0]) || !field(&p, "events:", 16, &v[1]) ||
	    !field(&p, "data:", 16, &v[2]) || !field(&p, "pos:", 0, &v[3]) ||
	    !field(&p, "ino:", 16, &v[4]) || !field(&p, "sdev:", 16, &v[5]))
		return false;
	e->tfd = (int)v[0];
	e->events = (uint32_t)v[1];
	e->data = v[2];
	e->pos = (long long)v[3];
	e->ino = (unsigned long)v[4];
	e->sdev = (unsigned int)v[5];
	return true;
}

/*
 * /proc/self/fdinfo/<fd> files stay open, one per fd number, in the fd
 * range [FDI_BASE, FDI_BASE + FDI_MAX) above everything else, and are
 * re-read with pread(): procfs looks the fd number up at every read, so an
 * open fdinfo file always shows whatever file has that number now, and a
 * read costs no path walk, open or close.
 */
#define FDI_BASE	4096
#define FDI_MAX		512
static int fdi_fd[MAXFD];	/* fdinfo fd + 1, 0: none */
static int fdi_n;

static int fdinfo_open(int fd)
{
	char path[16];
	int f, nf;

	if (fd >= 0 && fd < MAXFD && fdi_fd[fd])
		return fdi_fd[fd] - 1;
	snprintf(path, sizeof(path), "%d", fd);
	f = openat(fdinfo_dir, path, O_RDONLY | O_CLOEXEC);
	if (f < 0 || fd < 0 || fd >= MAXFD || fdi_n >= FDI_MAX)
		return f;
	nf = fcntl(f, F_DUPFD_CLOEXEC, FDI_BASE);
	if (nf < 0 || nf >= FDI_BASE + FDI_MAX) {
		if (nf >= 0)
			close(nf);
		fdi_n = FDI_MAX;	/* no room: stop caching */
		return f;
	}
	close(f);
	fdi_fd[fd] = nf + 1;
	fdi_n++;
	return nf;
}

static int fdinfo_read(int fd, struct ient *e, int cap)
{
	static char buf[65536];
	int f, n = 0;
	ssize_t len, got = 0;
	char *p;

	f = fdinfo_open(fd);
	if (f < 0)
		return -1;
	while ((len = pread(f, buf + got, sizeof(buf) - 1 - got, got)) > 0)
		got += len;
	if (f < FDI_BASE)
		close(f);
	if (len < 0)
		return -1;
	buf[got] = 0;
	for (p = buf; p && *p && n < cap; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (strncmp(p, "tfd:", 4))
			continue;
		if (tfd_line(p, &e[n]))
			n++;
	}
	return n;
}

static int interest_dump(int epfd, struct ient *e, int cap, int *total)
{
	static struct shadow_epoll_interest_entry ie[MAXENT];
	int n, count;

	/* A small buffer first: the module allocates and zeroes capacity. */
	count = shep_interest(epfd, ie, 32);
	if (count > 32)
		count = shep_interest(epfd, ie, MAXENT);
	if (count < 0)
		return -1;
	*total = count;
	n = count < cap ? count : cap;
	for (int i = 0; i < n; i++) {
		e[i].tfd = ie[i].fd;
		e[i].events = ie[i].events;
		e[i].data = ie[i].data;
		e[i].pos = ie[i].pos;
		e[i].ino = ie[i].ino;
		e[i].sdev = ie[i].sdev;
	}
	return n;
}

/* Canonical id of a private (per-side) target fd, or -1 if shared. */
static int canon(int side, int tfd)
{
	if (tfd < PRIVFD)
		return -1;
	if (tfd < MAXFD && canon_id[tfd])
		return canon_id[tfd];
	return 0x40000000 + (side << 20) + tfd;	/* unknown: never equal */
}

static int ient_cmp(const void *a, const void *b)
{
	const struct ient *x = a, *y = b;

	if (x->tfd != y->tfd)
		return x->tfd < y->tfd ? -1 : 1;
	if (x->data != y->data)
		return x->data < y->data ? -1 : 1;
	if (x->events != y->events)
		return x->events < y->events ? -1 : 1;
	return 0;
}

static void ient_print(const char *tag, struct ient *e, int n)
{
	diverge("    %s (%d):\n", tag, n);
	for (int i = 0; i < n; i++)
		diverge("      tfd:%d events:%x data:%" PRIx64 " pos:%lld ino:%lx sdev:%x\n",
			e[i].tfd, e[i].events, e[i].data, e[i].pos, e[i].ino, e[i].sdev);
}

/*
 * Real fdinfo vs shadow list (fdinfo or dump).  Shared files: same entries
 * in the same order (struct file address order is the same file on both
 * sides).  Private files (split sources, nested instances): the same
 * multiset after translating tfd to a canonical id.
 */
static bool cmp_interest(const char *what,
			 struct ient *r, int nr, struct ient *s, int ns)
{
	static struct ient rs_[MAXENT], ss_[MAXENT], rp[MAXENT], sp[MAXENT];
	int a = 0, b = 0, pa = 0, pb = 0, c;
	bool ok = true;

	for (int i = 0; i < nr; i++) {
		c = canon(0, r[i].tfd);
		if (c < 0) {
			rs_[a++] = r[i];
		} else {
			rp[pa] = r[i];
			rp[pa].tfd = c;
			rp[pa].ino = rp[pa].sdev = 0;
			pa++;
		}
	}
	for (int i = 0; i < ns; i++) {
		c = canon(1, s[i].tfd);
		if (c < 0) {
			ss_[b++] = s[i];
		} else {
			sp[pb] = s[i];
			sp[pb].tfd = c;
			sp[pb].ino = sp[pb].sdev = 0;
			pb++;
		}
	}
	qsort(rp, pa, sizeof(rp[0]), ient_cmp);
	qsort(sp, pb, sizeof(sp[0]), ient_cmp);
	if (a != b || pa != pb)
		ok = false;
	for (int i = 0; ok && i < a; i++)
		if (rs_[i].tfd != ss_[i].tfd || rs_[i].events != ss_[i].events ||
		    rs_[i].data != ss_[i].data || rs_[i].pos != ss_[i].pos ||
		    rs_[i].ino != ss_[i].ino || rs_[i].sdev != ss_[i].sdev)
			ok = false;
	for (int i = 0; ok && i < pa; i++)
		if (rp[i].tfd != sp[i].tfd || rp[i].events != sp[i].events ||
		    rp[i].data != sp[i].data || rp[i].pos != sp[i].pos)
			ok = false;
	if (!ok) {
		diverge("  %s differs\n", what);
		ient_print("real", r, nr);
		ient_print("shadow", s, ns);
	}
	return ok;
}

static bool prof;
static double check_t, fdi_t;	/* -p: time in interest checks, fdinfo */
static long check_n;

static bool check_interest_(struct world *w, int k, bool full);

static bool check_interest(struct world *w, int k, bool full)
{
	double a;
	bool ok;

	if (!prof)
		return check_interest_(w, k, full);
	a = shep_now_s();
	ok = check_interest_(w, k, full);
	check_t += shep_now_s() - a;
	check_n++;
	return ok;
}

static bool check_interest_(struct world *w, int k, bool full)
{
	static struct ient r[MAXENT], sf[MAXENT], sd[MAXENT];
	int nr, nsf, nsd, total;
	bool ok = true;

	if (w->re[k] < 0 || w->se[k] < 0)
		return true;
	fdi_t -= prof ? shep_now_s() : 0;
	nr = fdinfo_read(w->re[k], r, MAXENT);
	nsf = full ? fdinfo_read(w->se[k], sf, MAXENT) : 0;
	fdi_t += prof ? shep_now_s() : 0;
	nsd = interest_dump(w->se[k], sd, MAXENT, &total);
	if (nr < 0 || nsf < 0 || nsd < 0) {
		diverge("  interest ep%d: read failed (%d %d %d): %s\n", k, nr,
			nsf, nsd, strerror(errno));
		return false;
	}
	if (total != nsd) {
		diverge("  interest ep%d: dump count %d > capacity\n", k, total);
		ok = false;
	}
	ok &= cmp_interest("fdinfo(real) vs INTEREST dump", r, nr, sd, nsd);
	if (full)
		ok &= cmp_interest("fdinfo(real) vs fdinfo(shadow)", r, nr, sf, nsf);
	return ok;
}

/*
 * After a close: the interest set of instance pair which - 1, or of every
 * pair when which is 0 (reading fdinfo is the costliest check there is).
 */
static bool check_after_close(struct world *w, int which)
{
	bool ok = true;

	if (which > 0)
		return check_interest(w, (which - 1) % NINST, false);
	for (int k = 0; k < NINST; k++)
		ok &= check_interest(w, k, false);
	return ok;
}

/* ------------------------------------------------------------------ */
/* Resolving operands. */

static int sel_epfd(struct world *w, int side, int sel)
{
	if (sel < NINST)
		return side ? w->se[sel] : w->re[sel];
	if (sel >= SEL_SLOT && sel < SEL_SLOT + NSLOT)
		return w->s[sel - SEL_SLOT].fd[0];
	return BADFD;
}

static int slot_fd(struct slot *sl, int side, int which)
{
	if (sl->type == FT_SPLIT)
		return which == 2 ? (side ? sl->dup1 : sl->dup) : sl->fd[side];
	if (which == 2)
		return sl->dup;
	if (which == 1 && (sl->type == FT_PIPE || sl->type == FT_SOCK))
		return sl->fd[1];
	return sl->fd[0];
}

static int tgt_fd(struct world *w, int side, int tgt, int epfd)
{
	if (tgt < NSLOT * 3)
		return slot_fd(&w->s[tgt / 3], side, tgt % 3);
	if (tgt >= TGT_INST && tgt < TGT_INST + NINST)
		return side ? w->se[tgt - TGT_INST] : w->re[tgt - TGT_INST];
	switch (tgt) {
	case TGT_DIR: return dirfd_g;
	case TGT_OPATH: return opath_g;
	case TGT_SELF: return epfd;
	}
	return BADFD;
}

/* ------------------------------------------------------------------ */
/* Executing one op on both sides. */

static unsigned char evb[2][MAXEV * EVSZ];

static int probe_seq(struct world *w, int k, uint64_t *seq, int cap)
{
	int n = 0;

	for (int i = 0; i < 64 && n < cap; i++) {
		struct res r, s;
		uint64_t d;
		bool rep = false;

		memset(evb[0], 0xa5, EVSZ);
		memset(evb[1], 0xa5, EVSZ);
		DO(r, re_wait(w->re[k], evb[0], 1, 0));
		DO(s, sh_wait(w->se[k], evb[1], 1, 0));
		if (!cmp_res("probe wait", &r, &s))
			return -1;
		if (memcmp(evb[0], evb[1], EVSZ)) {
			diverge("  probe wait #%d: events differ\n", i);
			evdump("real  ", evb[0], 1);
			evdump("shadow", evb[1], 1);
			return -1;
		}
		if (r.ret <= 0)
			break;
		memcpy(&d, evb[0] + 4, 8);
		for (int j = 0; j < n; j++)
			rep |= seq[j] == d;
		if (rep)
			break;
		seq[n++] = d;
	}
	return n;
}

/*
 * Clears the trigger of every split source, on each side through whichever
 * fd still refers to it: after a close of the source a dup keeps the file
 * (and its trigger) alive.
 */
static void disarm_triggers(struct world *w)
{
	for (int s = 0; s < NSLOT; s++) {
		struct slot *sl = &w->s[s];

		if (sl->type != FT_SPLIT)
			continue;
		for (int side = 0; side < 2; side++) {
			int fd = sl->fd[side] >= 0 ? sl->fd[side] : slot_fd(sl, side, 2);

			if (fd >= 0)
				shep_source_trigger(fd, fd, 0, 0, 0, 0, 0);
		}
	}
}

static bool do_probe(struct world *w, int k)
{
	static struct shadow_epoll_ready_entry re[MAXENT];
	uint64_t seq[64];
	unsigned int dflags;
	int n, j = 0, nd;

	if (w->re[k] < 0 || w->se[k] < 0)
		return true;
	disarm_triggers(w);
	nd = shep_ready(w->se[k], re, MAXENT, &dflags);
	if (nd < 0) {
		diverge("  READY dump ep%d failed: %s\n", k, strerror(errno));
		return false;
	}
	if (nd > MAXENT)
		nd = MAXENT;
	if (dflags) {
		diverge("  READY dump ep%d: flags %#x outside a scan\n", k, dflags);
		return false;
	}
	n = probe_seq(w, k, seq, 64);
	if (n < 0)
		return false;
	st.probe++;
	st.probe_ev += n;
	/* The probed order must be a subsequence of the dumped order. */
	for (int i = 0; i < n; i++) {
		while (j < nd && re[j].data != seq[i])
			j++;
		if (j == nd) {
			diverge("  READY dump ep%d vs probe: probe order is not a subsequence of the dump\n    dump :", k);
			for (int x = 0; x < nd; x++)
				diverge(" %#" PRIx64 "%s", (uint64_t)re[x].data,
					re[x].flags & SHADOW_EPOLL_ENTRY_READY ? "" : "?");
			diverge("\n    probe:");
			for (int x = 0; x < n; x++)
				diverge(" %#" PRIx64, seq[x]);
			diverge("\n");
			return false;
		}
		j++;
	}
	return true;
}

static bool exec_op(const struct op *o)
{
	struct world *w = &W[o->w % MAXW];
	struct res r, s;
	bool ok = true;

	switch (o->kind) {
	case OP_FILE_OPEN: {
		struct slot *sl = &w->s[o->a];
		int p[2];

		slot_close(sl);
		sl->type = o->b;
		switch (o->b) {
		case FT_EVENTFD:
			sl->fd[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			break;
		case FT_PIPE:
			if (pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0) {
				sl->fd[0] = p[0];
				sl->fd[1] = p[1];
			}
			break;
		case FT_SOCK:
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, p) == 0) {
				sl->fd[0] = p[0];
				sl->fd[1] = p[1];
			}
			break;
		case FT_SRC:
			sl->fd[0] = shep_source(0, o->m1);
			break;
		case FT_SPLIT:
			sl->fd[0] = priv(shep_source(0, o->m1), next_cid);
			sl->fd[1] = priv(shep_source(0, o->m1), next_cid++);
			break;
		default:
			sl->type = FT_NONE;
		}
		if (sl->type != FT_NONE && sl->fd[0] < 0) {
			fprintf(stderr, "sep_fuzz: open %s: %s\n", ftname[o->b], strerror(errno));
			exit(2);
		}
		break;
	}
	case OP_FILE_CLOSE: {
		struct slot *sl = &w->s[o->a];

		if (o->b == 3) {
			slot_close(sl);
		} else if (o->b == 2) {
			xclose(&sl->dup);
			xclose(&sl->dup1);
		} else if (sl->type == FT_SPLIT) {
			xclose(&sl->fd[0]);
			xclose(&sl->fd[1]);
		} else {
			xclose(&sl->fd[o->b]);
		}
		if (sl->fd[0] < 0 && sl->fd[1] < 0 && sl->dup < 0 && sl->dup1 < 0)
			sl->type = FT_NONE;
		/* Both sides lose the registration at the same close. */
		ok = check_after_close(w, o->e);
		break;
	}
	case OP_DUP: {
		struct slot *sl = &w->s[o->a];

		if (sl->type == FT_SPLIT && sl->fd[0] >= 0) {
			xclose(&sl->dup);
			xclose(&sl->dup1);
			sl->dup = priv(fcntl(sl->fd[0], F_DUPFD_CLOEXEC, 0), next_cid);
			sl->dup1 = priv(fcntl(sl->fd[1], F_DUPFD_CLOEXEC, 0), next_cid++);
		} else if (sl->type != FT_NONE && sl->fd[0] >= 0) {
			xclose(&sl->dup);
			sl->dup = fcntl(sl->fd[0], F_DUPFD_CLOEXEC, 0);
		}
		break;
	}
	case OP_INST_OPEN: {
		int k = o->a, fl = o->c ? EPOLL_CLOEXEC : 0;

		xclose(&w->re[k]);
		xclose(&w->se[k]);
		w->re[k] = priv(epoll_create1(fl), next_cid);
		w->se[k] = priv(o->b ? (int)shep_create(fl) :
			open(SHADOW_EPOLL_DEVICE, O_RDWR | (o->c ? O_CLOEXEC : 0)), next_cid++);
		if (w->re[k] < 0 || w->se[k] < 0) {
			fprintf(stderr, "sep_fuzz: create: %s\n", strerror(errno));
			exit(2);
		}
		break;
	}
	case OP_INST_CLOSE:
		xclose(&w->re[o->a]);
		xclose(&w->se[o->a]);
		ok = check_after_close(w, o->e);
		break;
	case OP_CTL: {
		int e0 = sel_epfd(w, 0, o->a), e1 = sel_epfd(w, 1, o->a);
		struct epoll_event ev0 = { .events = o->m1, .data.u64 = o->data };
		struct epoll_event ev1 = ev0;

		DO(r, syscall(SYS_epoll_ctl, e0, o->c, tgt_fd(w, 0, o->b, e0),
			      o->d ? NULL : &ev0));
		DO(s, shep_ctl(e1, o->c, tgt_fd(w, 1, o->b, e1), o->d ? NULL : &ev1));
		ok = cmp_res("ctl", &r, &s);
		last_ctl_ret = r.ret;

		st.ctl++;
		st.ctl_ok += r.ret == 0;
		count_err(&r);
		break;
	}
	case OP_WAIT: {
		int e0 = sel_epfd(w, 0, o->a), e1 = sel_epfd(w, 1, o->a);
		int max = o->i1, nb;
		void *p[2];

		if (o->b == 0) {		/* normal buffer */
			nb = max > 0 && max < MAXEV ? max * EVSZ : MAXEV * EVSZ;
			p[0] = evb[0];
			p[1] = evb[1];
		} else if (o->b == 1) {	/* NULL: EFAULT only if something is copied */
			nb = 0;
			p[0] = p[1] = NULL;
		} else if (o->b == 2) {	/* buffer ends in a PROT_NONE page */
			nb = o->c * EVSZ + (o->d ? 4 : 0);
			p[0] = fault_page[0] + PAGE - nb;
			p[1] = fault_page[1] + PAGE - nb;
		} else {		/* kernel address: access_ok fails */
			nb = 0;
			p[0] = p[1] = (void *)0xffff888000000000ull;
		}
		if (nb) {
			memset(p[0], 0xa5, nb);
			memset(p[1], 0xa5, nb);
		}
		DO(r, re_wait(e0, p[0], max, o->e));
		DO(s, sh_wait(e1, p[1], max, o->e));
		ok = cmp_res("wait", &r, &s);
		st.wait++;
		count_err(&r);
		if (r.ret > 0) {
			st.wait_pos++;
			st.wait_ev += r.ret;
			st.wait_full += r.ret == max;
		}
		if (nb && memcmp(p[0], p[1], nb)) {
			int n = r.ret > 0 ? (int)r.ret : 0;

			if (s.ret > n)
				n = (int)s.ret;
			diverge("  wait: returned events differ (ret %ld)\n", r.ret);
			evdump("real  ", p[0], n);
			evdump("shadow", p[1], n);
			if (o->b == 2) {
				hexdump("real   bytes", p[0], nb);
				hexdump("shadow bytes", p[1], nb);
			}
			ok = false;
		}
		break;
	}
	case OP_POLL: {
		struct pollfd p0 = { .fd = w->re[o->a], .events = (short)o->m1 };
		struct pollfd p1 = { .fd = w->se[o->a], .events = (short)o->m1 };

		DO(r, poll(&p0, 1, 0));
		DO(s, poll(&p1, 1, 0));
		ok = cmp_res("poll", &r, &s);
		if (p0.revents != p1.revents) {
			diverge("  poll: revents real %#x shadow %#x\n",
				p0.revents, p1.revents);
			ok = false;
		}
		break;
	}
	case OP_EVWRITE:
		if (w->s[o->a].type == FT_EVENTFD) {
			uint64_t v = o->data;

			if (write(w->s[o->a].fd[0], &v, 8) < 0) {
				/* EAGAIN on overflow: fine */
			}
		}
		break;
	case OP_EVREAD:
		if (w->s[o->a].type == FT_EVENTFD) {
			uint64_t v;

			if (read(w->s[o->a].fd[0], &v, 8) < 0) {
				/* EAGAIN: fine */
			}
		}
		break;
	case OP_WRITE:
	case OP_READ: {
		struct slot *sl = &w->s[o->a];
		int fd;

		if (sl->type != FT_PIPE && sl->type != FT_SOCK)
			break;
		fd = sl->type == FT_PIPE ? sl->fd[o->kind == OP_READ ? 0 : 1] :
			sl->fd[o->b & 1];
		if (fd < 0)
			break;
		if (o->kind == OP_WRITE) {
			if (send(fd, iobuf, o->i1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
			    errno == ENOTSOCK && write(fd, iobuf, o->i1) < 0) {
				/* EAGAIN/EPIPE: fine */
			}
		} else if (read(fd, iobuf, o->i1) < 0) {
			/* EAGAIN: fine */
		}
		break;
	}
	case OP_SHUTDOWN: {
		struct slot *sl = &w->s[o->a];

		if (sl->type == FT_SOCK && sl->fd[o->b & 1] >= 0)
			shutdown(sl->fd[o->b & 1], o->c);
		break;
	}
	case OP_SRC_SET: {
		struct slot *sl = &w->s[o->a];

		if (sl->type == FT_SRC) {
			shep_source_change(sl->fd[0], o->m1, o->m2, o->m3, o->c);
		} else if (sl->type == FT_SPLIT) {
			DO(r, shep_source_change(sl->fd[0], o->m1, o->m2, o->m3, o->c));
			DO(s, shep_source_change(sl->fd[1], o->m1, o->m2, o->m3, o->c));
			ok = cmp_res("src_set", &r, &s);
		}
		break;
	}
	case OP_SRC_TRIG: {
		struct slot *sl = &w->s[o->a], *tl = &w->s[o->b];

		if (sl->type == FT_SPLIT && tl->type == FT_SPLIT) {
			DO(r, shep_source_trigger(sl->fd[0], tl->fd[0], o->i1, o->m1, o->m2, o->m3, o->c));
			DO(s, shep_source_trigger(sl->fd[1], tl->fd[1], o->i1, o->m1, o->m2, o->m3, o->c));
			ok = cmp_res("src_trigger", &r, &s);
		}
		break;
	}
	case OP_INTEREST:
		ok = check_interest(w, o->a, true);
		break;
	case OP_PROBE:
		ok = do_probe(w, o->a);
		break;
	}
	return ok;
}

/* ------------------------------------------------------------------ */
/* Printing. */

static const char *evstr(uint32_t m, char *buf, size_t sz)
{
	static const struct { uint32_t bit; const char *n; } names[] = {
		{ EPOLLIN, "IN" }, { EPOLLPRI, "PRI" }, { EPOLLOUT, "OUT" },
		{ EPOLLERR, "ERR" }, { EPOLLHUP, "HUP" }, { EPOLLRDNORM, "RDNORM" },
		{ EPOLLRDBAND, "RDBAND" }, { EPOLLWRNORM, "WRNORM" },
		{ EPOLLWRBAND, "WRBAND" }, { EPOLLMSG, "MSG" },
		{ EPOLLRDHUP, "RDHUP" }, { 0x4000, "POLLFREE" },
		{ EPOLLEXCLUSIVE, "EXCLUSIVE" }, { EPOLLWAKEUP, "WAKEUP" },
		{ EPOLLONESHOT, "ONESHOT" }, { EPOLLET, "ET" },
	};
	size_t l = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (m & names[i].bit) {
			l += snprintf(buf + l, sz - l, "%s%s", l ? "|" : "", names[i].n);
			m &= ~names[i].bit;
		}
	if (m || !l)
		snprintf(buf + l, sz - l, "%s%#x", l ? "|" : "", m);
	return buf;
}

static const char *selstr(int sel, char *b, size_t sz)
{
	if (sel < NINST)
		snprintf(b, sz, "ep%d", sel);
	else if (sel >= SEL_SLOT && sel < SEL_SLOT + NSLOT)
		snprintf(b, sz, "f%d(not an epoll)", sel - SEL_SLOT);
	else
		snprintf(b, sz, "badfd");
	return b;
}

static const char *tgtstr(int t, char *b, size_t sz)
{
	static const char *const wh[] = { "", ".w", ".dup" };

	if (t < NSLOT * 3)
		snprintf(b, sz, "f%d%s", t / 3, wh[t % 3]);
	else if (t >= TGT_INST && t < TGT_INST + NINST)
		snprintf(b, sz, "ep%d", t - TGT_INST);
	else
		snprintf(b, sz, "%s", t == TGT_DIR ? "dirfd" : t == TGT_OPATH ?
			 "opathfd" : t == TGT_SELF ? "self" : "badfd");
	return b;
}

static const char *const srcop[] = { "SET", "OR", "CLEAR", "POLLFREE" };

static void print_check(FILE *f, int which)
{
	if (which > 0)
		fprintf(f, ", check ep%d", (which - 1) % NINST);
	else
		fprintf(f, ", check all");
}

static void print_op(FILE *f, int idx, const struct op *o)
{
	char b1[160], b2[160], b3[64];
	static const char *const ctlop[] = { "op0", "ADD", "DEL", "MOD" };
	static const char *const bufm[] = { "buf", "NULL", "fault", "kaddr" };
	static const char *const var[] = { "epoll_wait", "epoll_pwait", "epoll_pwait2", "pwait(sigsetsize=16)" };

	fprintf(f, "  %4d: w%d %-11s ", idx, o->w, opname[o->kind]);
	switch (o->kind) {
	case OP_FILE_OPEN:
		fprintf(f, "f%d = %s", o->a, ftname[o->b]);
		if (o->b == FT_SRC || o->b == FT_SPLIT)
			fprintf(f, " mask=%s", evstr(o->m1, b1, sizeof(b1)));
		break;
	case OP_FILE_CLOSE:
		fprintf(f, "f%d%s", o->a, (const char *[]){ "", ".w", ".dup", " (all)" }[o->b]);
		print_check(f, o->e);
		break;
	case OP_DUP:
		fprintf(f, "f%d.dup = dup(f%d)", o->a, o->a);
		break;
	case OP_INST_OPEN:
		fprintf(f, "ep%d (%s%s)", o->a, o->b ? "IOC_CREATE" : "open",
			o->c ? ", CLOEXEC" : "");
		break;
	case OP_INST_CLOSE:
		fprintf(f, "ep%d", o->a);
		print_check(f, o->e);
		break;
	case OP_INTEREST:
	case OP_PROBE:
		fprintf(f, "ep%d", o->a);
		break;
	case OP_CTL:
		fprintf(f, "%s %s %s", selstr(o->a, b1, sizeof(b1)),
			o->c < 4 ? ctlop[o->c] : "op?", tgtstr(o->b, b2, sizeof(b2)));
		if (o->c > 3)
			fprintf(f, "(op=%d)", o->c);
		if (o->d)
			fprintf(f, " event=NULL");
		else
			fprintf(f, " {%s, %#" PRIx64 "}", evstr(o->m1, b1, sizeof(b1)), o->data);
		break;
	case OP_WAIT:
		fprintf(f, "%s max=%d %s", selstr(o->a, b1, sizeof(b1)), o->i1, bufm[o->b]);
		if (o->b == 2)
			fprintf(f, "(%d slots%s)", o->c, o->d ? "+4 bytes" : "");
		if (o->e)
			fprintf(f, " via %s", var[o->e]);
		break;
	case OP_POLL:
		fprintf(f, "ep%d events=%s", o->a, evstr(o->m1, b1, sizeof(b1)));
		break;
	case OP_EVWRITE:
		fprintf(f, "f%d += %#" PRIx64, o->a, o->data);
		break;
	case OP_EVREAD:
		fprintf(f, "f%d", o->a);
		break;
	case OP_WRITE:
	case OP_READ:
		fprintf(f, "f%d%s %d bytes", o->a, o->b ? ".w" : "", o->i1);
		break;
	case OP_SHUTDOWN:
		fprintf(f, "f%d%s %s", o->a, o->b ? ".w" : "",
			(const char *[]){ "SHUT_RD", "SHUT_WR", "SHUT_RDWR" }[o->c % 3]);
		break;
	case OP_SRC_SET:
		fprintf(f, "f%d %s %s key=%s%s%s", o->a, srcop[o->m1 & 3],
			evstr(o->m2, b1, sizeof(b1)), evstr(o->m3, b2, sizeof(b2)),
			o->c & SHADOW_EPOLL_SRC_NOWAKE ? " NOWAKE" : "",
			o->c & SHADOW_EPOLL_SRC_SYNC ? " SYNC" : "");
		break;
	case OP_SRC_TRIG:
		snprintf(b3, sizeof(b3), "%s", srcop[o->m1 & 3]);
		fprintf(f, "f%d: next %d re-polls do f%d %s %s key=%s%s%s", o->a, o->i1,
			o->b, b3, evstr(o->m2, b1, sizeof(b1)), evstr(o->m3, b2, sizeof(b2)),
			o->c & SHADOW_EPOLL_SRC_NOWAKE ? " NOWAKE" : "",
			o->c & SHADOW_EPOLL_SRC_SYNC ? " SYNC" : "");
		break;
	}
	fputc('\n', f);
}

/* ------------------------------------------------------------------ */
/* Generation (may look at the current state; replay does not). */

static uint32_t rnd_mask(void)
{
	static const uint32_t pool[] = {
		EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP, EPOLLERR, EPOLLHUP,
		EPOLLRDNORM, EPOLLWRNORM, EPOLLRDBAND, EPOLLMSG,
	};
	uint32_t m = 0;
	uint64_t r;

	switch (rnd(10)) {
	case 0:
		return 0;
	case 1:
		/*
		 * Any bits; EPOLLWAKEUP only one time in eight (the real
		 * side's MOD that drops it waits for an RCU grace period).
		 */
		r = rnd64();
		m = (uint32_t)r & ~(EPOLLEXCLUSIVE | 0x4000u);
		return (r >> 40) & 7 ? m & ~EPOLLWAKEUP : m;
	case 2: case 3: case 4:
		return EPOLLIN;
	case 5:
		return EPOLLIN | EPOLLOUT;
	}
	for (int n = 1 + rnd(3); n; n--)
		m |= pool[rnd(sizeof(pool) / sizeof(pool[0]))];
	return m;
}

static uint32_t rnd_key(uint32_t mask)
{
	switch (rnd(8)) {
	case 0: case 1:
		return 0;
	case 2: case 3:
		return mask;
	case 4:
		return EPOLLIN;
	case 5:
		return EPOLLOUT;
	case 6:
		return EPOLLHUP;
	}
	return rnd_mask() & ~0x4000u;
}

static int open_inst(struct world *w)
{
	int c[NINST], n = 0;

	for (int k = 0; k < NINST; k++)
		if (w->re[k] >= 0)
			c[n++] = k;
	return n ? c[rnd(n)] : (int)rnd(NINST);
}

static int open_slot(struct world *w, int type)
{
	int c[NSLOT], n = 0;

	for (int s = 0; s < NSLOT; s++)
		if (w->s[s].type != FT_NONE && (!type || w->s[s].type == type))
			c[n++] = s;
	return n ? c[rnd(n)] : -1;
}

static int nopen_slots(struct world *w)
{
	int n = 0;

	for (int s = 0; s < NSLOT; s++)
		n += w->s[s].type != FT_NONE;
	return n;
}

static uint64_t gen_data(int idx)
{
	switch (rnd(40)) {
	case 0:
		return 0;
	case 1:
		return ~0ull;
	}
	return (rnd64() & 0xffffff0000000000ull) | ((uint64_t)idx << 8) | rnd(256);
}

/* Pattern starts per 1000 ops (-P). */
static unsigned int pat_permille = 40;

/* Generation memory: targets of successful ADDs, per world and instance. */
static uint8_t gadd[MAXW][NINST][16];
static int gn[MAXW][NINST];
static void gen_note(const struct op *o)
{
	int *n;

	if (o->kind == OP_INST_OPEN)
		gn[o->w][o->a] = 0;
	if (o->kind != OP_CTL || o->c != EPOLL_CTL_ADD || o->a >= NINST ||
	    last_ctl_ret != 0)
		return;
	n = &gn[o->w][o->a];
	if (*n < 16)
		gadd[o->w][o->a][(*n)++] = o->b;
	else
		gadd[o->w][o->a][rnd(16)] = o->b;
}

/*
 * Patterns: short coherent sequences that independent random ops rarely
 * build.  Each step is an ordinary op, so replay and minimisation treat
 * them like any other.
 *  PAT_DUP   a split source and its dup in one instance (mostly ET), a
 *            trigger on the source (often itself), small waits: one
 *            wakeup makes several overflow arrivals in one scan.
 *  PAT_NEST  a split source in an inner and an outer instance, the inner
 *            in the outer, a trigger, small waits: the item and the nested
 *            instance arrive on the outer's overflow list in one scan.
 *  PAT_WEB   triggers among a world's split sources, then small waits.
 */
enum { PAT_NONE, PAT_DUP, PAT_NEST, PAT_WEB, PAT_N };

static struct pattern {
	int kind, step, w, k, k2, s;
} pat;

static int free_slot(struct world *w)
{
	int s = rnd(NSLOT);

	for (int i = 0; i < NSLOT; i++)
		if (w->s[(s + i) % NSLOT].type == FT_NONE)
			return (s + i) % NSLOT;
	return s;
}

static void pat_open(struct op *o, struct world *w)
{
	static const uint32_t masks[] = { EPOLLIN, EPOLLIN, EPOLLIN, 0, 0, EPOLLHUP };

	pat.s = free_slot(w);
	o->kind = OP_FILE_OPEN;
	o->a = pat.s;
	o->b = FT_SPLIT;
	o->m1 = masks[rnd(ARRAY_SIZE(masks))];
}

static void pat_add(struct op *o, int k, int tgt, unsigned int et_pct,
		    int idx)
{
	o->kind = OP_CTL;
	o->a = k;
	o->b = tgt;
	o->c = EPOLL_CTL_ADD;
	o->m1 = chance(85) ? EPOLLIN : rnd_mask() | EPOLLIN;
	if (chance(et_pct))
		o->m1 |= EPOLLET;
	else if (chance(10))
		o->m1 |= EPOLLONESHOT;
	o->data = gen_data(idx);
}

static void pat_trig(struct op *o, struct world *w, int s)
{
	int t = open_slot(w, FT_SPLIT);

	o->kind = OP_SRC_TRIG;
	o->a = s;
	o->b = chance(50) || t < 0 ? s : t;
	o->i1 = 1 + rnd(3);
	o->m1 = chance(85) ? SHADOW_EPOLL_SRC_OR : rnd(3);
	o->m2 = chance(80) ? EPOLLIN : rnd_mask() & ~0x4000u;
	o->m3 = chance(50) ? o->m2 : rnd_key(o->m2);
}

static void pat_wait(struct op *o, int k, int max)
{
	o->kind = OP_WAIT;
	o->a = k;
	o->i1 = 1 + rnd(max);
}

/* The next step of the running pattern; false when it is over. */
static bool gen_pattern(struct op *o, int idx)
{
	struct world *w = &W[pat.w];
	int s;

	o->w = pat.w;
	switch (pat.kind * 16 + pat.step++) {
	case PAT_DUP * 16 + 0:
	case PAT_NEST * 16 + 1:
		pat_open(o, w);
		return true;
	case PAT_DUP * 16 + 1:
		o->kind = OP_DUP;
		o->a = pat.s;
		return true;
	case PAT_DUP * 16 + 2:
		pat_add(o, pat.k, pat.s * 3, 70, idx);
		return true;
	case PAT_DUP * 16 + 3:
		pat_add(o, pat.k, pat.s * 3 + 2, 70, idx);
		return true;
	case PAT_DUP * 16 + 4:
	case PAT_NEST * 16 + 5:
		pat_trig(o, w, pat.s);
		return true;
	case PAT_DUP * 16 + 5:
	case PAT_NEST * 16 + 6:
		pat_wait(o, pat.k, 3);
		return true;
	case PAT_DUP * 16 + 6:
	case PAT_NEST * 16 + 7:
	case PAT_WEB * 16 + 4:
		pat_wait(o, pat.k, 4);
		return true;
	case PAT_NEST * 16 + 0:
		if (w->re[pat.k2] >= 0)
			return gen_pattern(o, idx);
		o->kind = OP_INST_OPEN;
		o->a = pat.k2;
		o->b = rnd(2);
		return true;
	case PAT_NEST * 16 + 2:
		pat_add(o, pat.k2, pat.s * 3, 40, idx);
		return true;
	case PAT_NEST * 16 + 3:
		pat_add(o, pat.k, pat.s * 3, 50, idx);
		return true;
	case PAT_NEST * 16 + 4:
		pat_add(o, pat.k, TGT_INST + pat.k2, 50, idx);
		return true;
	case PAT_WEB * 16 + 0:
	case PAT_WEB * 16 + 1:
	case PAT_WEB * 16 + 2:
		s = open_slot(w, FT_SPLIT);
		if (s < 0)
			break;
		pat_trig(o, w, s);
		return true;
	case PAT_WEB * 16 + 3:
		pat_wait(o, pat.k, 2);
		return true;
	}
	pat.kind = PAT_NONE;
	return false;
}

static void pat_start(int wi)
{
	struct world *w = &W[wi];

	/* dup: half of them (its divergences minimise shortest). */
	pat.kind = chance(50) ? PAT_DUP : chance(50) ? PAT_NEST : PAT_WEB;
	pat.step = 0;
	pat.w = wi;
	pat.k = open_inst(w);
	pat.k2 = rnd(NINST - 1);
	if (pat.k2 >= pat.k)
		pat.k2++;
}

/*
 * Which interest set a close checks: rarely all pairs, else one pair that
 * an earlier ADD gave a registration of the slot (or instance) closed.
 */
static int close_check(int wi, int tgt_lo, int tgt_hi)
{
	int c[NINST], n = 0;

	if (chance(10))
		return 0;
	for (int k = 0; k < NINST; k++)
		for (int i = 0; i < gn[wi][k]; i++)
			if (gadd[wi][k][i] >= tgt_lo && gadd[wi][k][i] <= tgt_hi &&
			    W[wi].re[k] >= 0) {
				c[n++] = k;
				break;
			}
	return 1 + (n ? c[rnd(n)] : open_inst(&W[wi]));
}

static void gen_op(struct op *o, int idx)
{
	struct world *w;
	uint32_t p;

	memset(o, 0, sizeof(*o));
	if (pat.kind && gen_pattern(o, idx))
		return;
	memset(o, 0, sizeof(*o));
	p = rnd(1000);
	o->w = rnd(nworlds);
	w = &W[o->w];
	if (pat_permille && w->re[0] >= 0 && w->re[1] >= 0 && rnd(1000) < pat_permille) {
		pat_start(o->w);
		if (gen_pattern(o, idx))
			return;
		memset(o, 0, sizeof(*o));
		o->w = pat.w;
	}

	/* Populate first: a world without instances or files is dull. */
	if (w->re[0] < 0 || w->re[1] < 0) {
		o->kind = OP_INST_OPEN;
		o->a = w->re[0] < 0 ? 0 : 1;
		o->b = rnd(2);
		o->c = chance(20);
		return;
	}
	if (p < 40 || nopen_slots(w) < 2 || (nopen_slots(w) < 5 && chance(30))) {
		static const int tw[] = { FT_EVENTFD, FT_EVENTFD, FT_PIPE, FT_SOCK,
					  FT_SRC, FT_SRC, FT_SPLIT, FT_SPLIT, FT_SPLIT,
					  FT_SPLIT };
		int s = rnd(NSLOT);

		for (int i = 0; i < NSLOT; i++)
			if (w->s[(s + i) % NSLOT].type == FT_NONE) {
				s = (s + i) % NSLOT;
				break;
			}
		o->kind = OP_FILE_OPEN;
		o->a = s;
		o->b = tw[rnd(sizeof(tw) / sizeof(tw[0]))];
		o->m1 = chance(30) ? 0 : chance(50) ? EPOLLIN : rnd_mask() & ~0x4000u;
		return;
	}
	if (p < 75) {
		o->kind = OP_FILE_CLOSE;
		o->a = open_slot(w, 0);
		o->b = chance(70) ? 3 : rnd(3);
		o->e = close_check(o->w, o->a * 3, o->a * 3 + 2);
		return;
	}
	if (p < 90) {
		o->kind = OP_DUP;
		o->a = open_slot(w, 0);
		return;
	}
	if (p < 105) {
		o->kind = OP_INST_OPEN;
		o->a = rnd(NINST);
		o->b = rnd(2);
		o->c = chance(20);
		return;
	}
	if (p < 110) {
		o->kind = OP_INST_CLOSE;
		o->a = 2 + rnd(NINST - 2);
		o->e = close_check(o->w, TGT_INST + o->a, TGT_INST + o->a);
		return;
	}
	if (p < 370) {
		o->kind = OP_CTL;
		o->a = chance(97) ? open_inst(w) : chance(50) ? SEL_BAD :
			SEL_SLOT + open_slot(w, 0);
		switch (rnd(20)) {
		case 0: o->c = chance(50) ? 0 : 4 + rnd(4); break;
		case 1: case 2: case 3: case 4: case 5: o->c = EPOLL_CTL_DEL; break;
		case 6: case 7: case 8: case 9: case 10: o->c = EPOLL_CTL_MOD; break;
		default: o->c = EPOLL_CTL_ADD;
		}
		if (o->c != EPOLL_CTL_ADD && o->a < NINST && gn[o->w][o->a] && chance(75)) {
			/* Mostly a registration that an earlier ADD made. */
			o->b = gadd[o->w][o->a][rnd(gn[o->w][o->a])];
		} else switch (rnd(60)) {
		case 0: o->b = TGT_BAD; break;
		case 1: o->b = TGT_DIR; break;
		case 2: o->b = TGT_OPATH; break;
		case 3: o->b = TGT_SELF; break;
		case 4: case 5: case 6: case 7: case 8:
			o->b = TGT_INST + (chance(90) ? open_inst(w) : (int)rnd(NINST));
			break;
		default: {
			int s = open_slot(w, 0), wh = 0;

			if (chance(25) && (w->s[s].type == FT_PIPE ||
					   w->s[s].type == FT_SOCK))
				wh = 1;
			else if (w->s[s].dup >= 0 && chance(40))
				wh = 2;
			if (slot_fd(&w->s[s], 0, wh) < 0 && chance(90)) {
				for (wh = 0; wh < 2; wh++)
					if (slot_fd(&w->s[s], 0, wh) >= 0)
						break;
			}
			o->b = s * 3 + wh;
		}
		}
		o->d = chance(2);
		o->m1 = rnd_mask();
		if (chance(35))
			o->m1 |= EPOLLET;
		if (chance(20))
			o->m1 |= EPOLLONESHOT;
		if (chance(6)) {
			o->m1 |= EPOLLEXCLUSIVE;
			if (chance(80))
				o->m1 &= EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP |
					 EPOLLET | EPOLLEXCLUSIVE;
		}
		if (rnd(1000) < 3)	/* wakeup sources are slow to create */
			o->m1 |= EPOLLWAKEUP;
		o->data = gen_data(idx);
		return;
	}
	if (p < 590) {
		o->kind = OP_WAIT;
		o->a = chance(98) ? open_inst(w) : chance(50) ? SEL_BAD :
			SEL_SLOT + open_slot(w, 0);
		switch (rnd(50)) {
		case 0: o->i1 = 0; break;
		case 1: o->i1 = -1; break;
		case 2: o->i1 = EP_MAX_EVENTS + 1; break;
		case 3: case 4: case 5: case 6: case 7: case 8:
			o->i1 = 1 + rnd(40);
			break;
		default:
			o->i1 = 1 + rnd(chance(70) ? 4 : 10);
		}
		switch (rnd(40)) {
		case 0: o->b = 1; break;
		case 1: o->b = 3; break;
		case 2: case 3: case 4:
			o->b = 2;
			o->c = o->i1 > 1 ? rnd(o->i1 < 8 ? o->i1 : 8) : 0;
			o->d = chance(30);
			break;
		default:
			o->b = 0;
			if (o->i1 > MAXEV)
				o->i1 = o->i1 == EP_MAX_EVENTS + 1 ? o->i1 : MAXEV;
		}
		o->e = chance(85) ? 0 : 1 + rnd(chance(90) ? 2 : 3);
		return;
	}
	if (p < 620) {
		o->kind = OP_POLL;
		o->a = open_inst(w);
		o->m1 = chance(80) ? POLLIN : rnd_mask() & 0xffff;
		return;
	}
	if (p < 760) {
		int s = open_slot(w, 0);

		o->a = s;
		switch (w->s[s].type) {
		case FT_EVENTFD:
			if (chance(45)) {
				o->kind = OP_EVREAD;
			} else {
				o->kind = OP_EVWRITE;
				o->data = chance(85) ? 1 + rnd(3) : 0xfffffffffffffffeull - rnd(3);
			}
			break;
		case FT_PIPE:
		case FT_SOCK:
			if (w->s[s].type == FT_SOCK && chance(8)) {
				o->kind = OP_SHUTDOWN;
				o->b = rnd(2);
				o->c = rnd(3);
				break;
			}
			o->kind = chance(50) ? OP_READ : OP_WRITE;
			o->b = rnd(2);
			o->i1 = chance(90) ? 1 + rnd(64) : chance(80) ? 4096 : 65536;
			break;
		default:
			goto src;
		}
		return;
	}
	if (p < 900) {
		int s;
src:
		s = chance(60) ? open_slot(w, FT_SPLIT) : open_slot(w, FT_SRC);
		if (s < 0)
			s = open_slot(w, 0);
		o->kind = OP_SRC_SET;
		o->a = s;
		o->m1 = chance(3) ? SHADOW_EPOLL_SRC_POLLFREE : chance(35) ? SHADOW_EPOLL_SRC_SET :
			chance(60) ? SHADOW_EPOLL_SRC_OR : SHADOW_EPOLL_SRC_CLEAR;
		o->m2 = chance(50) ? EPOLLIN : rnd_mask() & ~0x4000u;
		o->m3 = rnd_key(o->m2);
		o->c = chance(10) ? SHADOW_EPOLL_SRC_NOWAKE : chance(10) ? SHADOW_EPOLL_SRC_SYNC : 0;
		return;
	}
	if (p < 960) {
		int s = open_slot(w, FT_SPLIT), t = open_slot(w, FT_SPLIT);

		o->kind = OP_SRC_TRIG;
		o->a = s < 0 ? 0 : s;
		o->b = t < 0 ? 0 : t;
		o->i1 = chance(10) ? 0 : 1 + rnd(3);
		o->m1 = chance(70) ? SHADOW_EPOLL_SRC_OR : rnd(3);
		o->m2 = chance(60) ? EPOLLIN : rnd_mask() & ~0x4000u;
		o->m3 = rnd_key(o->m2);
		o->c = chance(10) ? SHADOW_EPOLL_SRC_NOWAKE : 0;
		return;
	}
	if (p < 975) {
		o->kind = OP_INTEREST;
		o->a = open_inst(w);
		return;
	}
	if (p < 990) {
		o->kind = OP_PROBE;
		o->a = open_inst(w);
		return;
	}
	o->kind = OP_WAIT;
	o->a = open_inst(w);
	o->i1 = 1 + rnd(8);
}

/* ------------------------------------------------------------------ */
/* Replay and minimisation. */

static long replays;

/* Run ops on fresh worlds; index of the first diverging op or -1. */
static int replay(const struct op *ops, int n, bool verbose)
{
	int bad = -1;

	worlds_reset();
	for (int i = 0; i < n; i++) {
		why[0] = 0;
		diverged = false;
		if (verbose)
			print_op(stdout, i, &ops[i]);
		if (!exec_op(&ops[i])) {
			bad = i;
			break;
		}
	}
	worlds_reset();
	replays++;
	return bad;
}

/* Try to keep the divergence with op i replaced by *t. */
static bool try_simpler(struct op *ops, int *n, int i, const struct op *t)
{
	struct op save = ops[i];
	int bad;

	if (!memcmp(&save, t, sizeof(save)))
		return false;
	ops[i] = *t;
	bad = replay(ops, *n, false);
	if (bad >= 0) {
		*n = bad + 1;
		return true;
	}
	ops[i] = save;
	return false;
}

/* The instance a close op checks when simplified: keep what it names. */
static int o_inst(const struct op *o)
{
	return o->e > 0 ? (o->e - 1) % NINST : 0;
}

/* Simplify operands: drop mask bits, flags, odd buffers and wait variants. */
static void simplify(struct op *ops, int *n)
{
	for (int i = 0; i < *n && replays < 20000; i++) {
		struct op t = ops[i];
		uint32_t *masks[3] = { NULL, NULL, NULL };

		switch (t.kind) {
		case OP_CTL:
			/* f3.dup or f3.w -> f3: the dup may go then. */
			if (t.b < NSLOT * 3 && t.b % 3) {
				t.b -= t.b % 3;
				try_simpler(ops, n, i, &t);
				t = ops[i];
			}
			masks[0] = &t.m1;
			break;
		case OP_SRC_SET:
		case OP_SRC_TRIG:
			masks[0] = &t.m2;
			masks[1] = &t.m3;
			t.c = 0;
			try_simpler(ops, n, i, &t);
			t = ops[i];
			t.m3 = 0;
			try_simpler(ops, n, i, &t);
			if (t.kind == OP_SRC_TRIG) {
				t = ops[i];
				t.i1 = 1;
				try_simpler(ops, n, i, &t);
				t = ops[i];
				t.m1 = SHADOW_EPOLL_SRC_OR;
				try_simpler(ops, n, i, &t);
			}
			t = ops[i];
			break;
		case OP_FILE_OPEN:
			masks[0] = &t.m1;
			break;
		case OP_WAIT:
			t.e = 0;
			try_simpler(ops, n, i, &t);
			t = ops[i];
			t.b = 0;
			t.c = t.d = 0;
			try_simpler(ops, n, i, &t);
			break;
		case OP_INST_OPEN:
			t.b = 0;
			t.c = 0;
			try_simpler(ops, n, i, &t);
			break;
		case OP_FILE_CLOSE:
		case OP_INST_CLOSE:
			t.e = 1 + o_inst(&ops[i]);
			try_simpler(ops, n, i, &t);
			break;
		case OP_POLL:
			masks[0] = &t.m1;
			break;
		}
		for (int m = 0; m < 3 && masks[m]; m++) {
			for (int bit = 31; bit >= 0 && i < *n; bit--) {
				size_t off = (char *)masks[m] - (char *)&t;

				t = ops[i];
				masks[m] = (uint32_t *)((char *)&t + off);
				if (!(*masks[m] & (1u << bit)))
					continue;
				*masks[m] &= ~(1u << bit);
				try_simpler(ops, n, i, &t);
			}
			t = ops[i];
		}
	}
}

/* Remove two ops at once (ops that only matter together); small traces. */
static void drop_pairs(struct op *ops, int *n)
{
	static struct op cand[64];

	for (int i = 0; *n <= 24 && i < *n && replays < 20000; i++) {
		for (int j = i + 1; j < *n && replays < 20000; j++) {
			int m = 0, bad;

			for (int x = 0; x < *n; x++)
				if (x != i && x != j)
					cand[m++] = ops[x];
			bad = replay(cand, m, false);
			if (bad >= 0) {
				*n = bad + 1;
				memcpy(ops, cand, *n * sizeof(*ops));
				j = i;
			}
		}
	}
}

/* Fold a source SET/OR into the mask the source was opened with. */
static void fold_sets(struct op *ops, int *n)
{
	static struct op cand[100000];

	for (int j = 1; j < *n && replays < 20000; j++) {
		if (ops[j].kind != OP_SRC_SET || ops[j].m1 > SHADOW_EPOLL_SRC_OR)
			continue;
		for (int i = j - 1; i >= 0; i--) {
			int m = 0, bad;

			if (ops[i].kind != OP_FILE_OPEN || ops[i].w != ops[j].w ||
			    ops[i].a != ops[j].a)
				continue;
			for (int x = 0; x < *n; x++)
				if (x != j)
					cand[m++] = ops[x];
			if (ops[j].m1 == SHADOW_EPOLL_SRC_SET)
				cand[i].m1 = ops[j].m2;
			else
				cand[i].m1 |= ops[j].m2;
			bad = replay(cand, m, false);
			if (bad >= 0) {
				*n = bad + 1;
				memcpy(ops, cand, *n * sizeof(*ops));
				j = 0;
			}
			break;
		}
	}
}

/* Fold a MOD into the ADD it modifies (ADD then MOD -> one ADD). */
static void fold_mods(struct op *ops, int *n)
{
	static struct op cand[100000];

	for (int j = 1; j < *n && replays < 20000; j++) {
		if (ops[j].kind != OP_CTL || ops[j].c != EPOLL_CTL_MOD || ops[j].d)
			continue;
		for (int i = j - 1; i >= 0; i--) {
			int m = 0, bad;

			if (ops[i].kind != OP_CTL || ops[i].w != ops[j].w ||
			    ops[i].a != ops[j].a || ops[i].b != ops[j].b)
				continue;
			if (ops[i].c != EPOLL_CTL_ADD || ops[i].d)
				break;
			for (int x = 0; x < *n; x++)
				if (x != j)
					cand[m++] = ops[x];
			cand[i].m1 = ops[j].m1;
			cand[i].data = ops[j].data;
			bad = replay(cand, m, false);
			if (bad >= 0) {
				*n = bad + 1;
				memcpy(ops, cand, *n * sizeof(*ops));
				j = 0;
			}
			break;
		}
	}
}

static int ddmin(struct op *ops, int n, bool rev);

/* One minimisation pass; rev: delta debugging tries the last chunks first. */
static int minimise_pass(struct op *ops, int n, bool rev)
{
	int before;

	n = ddmin(ops, n, rev);
	do {
		before = n;
		fold_mods(ops, &n);
		fold_sets(ops, &n);
		simplify(ops, &n);
		n = ddmin(ops, n, rev);
		drop_pairs(ops, &n);
	} while (n < before && replays < 20000);
	return n;
}

/*
 * Minimise; a long result (a local minimum) gets a second pass from the
 * original trace that removes ops from the end first, and the shorter wins.
 */
static int minimise(struct op *ops, int n)
{
	static struct op orig[100000];
	int bad, m;

	bad = replay(ops, n, false);
	if (bad < 0)
		return -1;
	memcpy(orig, ops, (bad + 1) * sizeof(*ops));
	n = minimise_pass(ops, bad + 1, false);
	if (n <= 8 || replays >= 20000)
		return n;
	m = minimise_pass(orig, bad + 1, true);
	if (m < n && replay(orig, m, false) >= 0) {
		memcpy(ops, orig, m * sizeof(*ops));
		n = m;
	}
	return n;
}

static int ddmin(struct op *ops, int n, bool rev)
{
	static struct op cand[100000];
	int gran = 2, bad;

	while (n >= 2 && replays < 20000) {
		int chunk = (n + gran - 1) / gran;
		int nchunks = (n + chunk - 1) / chunk;
		bool reduced = false;

		for (int c = 0; c < nchunks; c++) {
			int start = (rev ? nchunks - 1 - c : c) * chunk;
			int m = 0, end = start + chunk < n ? start + chunk : n;

			for (int i = 0; i < n; i++)
				if (i < start || i >= end)
					cand[m++] = ops[i];
			if (!m)
				continue;
			bad = replay(cand, m, false);
			if (bad >= 0) {
				n = bad + 1;
				memcpy(ops, cand, n * sizeof(*ops));
				reduced = true;
				break;
			}
		}
		if (reduced) {
			if (gran > 2)
				gran--;
		} else {
			if (chunk == 1)
				break;
			gran *= 2;
			if (gran > n)
				gran = n;
		}
	}
	return n;
}

/* ------------------------------------------------------------------ */

static double kind_t[OP_NKINDS];
static long kind_n[OP_NKINDS];

static void usage(void)
{
	fprintf(stderr,
		"usage: sep_fuzz [-s SEED] [-n OPS] [-t TRACE_LEN] [-w WORLDS] [-r TRACE_SEED] [-m N] [-P N] [-p] [-q]\n"
		"  -s SEED       master seed (default: time)\n"
		"  -n OPS        total operations (default 100000)\n"
		"  -t TRACE_LEN  ops per trace before the worlds are reset (default 400)\n"
		"  -w WORLDS     worlds per trace, 1..%d (default 2)\n"
		"  -r TRACE_SEED run one trace with this trace seed (as printed on a divergence)\n"
		"  -m MAXDIV     stop after this many divergences (default 1)\n"
		"  -P PERMILLE   pattern starts per 1000 ops (default %u)\n"
		"  -p            profile: time per op kind\n"
		"  -q            quiet: only divergences and the summary\n", MAXW,
		pat_permille);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct op ops[100000];
	uint64_t seed = (uint64_t)time(NULL), tseed = 0;
	long nops = 100000, done = 0, traces = 0, divs = 0, maxdiv = 1;
	int tlen = 400, c;
	bool quiet = false, one = false;
	double t0, t, tmin = 0;

	while ((c = getopt(argc, argv, "s:n:t:w:r:m:P:pqh")) != -1) {
		switch (c) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'n': nops = strtol(optarg, NULL, 0); break;
		case 't': tlen = atoi(optarg); break;
		case 'w': nworlds = atoi(optarg); break;
		case 'r': tseed = strtoull(optarg, NULL, 0); one = true; break;
		case 'm': maxdiv = strtol(optarg, NULL, 0); break;
		case 'q': quiet = true; break;
		case 'p': prof = true; break;
		case 'P': pat_permille = (unsigned int)strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (tlen < 1 || tlen > (int)(sizeof(ops) / sizeof(ops[0])) ||
	    nworlds < 1 || nworlds > MAXW)
		usage();
	if (one)
		nops = tlen;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (shep_gateway() < 0) {
		printf("sep_fuzz: SKIP: %s: %s\n", shep_device_path(), strerror(errno));
		printf("fuzz: 0 ops, 0 traces, 0 divergences\n");
		return 4;
	}
	{
		struct rlimit rl = { FDI_BASE + FDI_MAX, FDI_BASE + FDI_MAX };

		/* Room for the fdinfo files above the private range. */
		if (setrlimit(RLIMIT_NOFILE, &rl)) {
			rl.rlim_cur = FDI_BASE;
			rl.rlim_max = FDI_BASE;
			fdi_n = FDI_MAX;
		}
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0 || getrlimit(RLIMIT_NOFILE, &rl) == 0)
			priv_max = (rl.rlim_cur < FDI_BASE ? (int)rl.rlim_cur : FDI_BASE) - 16;
		if (priv_max < PRIVFD + 64) {
			fprintf(stderr, "sep_fuzz: RLIMIT_NOFILE too small\n");
			return 2;
		}
	}
	dirfd_g = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	opath_g = open("/", O_PATH | O_CLOEXEC);
	fdinfo_dir = open("/proc/self/fdinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int side = 0; side < 2; side++) {
		fault_page[side] = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (fault_page[side] == MAP_FAILED ||
		    mprotect(fault_page[side] + PAGE, PAGE, PROT_NONE)) {
			perror("sep_fuzz: mmap");
			return 2;
		}
	}
	memset(iobuf, 'x', sizeof(iobuf));
	for (int i = 0; i < MAXW; i++)
		world_init(&W[i]);
	if (!quiet)
		printf("sep_fuzz: seed %#" PRIx64 ", %ld ops, trace length %d, %d world(s)\n",
		       seed, nops, tlen, nworlds);

	t0 = shep_now_s();
	while (done < nops && divs < maxdiv) {
		int len = nops - done < tlen ? (int)(nops - done) : tlen, bad = -1;
		uint64_t ts = one ? tseed : mix(seed ^ (0x51ed5eedull * (uint64_t)(traces + 1)));

		rs = ts;
		memset(gn, 0, sizeof(gn));
		pat.kind = PAT_NONE;
		worlds_reset();
		for (int i = 0; i < len; i++) {
			double a;
			bool ok;

			gen_op(&ops[i], i);
			why[0] = 0;
			diverged = false;
			a = prof ? shep_now_s() : 0;
			ok = exec_op(&ops[i]);
			gen_note(&ops[i]);
			if (prof) {
				double dt = shep_now_s() - a;

				kind_t[ops[i].kind] += dt;
				kind_n[ops[i].kind]++;
				if (dt > 0.002) {
					printf("  slow op (%.1f ms):", dt * 1e3);
					print_op(stdout, i, &ops[i]);
				}
			}
			if (!ok) {
				bad = i;
				break;
			}
		}
		worlds_reset();
		traces++;
		done += bad >= 0 ? bad + 1 : len;
		if (one && bad < 0)
			break;
		if (bad >= 0) {
			char first[sizeof(why)];
			double tm = shep_now_s();
			int n;

			divs++;
			memcpy(first, why, sizeof(why));
			printf("DIVERGENCE: seed %#" PRIx64 " trace %ld (trace seed %#" PRIx64
			       ") op %d, after %ld ops, %.2f s\n", seed, traces - 1, ts, bad,
			       done, tm - t0 - tmin);
			print_op(stdout, bad, &ops[bad]);
			fputs(first, stdout);
			{
				struct stats save = st;	/* replays do not count */

				n = minimise(ops, bad + 1);
				st = save;
			}
			if (n < 0) {
				printf("  (not reproducible on replay; full trace follows)\n");
				for (int i = 0; i <= bad; i++)
					print_op(stdout, i, &ops[i]);
			} else {
				printf("minimised trace (%d ops, %ld replays, %.2f s):\n", n,
				       replays, shep_now_s() - tm);
				replay(ops, n, true);
				fputs(why, stdout);
			}
			printf("reproduce: sep_fuzz -r %#" PRIx64 " -t %d -w %d\n", ts, tlen, nworlds);
			tmin += shep_now_s() - tm;
		}
		if (!quiet && traces % 500 == 0) {
			t = shep_now_s() - t0 - tmin;
			printf("  %ld ops, %ld traces, %.1f s, %.0f ops/s\n", done, traces, t,
			       done / (t > 0 ? t : 1));
		}
	}
	t = shep_now_s() - t0 - tmin;
	if (prof)
		for (int k = 0; k < OP_NKINDS; k++)
			printf("  %-12s %8ld ops %8.3f s %7.1f us/op\n", opname[k], kind_n[k],
			       kind_t[k], kind_n[k] ? kind_t[k] * 1e6 / kind_n[k] : 0);
	if (prof)
		printf("  (interest checks: %ld, %.3f s, %.1f us each, %.3f s reading fdinfo)\n",
		       check_n, check_t, check_n ? check_t * 1e6 / check_n : 0, fdi_t);
	if (!quiet) {
		printf("coverage: ctl %ld (%ld ok), wait %ld (%ld returned events, %ld events, "
		       "%ld filled maxevents), ready probes %ld (%ld items); errnos:",
		       st.ctl, st.ctl_ok, st.wait, st.wait_pos, st.wait_ev, st.wait_full,
		       st.probe, st.probe_ev);
		for (int e = 1; e < 160; e++)
			if (st.err[e])
				printf(" %s=%ld", strerrorname_np(e), st.err[e]);
		printf("\n");
	}
	printf("fuzz: seed %#" PRIx64 ": %.1f s fuzzing (+%.1f s minimising), %.0f ops/s\n",
	       seed, t, tmin, done / (t > 0 ? t : 1e-9));
	printf("fuzz: %ld ops, %ld traces, %ld divergences\n", done, traces, divs);
	return divs ? 1 : 0;
}
