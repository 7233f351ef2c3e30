// SPDX-License-Identifier: GPL-2.0-only
/*
 * sep-conform-gen: write epoll trace programs (docs/conform-format.md,
 * without results) for sep-conform --record.
 *
 *   sep-conform-gen [--seed S] [-n N] [--during N] [--sep FILE.sep...]
 *
 * -n N generated traces from seed S (deterministic: trace i uses the
 * seed mix(S, i)), after the translated scenarios of the --sep files;
 * then --during N traces of events during a paused scan (own seeds).
 * The generator follows sep_fuzz's ideas (weighted random ops over a small
 * pool of files and instances, short patterns that put many items on the
 * ready list against a short maxevents, faulting buffers, nested
 * instances), restricted to files any Linux ABI offers: eventfd, pipe,
 * unix socketpairs, TCP and UDP on loopback, timerfd, signalfd, epoll.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- random numbers ------------------------------------------------------- */

static uint64_t rs;

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint32_t rnd(uint32_t n)
{
	rs = mix(rs);
	return n ? (uint32_t)(rs % n) : 0;
}

static bool chance(unsigned int pct)
{
	return rnd(100) < pct;
}

/* ---- a trace being built --------------------------------------------------- */

enum fk { F_EVENTFD, F_PIPE, F_UNIX, F_UNIXDG, F_SEQP, F_TCP, F_UDP, F_TIMER,
	  F_SIGNAL, F_NK };

struct file {
	char name[16];
	enum fk kind;
	bool dead, writable, full, peer_dead, frozen, is_peer;
};

#define MAXF 24
#define MAXE 16

static struct file files[MAXF];
static int nf, ne, nops, data_next;
static char eps[MAXE][8];
static bool ep_dead[MAXE];
static char out[1 << 16];
static size_t outl;

static void emit(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	outl += vsnprintf(out + outl, sizeof(out) - outl, fmt, ap);
	va_end(ap);
	outl += snprintf(out + outl, sizeof(out) - outl, "\n");
	nops++;
}

static void begin(void)
{
	nf = ne = nops = 0;
	data_next = 1;
	outl = 0;
	out[0] = 0;
}

static const char *new_ep(void)
{
	snprintf(eps[ne], sizeof(eps[ne]), "E%d", ne);
	ep_dead[ne] = false;
	emit("epoll %s%s", eps[ne], chance(20) ? " cloexec" : "");
	return eps[ne++];
}

static int add_file_named(enum fk k, const char *sfx, bool is_peer, int base)
{
	struct file *f = &files[nf];

	memset(f, 0, sizeof(*f));
	if (base >= 0) {
		char b[16];

		memcpy(b, files[base].name, sizeof(b));
		snprintf(f->name, sizeof(f->name), "%s%s", b, sfx);
	}
	else
		snprintf(f->name, sizeof(f->name), "%c%d", "FPSDQTUMG"[k], nf);
	f->kind = k;
	f->is_peer = is_peer;
	return nf++;
}

static const char *const sigs[] = { "usr1", "usr2", "rt1", "rt2" };

/* Make a file (and its peer, if any).  Returns the index of the main end. */
static int new_file(enum fk k)
{
	int i;

	if (nf + 2 > MAXF)
		return rnd(nf);
	i = add_file_named(k, "", false, -1);
	switch (k) {
	case F_EVENTFD:
		if (chance(20))
			emit("eventfd %s init=%u%s", files[i].name, 1 + rnd(3),
			     chance(30) ? " sem" : "");
		else
			emit("eventfd %s%s", files[i].name, chance(15) ? " sem" : "");
		break;
	case F_PIPE:
		emit("pipe %s", files[i].name);
		add_file_named(k, ".w", true, i);
		break;
	case F_UNIX:
	case F_UNIXDG:
	case F_SEQP:
		emit("socketpair %s%s", files[i].name,
		     k == F_UNIXDG ? " dgram" : k == F_SEQP ? " seqpacket" : "");
		add_file_named(k, ".peer", true, i);
		break;
	case F_TCP:
		emit("tcp %s", files[i].name);
		add_file_named(k, ".peer", true, i);
		break;
	case F_UDP:
		emit("udp %s", files[i].name);
		add_file_named(k, ".peer", true, i);
		break;
	case F_TIMER:
		emit("timerfd %s", files[i].name);
		break;
	case F_SIGNAL:
		emit("signalfd %s %s", files[i].name, sigs[rnd(4)]);
		break;
	default:
		break;
	}
	return i;
}

static bool has_peer(enum fk k)
{
	return k >= F_PIPE && k <= F_UDP;
}

static int peer_of(int i)
{
	if (!has_peer(files[i].kind))
		return -1;
	return files[i].is_peer ? i - 1 : i + 1;
}

static enum fk any_kind(void)
{
	static const enum fk w[] = {
		F_EVENTFD, F_EVENTFD, F_EVENTFD, F_EVENTFD, F_PIPE, F_PIPE,
		F_UNIX, F_UNIX, F_UNIXDG, F_SEQP, F_TCP, F_TCP, F_UDP, F_TIMER,
		F_SIGNAL,
	};
	return w[rnd(sizeof(w) / sizeof(w[0]))];
}

static const char *mask(enum fk k)
{
	static const char *const m[] = {
		"in", "in", "in", "in", "in|out", "out", "in|rdhup", "in|pri",
		"in|out|rdhup|pri|err|hup", "0", "rdnorm|wrnorm", "in|et",
	};

	const char *r;

	if (k == F_EVENTFD && chance(70))
		return "in";
	r = m[rnd(sizeof(m) / sizeof(m[0]))];
	return k == F_TCP && strstr(r, "et") ? "in" : r;
}

static const char *mode(unsigned int et, unsigned int oneshot)
{
	bool e = chance(et), o = chance(oneshot);

	return e && o ? "|et|oneshot" : e ? "|et" : o ? "|oneshot" : "";
}

static int live_file(void)
{
	int i, tries;

	for (tries = 0; tries < 32 && nf; tries++) {
		i = rnd(nf);
		if (!files[i].dead)
			return i;
	}
	return -1;
}

/* "make it readable": the writer is the peer (pipe: the write end). */
static void wr(int i)
{
	struct file *f = &files[i];
	int p = peer_of(i);

	if (i < 0 || f->dead || f->frozen || f->kind == F_NK)
		return;
	if (f->kind == F_PIPE && f->is_peer)
		return;
	if (p >= 0 && (files[p].dead || files[p].full || files[p].frozen))
		return;
	if (f->kind == F_EVENTFD)
		emit("write %s%s", f->name, chance(20) ? " 3" : "");
	else if (p >= 0)
		emit("write %s %u", f->name, 1 + rnd(64));
	else
		emit("write %s", f->name);
}

static void rd(int i)
{
	struct file *f = &files[i];
	int p = peer_of(i);

	if (i < 0 || f->dead || (f->kind == F_PIPE && f->is_peer))
		return;
	emit("read %s", f->name);
	if (p >= 0)
		files[p].full = false;
}

static void ctl_add(const char *ep, int i, unsigned int et, unsigned int os)
{
	const char *m = mask(files[i].kind);

	if (files[i].kind == F_TCP)	/* ACKs wake a TCP socket at any time */
		et = os = 0;
	emit("ctl %s add %s %s%s %d", ep, files[i].name, m, mode(et, os),
	     data_next++);
}

static void ctl_mod(const char *ep, int i)
{
	bool tcp = files[i].kind == F_TCP;

	emit("ctl %s mod %s %s%s %d", ep, files[i].name, mask(files[i].kind),
	     mode(tcp ? 0 : 30, tcp ? 0 : 30), data_next++);
}

static void wait_(const char *ep, int max)
{
	static const char *const v[] = { "", "", "", " pwait", " pwait2" };

	emit("wait %s %d 0%s", ep, max, v[rnd(5)]);
}

/* ---- patterns ------------------------------------------------------------------ */

/* Many ready items against a short maxevents (round robin, ET, ONESHOT). */
static void p_ordering(bool et_heavy, int nitems)
{
	const char *e = new_ep();
	int idx[12], i, n = nitems, steps;

	for (i = 0; i < n; i++) {
		idx[i] = new_file(chance(70) ? F_EVENTFD : any_kind());
		if (chance(80))
			wr(idx[i]);
		ctl_add(e, idx[i], et_heavy ? 50 : 15, et_heavy ? 40 : 10);
		if (chance(20))
			wr(idx[i]);
	}
	steps = 3 + rnd(6);
	while (steps--) {
		wait_(e, 1 + rnd(4));
		if (chance(30))
			wr(idx[rnd(n)]);
		if (chance(15))
			rd(idx[rnd(n)]);
		if (chance(15))
			ctl_mod(e, idx[rnd(n)]);
	}
}

static void p_efault(void)
{
	const char *e = new_ep();
	int n = 2 + rnd(4), i, k;

	for (i = 0; i < n; i++) {
		int f = new_file(chance(70) ? F_EVENTFD : any_kind());

		wr(f);
		ctl_add(e, f, 20, 20);
	}
	for (k = 0; k < 2 + (int)rnd(2); k++) {
		switch (rnd(6)) {
		case 0:
		case 1:
			emit("wait %s %d 0 buf=fault@%u", e, 2 + rnd(4), rnd(4));
			break;
		case 2:
			emit("wait %s %d 0 buf=straddle@%u", e, 2 + rnd(4), rnd(3));
			break;
		case 3:
			emit("wait %s 4 0 buf=%s", e, chance(50) ? "null" : "kernel");
			break;
		case 4:
			emit("ctl %s %s %s in %d ev=%s", e, chance(50) ? "add" : "mod",
			     files[rnd(nf)].name, data_next++,
			     chance(50) ? "fault" : "null");
			break;
		default:
			wait_(e, 1 + rnd(3));
		}
	}
	wait_(e, 8);
}

static void p_errno(void)
{
	const char *e = new_ep();
	int steps = 6 + rnd(8), f = new_file(F_EVENTFD), g;

	if (chance(50))
		wr(f);
	while (steps--) {
		switch (rnd(18)) {
		case 0:
			ctl_add(e, f, 20, 20);
			break;
		case 1:
			emit("ctl %s add %s in|excl%s %d", e, files[f].name,
			     chance(50) ? "|oneshot" : chance(50) ? "|rdhup" : "",
			     data_next++);
			break;
		case 2:
			ctl_mod(e, f);
			break;
		case 3:
			emit("ctl %s del %s%s", e, files[f].name, chance(20) ? " ev=null" : "");
			break;
		case 4:
			emit("ctl %s add %s in %d", e, e, data_next++);
			break;
		case 5:
			emit("memfd M%d", nf);
			emit("ctl %s add M%d in %d", e, nf, data_next++);
			nf += 0;
			break;
		case 6:
			emit("ctl %s add badfd in 1", e);
			break;
		case 7:
			emit("ctl badfd add %s in 1", files[f].name);
			break;
		case 8:
			emit("ctl %s %u %s in 1", files[f].name, 1 + rnd(3), files[f].name);
			break;
		case 9:
			emit("ctl %s %d %s in 1", e, chance(50) ? 0 : 4 + (int)rnd(3),
			     files[f].name);
			break;
		case 10:
			emit("wait %s %d 0", e, chance(50) ? 0 : -1 - (int)rnd(2));
			break;
		case 11:
			emit("wait %s %s 0", e, chance(50) ? "178956971" : "178956970");
			break;
		case 12:
			emit("wait %s 4 0", chance(50) ? "badfd" : files[f].name);
			break;
		case 13:
			emit("epoll X%d flags=%s", ne++, chance(50) ? "1" : "0x80001");
			break;
		case 14:
			emit("epoll X%d size=%d", ne++, (int)rnd(3) - 1);
			break;
		case 15:
			g = new_file(any_kind());
			ctl_add(e, g, 20, 20);
			if (chance(50))
				emit("ctl %s mod %s in|excl %d", e, files[g].name, data_next++);
			break;
		case 16:
			emit("ctl %s add %s %s %d", e, files[f].name,
			     chance(50) ? "in|wakeup" : "0x40000000", data_next++);
			break;
		default:
			wait_(e, 4);
		}
	}
	wait_(e, 4);
}

static void p_nesting(void)
{
	int depth = 1 + rnd(3), i, steps;
	int leaf[6], nl = 0;
	const char *outer;

	for (i = 0; i <= depth; i++)
		new_ep();
	for (i = 0; i < depth; i++) {	/* E0 inside E1 inside ... */
		int n = 1 + rnd(2), j;

		for (j = 0; j < n && nl < 6; j++) {
			leaf[nl] = new_file(chance(60) ? F_EVENTFD : any_kind());
			ctl_add(eps[i], leaf[nl], 25, 15);
			nl++;
		}
		emit("ctl %s add %s in%s %d", eps[i + 1], eps[i],
		     mode(30, 15), data_next++);
	}
	outer = eps[depth];
	steps = 4 + rnd(6);
	while (steps--) {
		switch (rnd(9)) {
		case 0:
		case 1:
		case 2:
			wr(leaf[rnd(nl)]);
			break;
		case 3:
			rd(leaf[rnd(nl)]);
			break;
		case 4:
			emit("ctl %s add %s in %d", eps[0], eps[rnd(depth + 1)],
			     data_next++);
			break;
		case 5:
			wait_(eps[rnd(depth)], 1 + rnd(3));
			break;
		default:
			wait_(outer, 1 + rnd(3));
		}
	}
	if (chance(30)) {		/* a chain deeper than the limit */
		for (i = 0; i < 5; i++) {
			new_ep();
			emit("ctl %s add %s in %d", eps[ne - 1], eps[ne - 2],
			     data_next++);
		}
	}
	wait_(outer, 4);
}

static void p_close(void)
{
	const char *e = new_ep();
	int n = 2 + rnd(3), i, f[5], steps = 4 + rnd(6);
	int dups = 0;

	for (i = 0; i < n; i++) {
		f[i] = new_file(chance(60) ? F_EVENTFD : any_kind());
		wr(f[i]);
		ctl_add(e, f[i], 20, 10);
	}
	while (steps--) {
		int j = rnd(n), p;

		if (files[f[j]].dead)
			continue;
		switch (rnd(7)) {
		case 0:
			if (nf + 1 < MAXF) {
				char dn[16];

				snprintf(dn, sizeof(dn), "%s_%d", files[f[j]].name, dups++);
				emit("dup %s %s", files[f[j]].name, dn);
				files[nf] = files[f[j]];
				snprintf(files[nf].name, sizeof(files[nf].name), "%s", dn);
				files[nf].kind = F_EVENTFD == files[f[j]].kind ? F_EVENTFD : F_NK;
				if (chance(60))
					ctl_add(e, nf, 20, 10);
				nf++;
			}
			break;
		case 1:
			emit("close %s", files[f[j]].name);
			files[f[j]].dead = true;
			break;
		case 2:
			p = peer_of(f[j]);
			if (p >= 0 && !files[p].dead) {
				emit("hangup %s", files[f[j]].name);
				files[p].dead = true;
				files[f[j]].peer_dead = true;
				files[f[j]].frozen = true;
			}
			break;
		case 3:
			emit("ctl %s del %s", e, files[f[j]].name);
			break;
		case 4:
			wr(f[j]);
			break;
		default:
			wait_(e, 1 + rnd(4));
		}
	}
	if (chance(30)) {
		emit("close %s", e);
		emit("wait %s 4 0", e);
	} else {
		wait_(e, 8);
	}
}

static void p_files(void)
{
	const char *e = new_ep();
	int n = 1 + rnd(3), i, f[4], steps = 5 + rnd(6);

	for (i = 0; i < n; i++) {
		f[i] = new_file(any_kind());
		if (chance(30) && peer_of(f[i]) >= 0 && files[f[i]].kind != F_PIPE)
			ctl_add(e, peer_of(f[i]), 20, 10);
		ctl_add(e, f[i], 20, 10);
	}
	if (chance(30) && files[f[0]].kind == F_PIPE)
		ctl_add(e, f[0] + 1, 20, 10);	/* the write end */
	while (steps--) {
		int j = f[rnd(n)], p = peer_of(j);
		enum fk k = files[j].kind;

		switch (rnd(8)) {
		case 0:
		case 1:
			wr(j);
			break;
		case 2:
			rd(j);
			break;
		case 3:
			if (p >= 0 && !files[p].dead && !files[j].frozen &&
			    (k == F_PIPE || k == F_UNIX || k == F_SEQP)) {
				int w = k == F_PIPE ? j + 1 : j;

				if (!files[w].dead && !files[w].frozen) {
					emit("fill %s", files[w].name);
					files[w].full = true;
				}
			}
			break;
		case 4:
			if (p >= 0 && !files[p].dead && !files[j].frozen) {
				emit("hangup %s", files[j].name);
				files[p].dead = true;
				files[j].frozen = true;
			}
			break;
		case 5:
			if ((k == F_UNIX || k == F_SEQP) && p >= 0 &&
			    !files[j].frozen && !files[p].dead) {
				emit("shutdown %s %s", files[j].name,
				     chance(50) ? "wr" : chance(50) ? "rd" : "rdwr");
				files[j].frozen = files[p].frozen = true;
			}
			break;
		default:
			wait_(e, 1 + rnd(4));
		}
	}
	wait_(e, 8);
}

static void p_timeouts(void)
{
	const char *e = new_ep();
	int t = new_file(F_TIMER), f = new_file(F_EVENTFD);

	emit("ctl %s add %s in%s %d", e, files[t].name, mode(30, 20), data_next++);
	emit("ctl %s add %s in %d", e, files[f].name, data_next++);
	switch (rnd(4)) {
	case 0:
		emit("wait %s 4 10", e);
		emit("wait %s 4 5 pwait2", e);
		break;
	case 1:
		emit("timer %s 20", files[t].name);
		emit("wait %s 4 5000%s", e, chance(50) ? " pwait2" : "");
		break;
	case 2:
		wr(f);
		emit("wait %s 4 5000", e);
		emit("wait %s 4 1 pwait", e);
		break;
	default:
		emit("timer %s 15", files[t].name);
		emit("wait %s 4 -1%s", e, chance(50) ? " pwait2" : "");
		emit("wait %s 4 0", e);
	}
}

static void p_mixed(void)
{
	int steps = 10 + rnd(14), i;

	new_ep();
	if (chance(40))
		new_ep();
	for (i = 0; i < 3; i++)
		new_file(any_kind());
	while (steps--) {
		int j = live_file();
		const char *e = eps[rnd(ne)];

		if (j < 0)
			break;
		switch (rnd(12)) {
		case 0:
			new_file(any_kind());
			break;
		case 1:
		case 2:
			ctl_add(e, j, 25, 15);
			break;
		case 3:
			ctl_mod(e, j);
			break;
		case 4:
			emit("ctl %s del %s", e, files[j].name);
			break;
		case 5:
		case 6:
			wr(j);
			break;
		case 7:
			rd(j);
			break;
		case 8:
			if (ne > 1)
				emit("ctl %s add %s in%s %d", eps[0], eps[1],
				     mode(30, 10), data_next++);
			break;
		default:
			wait_(e, 1 + rnd(5));
		}
	}
	wait_(eps[0], 8);
}

/*
 * Events during a scan (area during-scan, spec §2.4 and §2.5 (g)): a wait
 * whose copy of slot K is held by userfaultfd (buf=uffd@K) while other
 * files are signalled (during=...): new items, items already delivered,
 * items still pending on the scan's list, the one being copied; sometimes
 * one of them is read instead, or is a nested epoll signalled through its
 * leaf.  Modes all LT, all ET, all ONESHOT or mixed.
 */
struct sitem {
	char name[16];		/* what the instance watches */
	char trig[16];		/* what "signal it" writes (a nest: its leaf) */
	int f;			/* files[] index of trig */
	bool late;		/* made ready after all adds */
};

static const char *scan_mode(int fam)
{
	static const char *const m[] = { "", "|et", "|oneshot", "|et|oneshot" };

	return fam < 3 ? m[fam] : m[rnd(4)];
}

static void scan_item(const char *e, struct sitem *it, int fam, bool ready)
{
	static const enum fk k[] = {
		F_EVENTFD, F_EVENTFD, F_EVENTFD, F_EVENTFD, F_EVENTFD, F_EVENTFD,
		F_EVENTFD, F_PIPE, F_UNIX, F_UNIXDG,
	};

	if (ne + 1 < MAXE && chance(12)) {	/* a nested epoll and its leaf */
		snprintf(it->name, sizeof(it->name), "%s", new_ep());
		it->f = new_file(F_EVENTFD);
		emit("ctl %s add %s in %d", it->name, files[it->f].name, data_next++);
	} else {
		it->f = new_file(k[rnd(sizeof(k) / sizeof(k[0]))]);
		snprintf(it->name, sizeof(it->name), "%s", files[it->f].name);
	}
	snprintf(it->trig, sizeof(it->trig), "%s", files[it->f].name);
	it->late = ready && chance(40);
	if (ready && !it->late)
		wr(it->f);
	emit("ctl %s add %s in%s %d", e, it->name, scan_mode(fam), data_next++);
}

static void scan_paused_wait(const char *e, const struct sitem *it, int n,
			     int nready)
{
	static const char *const v[] = { "", "", " pwait", " pwait2" };
	int max = 1 + rnd(nready + 1), k, ns = 1 + rnd(4), j;
	char steps[256];
	size_t l = 0;

	/* slot K on the paused page: one the scan reaches, now and then not */
	k = chance(8) ? max : (int)rnd(max < nready ? max : nready);
	for (j = 0; j < ns; j++) {
		const struct sitem *x = &it[rnd(n)];

		l += snprintf(steps + l, sizeof(steps) - l, "%s%s%s", j ? "," : "",
			      chance(12) ? "read:" : "", x->trig);
	}
	emit("wait %s %d 0%s buf=uffd@%d during=%s", e, max, v[rnd(4)], k, steps);
}

static void p_during_scan(void)
{
	const char *e = new_ep();
	int fam = rnd(4), nready = 2 + rnd(5), n = nready + rnd(3), i, rounds;
	struct sitem it[8];

	for (i = 0; i < n; i++)
		scan_item(e, &it[i], fam, i < nready);
	for (i = 0; i < n; i++)		/* ready through the callback */
		if (it[i].late)
			wr(it[i].f);
	if (chance(25))
		wait_(e, 1 + rnd(3));
	rounds = chance(30) ? 2 : 1;
	while (rounds--) {
		scan_paused_wait(e, it, n, nready);
		if (chance(40))
			wait_(e, 1 + rnd(3));
	}
	if (fam && chance(40))
		emit("ctl %s mod %s in%s %d", e, it[rnd(n)].name, scan_mode(fam),
		     data_next++);
	wait_(e, 8);
}

static int gen_one(unsigned int i, const char **area)
{
	unsigned int k = rnd(100);

	begin();
	if (k < 20) {
		*area = "ordering";
		p_ordering(false, 2 + rnd(7));
	} else if (k < 30) {
		*area = "ordering,oneshot-et";
		p_ordering(true, 2 + rnd(7));
	} else if (k < 40) {
		*area = "maxevents,ordering";
		p_ordering(chance(50), 6 + rnd(6));
	} else if (k < 52) {
		*area = "efault";
		p_efault();
	} else if (k < 64) {
		*area = "errno";
		p_errno();
	} else if (k < 76) {
		*area = "nesting";
		p_nesting();
	} else if (k < 84) {
		*area = "close";
		p_close();
	} else if (k < 94) {
		*area = "files";
		p_files();
	} else if (k < 96 && i % 3 == 0) {
		*area = "timeouts";
		p_timeouts();
	} else {
		*area = "mixed";
		p_mixed();
	}
	return 0;
}

/* ---- tools/scenarios, translated ------------------------------------ */

static const char *sep_area(const char *path)
{
	const char *b = strrchr(path, '/');
	static const char *const a[] = {
		"ordering", "ordering,oneshot-et", "oneshot-et",
		"ordering,oneshot-et", "ordering", "efault", "ordering",
		"maxevents,ordering", "files,close", "errno,timeouts",
	};
	char c = b ? b[1] : path[0];

	return c >= 'a' && c <= 'j' ? a[c - 'a'] : "scenario";
}

struct sc {
	char name[64];
	char names[32][16];
	int nn;
	bool bad;
};

static int sep_data(struct sc *s, const char *n)
{
	int i;

	for (i = 0; i < s->nn; i++)
		if (!strcmp(s->names[i], n))
			return i + 1;
	if (s->nn < 32)
		snprintf(s->names[s->nn++], 16, "%s", n);
	return s->nn;
}

static void plus_to_bar(char *s)
{
	for (; *s; s++)
		if (*s == '+')
			*s = '|';
}

static void sep_flush(struct sc *s, const char *path, int *ntr, int *nskip)
{
	if (!s->name[0] || !nops)
		return;
	if (s->bad) {
		fprintf(stderr, "sep-conform-gen: %s: %s uses synthetic sources: skipped\n",
			path, s->name);
		(*nskip)++;
		return;
	}
	printf("trace scn-%s area=%s from=%s\n%send\n", s->name, sep_area(path),
	       path + (strncmp(path, "./", 2) ? 0 : 2), out);
	(*ntr)++;
}

static bool is_kind(const char *k)
{
	return !strcmp(k, "eventfd") || !strcmp(k, "pipe") ||
	       !strcmp(k, "socketpair") || !strcmp(k, "source");
}

static void sep_ctl(struct sc *s, char **t, int n, const char *op)
{
	char m[128];
	int o = 2;

	if (n > 2 && is_kind(t[2])) {
		if (!strcmp(t[2], "source"))
			s->bad = true;
		else
			emit("%s %s", t[2], t[1]);
		o = 3;
	}
	if (n < o + 2)
		return;
	snprintf(m, sizeof(m), "%s|%s", t[o + 1], t[o]);
	plus_to_bar(m);
	{
		char *p = strstr(m, "lt"), clean[128];
		size_t l = 0;
		char *tok, *save = NULL;

		(void)p;
		clean[0] = 0;
		for (tok = strtok_r(m, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
			if (!strcmp(tok, "lt"))
				continue;
			l += snprintf(clean + l, sizeof(clean) - l, "%s%s",
				      l ? "|" : "", tok);
		}
		emit("ctl ep %s %s %s %s", op, t[1], l ? clean : "0",
		     n > o + 2 ? t[o + 2] : "");
		if (n <= o + 2) {	/* default data: the name's number */
			outl--;
			outl += snprintf(out + outl, sizeof(out) - outl, "%d\n",
					 sep_data(s, t[1]));
		}
	}
}

static void sep_file(const char *path, int *ntr, int *nskip)
{
	FILE *f = fopen(path, "r");
	char line[512], *t[16];
	struct sc s;
	const char *b;

	if (!f) {
		perror(path);
		exit(2);
	}
	memset(&s, 0, sizeof(s));
	b = strrchr(path, '/');
	snprintf(s.name, sizeof(s.name), "%.*s", (int)strcspn(b ? b + 1 : path, "."),
		 b ? b + 1 : path);
	begin();
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, '#'), *save = NULL, *p;
		int n = 0;

		if (c)
			*c = 0;
		for (p = strtok_r(line, " \t\n", &save); p && n < 15;
		     p = strtok_r(NULL, " \t\n", &save))
			t[n++] = p;
		if (!n)
			continue;
		if (!strcmp(t[0], "scenario") && n > 1) {
			sep_flush(&s, path, ntr, nskip);
			memset(&s, 0, sizeof(s));
			snprintf(s.name, sizeof(s.name), "%s", t[1]);
			begin();
		} else if (!strcmp(t[0], "create")) {
			if (n > 1 && strcmp(t[1], "cloexec"))
				emit("epoll ep flags=%s", t[1]);
			else
				emit("epoll ep%s", n > 1 ? " cloexec" : "");
		} else if (!strcmp(t[0], "open") && n > 2) {
			if (!strcmp(t[2], "source"))
				s.bad = true;
			else
				emit("%s %s", t[2], t[1]);
		} else if (!strcmp(t[0], "add")) {
			sep_ctl(&s, t, n, "add");
		} else if (!strcmp(t[0], "mod")) {
			sep_ctl(&s, t, n, "mod");
		} else if (!strcmp(t[0], "del") && n > 1) {
			emit("ctl ep del %s", t[1]);
		} else if (!strcmp(t[0], "write") || !strcmp(t[0], "read") ||
			   !strcmp(t[0], "hangup") || !strcmp(t[0], "close")) {
			if (n > 2)
				emit("%s %s %s", t[0], t[1], t[2]);
			else
				emit("%s %s", t[0], t[1]);
		} else if (!strcmp(t[0], "dup") && n > 3) {
			emit("dup %s %s", t[1], t[3]);
		} else if (!strcmp(t[0], "wait") && n > 2) {
			char extra[64] = "";
			int i;

			for (i = 3; i < n; i++) {
				size_t l = strlen(extra);

				if (!strncmp(t[i], "fault=", 6) || !strncmp(t[i], "straddle=", 9)) {
					char *eq = strchr(t[i], '=');

					snprintf(extra + l, sizeof(extra) - l, " buf=%.*s@%s",
						 (int)(eq - t[i]), t[i], eq + 1);
				} else {
					snprintf(extra + l, sizeof(extra) - l, " %s", t[i]);
				}
			}
			emit("wait ep %s %s%s", t[1], t[2], extra);
		} else if (!strcmp(t[0], "expect") || !strcmp(t[0], "expect-ready") ||
			   !strcmp(t[0], "ready") || !strcmp(t[0], "interest")) {
			continue;
		} else {
			s.bad = true;	/* source commands */
		}
	}
	sep_flush(&s, path, ntr, nskip);
	fclose(f);
}

int main(int argc, char **argv)
{
	unsigned long long seed = 1;
	int n = 0, nd = 0, i, ntr = 0, nskip = 0;
	bool sep = false;

	printf("# sep-conform trace programs (no results): sep-conform --record\n");
	printf("sep-conform 2\n");
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			seed = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			n = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--during") && i + 1 < argc) {
			nd = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--sep")) {
			sep = true;
		} else if (sep) {
			sep_file(argv[i], &ntr, &nskip);
		} else {
			fprintf(stderr, "usage: sep-conform-gen [--seed S] [-n N] [--during N] [--sep FILE...]\n");
			return 2;
		}
	}
	for (i = 0; i < n; i++) {
		const char *area;

		rs = mix(seed * 1000003ULL + i);
		gen_one(i, &area);
		printf("trace gen-%llu-%04d area=%s\n%send\n", seed, i, area, out);
	}
	for (i = 0; i < nd; i++) {	/* own seeds: the traces above stay as they were */
		rs = mix(seed * 1000003ULL + 0x5ca40000ULL + i);
		begin();
		p_during_scan();
		printf("trace scan-%llu-%04d area=during-scan\n%send\n", seed, i, out);
	}
	fprintf(stderr, "sep-conform-gen: %d scenario traces (%d skipped), %d generated, %d during a scan\n",
		ntr, nskip, n, nd);
	return 0;
}
