// SPDX-License-Identifier: GPL-2.0-only
/*
 * sep-conform: replay an epoll conformance corpus recorded on real kernels
 * against whatever implements the epoll syscalls where it runs.
 *
 *   sep-conform [--kernel 6.1|6.12|7.3] [--area A] [--trace NAME] [--list]
 *               [--time-budget S] [--corpus FILE] [-q]
 *   sep-conform --record FILE...     (writes a golden corpus to stdout)
 *
 * The corpus format is docs/conform-format.md.  Every call's result is a
 * canonical string ("= RET [EVENTS...] [dirty=...] [order ...]"); replay
 * compares strings.  No module and no library: the epoll calls go through
 * libc, so the dynamic variant can run under an LD_PRELOAD shim.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
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
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FORMAT_VERSION	2	/* reads 1 and 2; 2 added buf=uffd@K during= */
#define MAXOBJ		128
#define MAXTOK		16
#define EVSZ		((int)sizeof(struct epoll_event))
#define BUFSLOTS	1024
#define PAGE		4096
#define BADFD		9999
#define PROBE_MAX	64
#define RESLEN		4096

/* ---- corpus in memory -------------------------------------------------- */

struct op {
	char *line;		/* the op as written */
	char *expect;		/* expected result (after "= "), NULL if none */
};

struct trace {
	char *name, *areas, *from;
	struct op *ops;
	int nops, cap;
	bool has_signal;
};

struct corpus {
	char *kernel, *line;
	struct trace *t;
	int n, cap;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		perror("realloc");
		exit(2);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		perror("strdup");
		exit(2);
	}
	return d;
}

static char *attr(const char *line, const char *key)
{
	char buf[64];
	const char *p;
	size_t n;

	snprintf(buf, sizeof(buf), " %s=", key);
	p = strstr(line, buf);
	if (!p)
		return NULL;
	p += strlen(buf);
	n = strcspn(p, " \t");
	return strndup(p, n);
}

/* Parse a corpus (or a file of trace programs: "=" lines then absent). */
static int parse_corpus(char *text, const char *src, struct corpus *c)
{
	struct trace *t = NULL;
	char *line, *save = NULL;
	int ln = 0;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t l = strlen(line);

		ln++;
		while (l && (line[l - 1] == ' ' || line[l - 1] == '\r'))
			line[--l] = 0;
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		if (!strncmp(line, "sep-conform ", 12)) {
			if (atoi(line + 12) < 1 || atoi(line + 12) > FORMAT_VERSION) {
				fprintf(stderr, "%s:%d: format %s, this is %d\n",
					src, ln, line + 12, FORMAT_VERSION);
				return -1;
			}
		} else if (!strncmp(line, "kernel ", 7) && !t) {
			c->kernel = xstrdup(line + 7);
		} else if (!strncmp(line, "line ", 5) && !t) {
			c->line = xstrdup(line + 5);
		} else if (!strncmp(line, "trace ", 6)) {
			char name[128];

			if (c->n == c->cap) {
				c->cap = c->cap ? 2 * c->cap : 256;
				c->t = xrealloc(c->t, c->cap * sizeof(*c->t));
			}
			t = &c->t[c->n++];
			memset(t, 0, sizeof(*t));
			sscanf(line + 6, "%127s", name);
			t->name = xstrdup(name);
			t->areas = attr(line, "area");
			if (!t->areas)
				t->areas = xstrdup("misc");
			t->from = attr(line, "from");
		} else if (!strcmp(line, "end")) {
			t = NULL;
		} else if (!t) {
			fprintf(stderr, "%s:%d: outside a trace: %s\n", src, ln, line);
			return -1;
		} else if (line[0] == '=') {
			if (!t->nops || t->ops[t->nops - 1].expect) {
				fprintf(stderr, "%s:%d: result without a call\n", src, ln);
				return -1;
			}
			line += 1 + (line[1] == ' ');
			t->ops[t->nops - 1].expect = xstrdup(line);
		} else {
			if (t->nops == t->cap) {
				t->cap = t->cap ? 2 * t->cap : 32;
				t->ops = xrealloc(t->ops, t->cap * sizeof(*t->ops));
			}
			t->ops[t->nops].line = xstrdup(line);
			t->ops[t->nops].expect = NULL;
			t->nops++;
			if (!strncmp(line, "signalfd ", 9))
				t->has_signal = true;
		}
	}
	return 0;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0, cap = 0, r;

	if (!f)
		return NULL;
	do {
		if (cap - n < 65536) {
			cap = cap ? 2 * cap : 1 << 20;
			buf = xrealloc(buf, cap + 1);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r);
	fclose(f);
	buf[n] = 0;
	return buf;
}

/* ---- the world ---------------------------------------------------------- */

enum kind {
	K_EPOLL, K_EVENTFD, K_PIPE_R, K_PIPE_W, K_SOCK, K_TIMER, K_SIGNAL,
	K_MEMFD,
};

struct obj {
	char name[40];
	enum kind kind;
	int fd;
	int peer;		/* index of the counterpart, -1 if none */
	int sig;
	bool closed;
	int inet;		/* 1 UDP, 2 TCP: effects reach the peer via softirq */
};

struct world {
	struct obj o[MAXOBJ];
	int n;
};

static struct world *W;
static unsigned char *evbuf;	/* BUFSLOTS slots RW, then a PROT_NONE page */
static unsigned char *guard;
static char errmsg[256];

static int find(struct world *w, const char *name)
{
	int i;

	for (i = w->n - 1; i >= 0; i--)
		if (!strcmp(w->o[i].name, name))
			return i;
	return -1;
}

static int fd_of(const char *name, int *fd)
{
	int i;

	if (!strcmp(name, "badfd")) {
		*fd = BADFD;
		return 0;
	}
	i = find(W, name);
	if (i < 0) {
		snprintf(errmsg, sizeof(errmsg), "unknown object %s", name);
		return -1;
	}
	*fd = W->o[i].closed ? BADFD : W->o[i].fd;
	return 0;
}

static int add_obj(const char *name, const char *suffix, enum kind k, int fd)
{
	struct obj *o;

	if (W->n == MAXOBJ || fd < 0) {
		snprintf(errmsg, sizeof(errmsg), "cannot make %s%s: %s", name,
			 suffix, fd < 0 ? strerror(errno) : "too many objects");
		return -1;
	}
	o = &W->o[W->n];
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s%s", name, suffix);
	o->kind = k;
	o->fd = fd;
	o->peer = -1;
	return W->n++;
}

static int add_pair(const char *name, const char *sfx, enum kind k0,
		    enum kind k1, int fd0, int fd1)
{
	int a = add_obj(name, "", k0, fd0), b;

	if (a < 0)
		return -1;
	b = add_obj(name, sfx, k1, fd1);
	if (b < 0)
		return -1;
	W->o[a].peer = b;
	W->o[b].peer = a;
	return 0;
}

static void world_clear(struct world *w)
{
	int i;

	for (i = 0; i < w->n; i++)
		if (!w->o[i].closed && w->o[i].fd >= 0)
			close(w->o[i].fd);
	w->n = 0;
}

/* Wait until @fd shows one of @ev (a world step whose effect is async). */
static void settle(int fd, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };

	poll(&p, 1, 1000);
}

static int make_tcp(const char *name)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int l, c, s;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		return add_obj(name, "", K_SOCK, -1);
	if (bind(l, (void *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &al)) {
		close(l);
		return add_obj(name, "", K_SOCK, -1);
	}
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c < 0 || (connect(c, (void *)&a, sizeof(a)) && errno != EINPROGRESS)) {
		close(l);
		return add_obj(name, "", K_SOCK, -1);
	}
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	close(l);
	settle(c, POLLOUT);
	if (add_pair(name, ".peer", K_SOCK, K_SOCK, c, s))
		return -1;
	W->o[W->n - 1].inet = W->o[W->n - 2].inet = 2;
	return 0;
}

static int make_udp(const char *name)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, b;
	socklen_t al = sizeof(a);
	int x, y;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	b = a;
	x = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	y = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (x < 0 || y < 0 || bind(x, (void *)&a, sizeof(a)) ||
	    bind(y, (void *)&b, sizeof(b)) ||
	    getsockname(x, (void *)&a, &al) ||
	    (al = sizeof(b), getsockname(y, (void *)&b, &al)) ||
	    connect(x, (void *)&b, sizeof(b)) || connect(y, (void *)&a, sizeof(a)))
		return add_obj(name, "", K_SOCK, -1);
	if (add_pair(name, ".peer", K_SOCK, K_SOCK, x, y))
		return -1;
	W->o[W->n - 1].inet = W->o[W->n - 2].inet = 1;
	return 0;
}

static int sig_of(const char *s)
{
	if (!strcmp(s, "usr1"))
		return SIGUSR1;
	if (!strcmp(s, "usr2"))
		return SIGUSR2;
	if (!strncmp(s, "rt", 2))
		return SIGRTMIN + atoi(s + 2);
	return 0;
}

static sigset_t blocked;

static int make_signalfd(const char *name, const char *sig)
{
	sigset_t m;
	int s = sig_of(sig), i;

	if (!s) {
		snprintf(errmsg, sizeof(errmsg), "bad signal %s", sig);
		return -1;
	}
	sigemptyset(&m);
	sigaddset(&m, s);
	i = add_obj(name, "", K_SIGNAL,
		    signalfd(-1, &m, SFD_CLOEXEC | SFD_NONBLOCK));
	if (i >= 0)
		W->o[i].sig = s;
	return i;
}

/* ---- events as text ----------------------------------------------------- */

static const struct {
	const char *name;
	uint32_t bit;
} evnames[] = {
	{ "in", EPOLLIN }, { "pri", EPOLLPRI }, { "out", EPOLLOUT },
	{ "err", EPOLLERR }, { "hup", EPOLLHUP }, { "rdnorm", EPOLLRDNORM },
	{ "rdband", EPOLLRDBAND }, { "wrnorm", EPOLLWRNORM },
	{ "wrband", EPOLLWRBAND }, { "msg", EPOLLMSG },
	{ "rdhup", EPOLLRDHUP }, { "excl", EPOLLEXCLUSIVE },
	{ "wakeup", EPOLLWAKEUP }, { "oneshot", EPOLLONESHOT },
	{ "et", EPOLLET },
};

static int parse_events(const char *s, uint32_t *ev)
{
	char buf[256], *tok, *save = NULL;
	size_t i;

	*ev = 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, "|", &save); tok;
	     tok = strtok_r(NULL, "|", &save)) {
		if (!strcmp(tok, "0") || !strcmp(tok, "none"))
			continue;
		if (!strncmp(tok, "0x", 2)) {
			*ev |= strtoul(tok, NULL, 16);
			continue;
		}
		for (i = 0; i < sizeof(evnames) / sizeof(evnames[0]); i++)
			if (!strcmp(tok, evnames[i].name))
				break;
		if (i == sizeof(evnames) / sizeof(evnames[0])) {
			snprintf(errmsg, sizeof(errmsg), "bad event %s", tok);
			return -1;
		}
		*ev |= evnames[i].bit;
	}
	return 0;
}

static void fmt_events(char *out, size_t n, uint32_t ev)
{
	size_t i, l = 0;

	out[0] = 0;
	for (i = 0; i < sizeof(evnames) / sizeof(evnames[0]); i++) {
		if (!(ev & evnames[i].bit))
			continue;
		l += snprintf(out + l, n - l, "%s%s", l ? "|" : "",
			      evnames[i].name);
		ev &= ~evnames[i].bit;
	}
	if (ev)
		l += snprintf(out + l, n - l, "%s0x%x", l ? "|" : "", ev);
	if (!l)
		snprintf(out, n, "0");
}

static void cat(char *res, const char *fmt, ...)
{
	size_t l = strlen(res);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res + l, RESLEN - l, fmt, ap);
	va_end(ap);
}

static void fmt_ret(char *res, long r, int err)
{
	if (r < 0)
		snprintf(res, RESLEN, "-1 %s", strerrorname_np(err) ?: "E?");
	else
		snprintf(res, RESLEN, "%ld", r);
}

/* ---- ops ------------------------------------------------------------------ */

static void drain(struct obj *o)
{
	char buf[4096];
	ssize_t r;

	do {
		r = read(o->fd, buf, sizeof(buf));
	} while (r > 0);
}

static int do_write(struct obj *o, long n)
{
	struct itimerspec its = { .it_value.tv_nsec = 1 };
	char buf[4096];
	int wfd;

	switch (o->kind) {
	case K_EVENTFD:
		return eventfd_write(o->fd, n) ? -1 : 0;
	case K_TIMER:
		if (timerfd_settime(o->fd, 0, &its, NULL))
			return -1;
		settle(o->fd, POLLIN);
		return 0;
	case K_SIGNAL:
		return raise(o->sig);
	case K_PIPE_R:
	case K_SOCK:
		if (o->peer < 0 || W->o[o->peer].closed) {
			snprintf(errmsg, sizeof(errmsg), "%s has no peer", o->name);
			return -1;
		}
		wfd = W->o[o->peer].fd;
		memset(buf, 'x', sizeof(buf));
		while (n > 0) {
			ssize_t w = write(wfd, buf, n > 4096 ? 4096 : n);

			if (w <= 0)
				return -1;
			n -= w;
		}
		if (o->inet)
			settle(o->fd, POLLIN);
		return 0;
	default:
		snprintf(errmsg, sizeof(errmsg), "cannot write %s", o->name);
		return -1;
	}
}

static void do_fill(struct obj *o)
{
	char buf[4096];

	memset(buf, 'f', sizeof(buf));
	while (write(o->fd, buf, sizeof(buf)) > 0)
		;
	while (write(o->fd, buf, 1) > 0)
		;
}

/* Buffer layout of a wait: @spec is NULL, "fault@K", "straddle@K", "null",
 * "kernel".  Returns the buffer and how many bytes of it are writable.
 */
static void *wait_buf(const char *spec, int max, size_t *rw)
{
	int k;

	*rw = (size_t)(max > 0 ? (max < BUFSLOTS ? max : BUFSLOTS) : 0) * EVSZ;
	if (!spec) {
		memset(guard - *rw, 0xa5, *rw);
		return guard - *rw;
	}
	if (!strcmp(spec, "null")) {
		*rw = 0;
		return NULL;
	}
	if (!strcmp(spec, "kernel")) {
		*rw = 0;
		return (void *)0xffff888000000000UL;
	}
	k = atoi(strchr(spec, '@') ? strchr(spec, '@') + 1 : "0");
	if (k > BUFSLOTS - 1)
		k = BUFSLOTS - 1;
	*rw = (size_t)k * EVSZ + (spec[0] == 's' ? 4 : 0);
	memset(guard - *rw, 0xa5, *rw);
	return guard - *rw;
}

static volatile sig_atomic_t alarmed;

static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

static long call_wait(int epfd, void *buf, int max, int to, int variant)
{
	struct timespec ts, *tsp = NULL;
	long r;

	alarm(10);
	if (variant == 2) {
		if (to >= 0) {
			ts.tv_sec = to / 1000;
			ts.tv_nsec = (long)(to % 1000) * 1000000;
			tsp = &ts;
		}
		r = epoll_pwait2(epfd, buf, max, tsp, NULL);
	} else if (variant == 1) {
		r = epoll_pwait(epfd, buf, max, to, NULL);
	} else {
		r = epoll_wait(epfd, buf, max, to);
	}
	alarm(0);
	return r;
}

/*
 * A wait paused in its copy-out (buf=uffd@K during=STEPS): slots 0..K-1
 * are on a present page, slot K starts the pages registered with
 * userfaultfd (missing mode), then a PROT_NONE page.  The wait runs in the
 * calling thread; a helper thread reads the first fault (the copy of slot
 * K is held there, the scan still running), runs STEPS in order, then
 * supplies the page (UFFDIO_COPY of 0xa5 bytes); later faults are only
 * supplied.  If the wait returns without a fault, STEPS run after it.
 */
struct pause {
	int uffd, done;		/* the userfaultfd; an eventfd: the wait returned */
	unsigned char *map, *reg;	/* the mapping; its registered pages */
	size_t maplen, reglen;
	const char *steps;	/* "X,read:Y,..." */
	bool stepped, failed;
	pthread_t th;
};

static int pause_steps(struct pause *p)
{
	char buf[256], *tok, *save = NULL;
	int i;

	p->stepped = true;
	snprintf(buf, sizeof(buf), "%s", p->steps);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		bool rd = !strncmp(tok, "read:", 5);

		i = find(W, rd ? tok + 5 : tok);
		if (i < 0 || W->o[i].closed) {
			snprintf(errmsg, sizeof(errmsg), "during: no open object %s", tok);
			return -1;
		}
		if (rd)
			drain(&W->o[i]);
		else if (do_write(&W->o[i], 1))
			return -1;
	}
	return 0;
}

/* Supply page @pg (ignored if already there: EEXIST). */
static void pause_supply(struct pause *p, unsigned char *pg)
{
	static unsigned char fill[PAGE];
	struct uffdio_copy c = {
		.dst = (uintptr_t)pg, .src = (uintptr_t)fill, .len = PAGE,
	};

	memset(fill, 0xa5, sizeof(fill));
	ioctl(p->uffd, UFFDIO_COPY, &c);
}

static void *pause_helper(void *arg)
{
	struct pause *p = arg;
	struct pollfd pf[2] = {
		{ .fd = p->uffd, .events = POLLIN }, { .fd = p->done, .events = POLLIN },
	};
	struct uffd_msg m;
	sigset_t all;

	sigfillset(&all);		/* SIGALRM is for the waiting thread */
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	while (poll(pf, 2, -1) > 0) {
		if (pf[0].revents & POLLIN) {
			if (read(p->uffd, &m, sizeof(m)) != sizeof(m) ||
			    m.event != UFFD_EVENT_PAGEFAULT)
				continue;
			if (!p->stepped && pause_steps(p))
				p->failed = true;
			pause_supply(p, (unsigned char *)(uintptr_t)
				     (m.arg.pagefault.address & ~(uint64_t)(PAGE - 1)));
		} else if (pf[1].revents & POLLIN) {
			break;
		}
	}
	return NULL;
}

static int uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {			/* 6.1+: the device, if its mode allows */
		int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);

		if (dev >= 0) {
			fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
			close(dev);
		}
	}
	if (fd >= 0 && ioctl(fd, UFFDIO_API, &api)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Map and register the buffer, start the helper.  Returns the buffer. */
static void *pause_begin(struct pause *p, int k, int max, const char *steps,
			 size_t *rw)
{
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	size_t slots = max > 0 ? (max < BUFSLOTS ? max : BUFSLOTS) : 0;

	memset(p, 0, sizeof(*p));
	p->steps = steps ?: "";
	p->done = -1;
	if (k < 0 || k > PAGE / EVSZ)
		k = PAGE / EVSZ;
	p->reglen = slots > (size_t)k ? ((slots - k) * EVSZ + PAGE - 1) / PAGE * PAGE : PAGE;
	p->maplen = p->reglen + 2 * PAGE;
	p->uffd = uffd_open();
	if (p->uffd < 0) {
		snprintf(errmsg, sizeof(errmsg), "userfaultfd unavailable: %s",
			 strerror(errno));
		return NULL;
	}
	p->map = mmap(NULL, p->maplen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->map == MAP_FAILED) {
		p->map = NULL;
		snprintf(errmsg, sizeof(errmsg), "mmap: %s", strerror(errno));
		return NULL;
	}
	p->reg = p->map + PAGE;
	memset(p->map, 0xa5, PAGE);
	mprotect(p->reg + p->reglen, PAGE, PROT_NONE);
	reg.range.start = (uintptr_t)p->reg;
	reg.range.len = p->reglen;
	p->done = eventfd(0, EFD_CLOEXEC);
	if (p->done < 0 || ioctl(p->uffd, UFFDIO_REGISTER, &reg) ||
	    pthread_create(&p->th, NULL, pause_helper, p)) {
		snprintf(errmsg, sizeof(errmsg), "userfaultfd register: %s",
			 strerror(errno));
		p->th = 0;
		return NULL;
	}
	*rw = slots * EVSZ;
	return p->reg - (size_t)k * EVSZ;
}

/* After the wait: stop the helper, run STEPS if no fault came, supply the
 * pages the wait did not touch (so that the buffer can be read).
 */
static int pause_end(struct pause *p)
{
	size_t off;

	if (p->th) {
		eventfd_write(p->done, 1);
		pthread_join(p->th, NULL);
		p->th = 0;
		if (!p->stepped && pause_steps(p))
			p->failed = true;
		for (off = 0; off < p->reglen; off += PAGE)
			pause_supply(p, p->reg + off);
	}
	return p->failed ? -1 : 0;
}

static void pause_free(struct pause *p)
{
	if (p->map)
		munmap(p->map, p->maplen);
	if (p->uffd >= 0)
		close(p->uffd);
	if (p->done >= 0)
		close(p->done);
}

static void probe_order(const struct trace *t, int upto, const char *ep,
			char *res);

static int split(char *line, char **tok)
{
	int n = 0;
	char *save = NULL, *p;

	for (p = strtok_r(line, " \t", &save); p && n < MAXTOK;
	     p = strtok_r(NULL, " \t", &save))
		tok[n++] = p;
	tok[n] = NULL;
	return n;
}

static const char *opt(char **tok, int n, const char *key)
{
	size_t l = strlen(key);
	int i;

	for (i = 0; i < n; i++)
		if (!strncmp(tok[i], key, l) && tok[i][l] == '=')
			return tok[i] + l + 1;
	return NULL;
}

static int do_epoll(char **tok, int n, char *res)
{
	const char *f = opt(tok, n, "flags"), *sz = opt(tok, n, "size");
	int fd, err, i;

	if (sz)
		fd = epoll_create(atoi(sz));
	else
		fd = epoll_create1(f ? (int)strtol(f, NULL, 0) :
				   (n > 2 && !strcmp(tok[2], "cloexec") ?
				    EPOLL_CLOEXEC : 0));
	err = errno;
	if (fd < 0) {
		fmt_ret(res, -1, err);
		/* a failed create leaves the name closed: later uses EBADF */
		i = add_obj(tok[1], "", K_EPOLL, BADFD);
		if (i >= 0)
			W->o[i].closed = true;
		return 0;
	}
	snprintf(res, RESLEN, "ok");
	return add_obj(tok[1], "", K_EPOLL, fd) < 0 ? -1 : 0;
}

static int do_ctl(char **tok, int n, char *res)
{
	static const char *const ops[] = { "", "add", "del", "mod" };
	struct epoll_event ev = { 0 }, *evp = &ev;
	const char *evs = opt(tok, n, "ev");
	int epfd, fd, op = -1, i;
	uint32_t mask = 0;
	long r;

	if (n < 4 || fd_of(tok[1], &epfd) || fd_of(tok[3], &fd)) {
		if (!errmsg[0])
			snprintf(errmsg, sizeof(errmsg), "ctl E OP X [EVENTS DATA]");
		return -1;
	}
	for (i = 1; i < 4; i++)
		if (!strcmp(tok[2], ops[i]))
			op = i;
	if (op < 0)
		op = (int)strtol(tok[2], NULL, 0);
	if (n > 4 && !strchr(tok[4], '=') && parse_events(tok[4], &mask))
		return -1;
	ev.events = mask;
	ev.data.u64 = n > 5 && !strchr(tok[5], '=') ? strtoull(tok[5], NULL, 0) : 0;
	if (evs && !strcmp(evs, "null"))
		evp = NULL;
	else if (evs && !strcmp(evs, "fault"))
		evp = (void *)guard;
	r = epoll_ctl(epfd, op, fd, evp);
	fmt_ret(res, r, errno);
	return 0;
}

static int do_wait(const struct trace *t, int idx, char **tok, int n,
		   char *res, bool probe)
{
	const char *bs = opt(tok, n, "buf");
	int epfd, max, to, variant = 0, i, e, err;
	bool paused = false;
	struct pause pz;
	unsigned char *buf;
	size_t rw, off;
	long r;

	if (n < 4 || fd_of(tok[1], &epfd)) {
		if (!errmsg[0])
			snprintf(errmsg, sizeof(errmsg), "wait E MAX TIMEOUT");
		return -1;
	}
	max = (int)strtol(tok[2], NULL, 0);
	to = atoi(tok[3]);
	for (i = 4; i < n; i++) {
		if (!strcmp(tok[i], "pwait"))
			variant = 1;
		else if (!strcmp(tok[i], "pwait2"))
			variant = 2;
	}
	if (bs && !strncmp(bs, "uffd@", 5)) {
		paused = true;
		buf = pause_begin(&pz, atoi(bs + 5), max, opt(tok, n, "during"), &rw);
		if (!buf) {
			pause_end(&pz);
			pause_free(&pz);
			return -1;
		}
	} else {
		buf = wait_buf(bs, max, &rw);
	}
	r = call_wait(epfd, buf, max, to, variant);
	err = errno;
	if (paused && pause_end(&pz)) {
		pause_free(&pz);
		return -1;
	}
	fmt_ret(res, r, err);
	for (i = 0; i < r; i++) {
		struct epoll_event *ev = (void *)(buf + (size_t)i * EVSZ);
		char en[128];

		fmt_events(en, sizeof(en), ev->events);
		cat(res, " %s:%llu", en, (unsigned long long)ev->data.u64);
	}
	/* bytes written that the return value does not account for */
	off = r > 0 ? (size_t)r * EVSZ : 0;
	for (; off < rw; off++)
		if (buf[off] != 0xa5)
			break;
	if (off < rw) {
		size_t end = off + EVSZ < rw ? off + EVSZ : rw;

		cat(res, " dirty=%zu:", off);
		for (; off < end; off++)
			cat(res, "%02x", buf[off]);
	}
	if (paused)
		pause_free(&pz);
	e = find(W, tok[1]);
	if (probe && e >= 0 && W->o[e].kind == K_EPOLL && !W->o[e].closed) {
		cat(res, " order");
		probe_order(t, idx, tok[1], res);
	}
	return 0;
}

/*
 * Run op @idx of @t.  A call writes its result to @res and returns 1; a
 * world step returns 0; a setup failure returns -1 (errmsg says why).
 */
static int exec_op(const struct trace *t, int idx, char *res, bool probe)
{
	char line[512], *tok[MAXTOK + 1];
	struct itimerspec its = { 0 };
	int n, i, fd, p[2];
	struct obj *o;

	errmsg[0] = 0;
	snprintf(line, sizeof(line), "%s", t->ops[idx].line);
	n = split(line, tok);
	if (!n)
		return 0;
	if (!strcmp(tok[0], "epoll"))
		return n < 2 ? -1 : do_epoll(tok, n, res) ? -1 : 1;
	if (!strcmp(tok[0], "ctl"))
		return do_ctl(tok, n, res) ? -1 : 1;
	if (!strcmp(tok[0], "wait"))
		return do_wait(t, idx, tok, n, res, probe) ? -1 : 1;
	if (n < 2) {
		snprintf(errmsg, sizeof(errmsg), "bad op: %s", t->ops[idx].line);
		return -1;
	}
	if (!strcmp(tok[0], "eventfd")) {
		const char *init = opt(tok, n, "init");
		int fl = EFD_CLOEXEC | EFD_NONBLOCK;

		for (i = 2; i < n; i++)
			if (!strcmp(tok[i], "sem"))
				fl |= EFD_SEMAPHORE;
		return add_obj(tok[1], "", K_EVENTFD,
			       eventfd(init ? atoi(init) : 0, fl)) < 0 ? -1 : 0;
	}
	if (!strcmp(tok[0], "pipe")) {
		if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
			p[0] = p[1] = -1;
		return add_pair(tok[1], ".w", K_PIPE_R, K_PIPE_W, p[0], p[1]);
	}
	if (!strcmp(tok[0], "socketpair")) {
		int ty = SOCK_STREAM;

		if (n > 2 && !strcmp(tok[2], "dgram"))
			ty = SOCK_DGRAM;
		else if (n > 2 && !strcmp(tok[2], "seqpacket"))
			ty = SOCK_SEQPACKET;
		if (socketpair(AF_UNIX, ty | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, p))
			p[0] = p[1] = -1;
		return add_pair(tok[1], ".peer", K_SOCK, K_SOCK, p[0], p[1]);
	}
	if (!strcmp(tok[0], "tcp"))
		return make_tcp(tok[1]) < 0 ? -1 : 0;
	if (!strcmp(tok[0], "udp"))
		return make_udp(tok[1]) < 0 ? -1 : 0;
	if (!strcmp(tok[0], "timerfd"))
		return add_obj(tok[1], "", K_TIMER,
			       timerfd_create(CLOCK_MONOTONIC,
					      TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ? -1 : 0;
	if (!strcmp(tok[0], "signalfd"))
		return make_signalfd(tok[1], n > 2 ? tok[2] : "usr1") < 0 ? -1 : 0;
	if (!strcmp(tok[0], "memfd"))
		return add_obj(tok[1], "", K_MEMFD,
			       memfd_create(tok[1], MFD_CLOEXEC)) < 0 ? -1 : 0;

	/* steps on an existing object */
	i = find(W, tok[1]);
	if (i < 0 || W->o[i].closed) {
		snprintf(errmsg, sizeof(errmsg), "%s: no open object %s", tok[0], tok[1]);
		return -1;
	}
	o = &W->o[i];
	if (!strcmp(tok[0], "write"))
		return do_write(o, n > 2 ? atol(tok[2]) : 1) ? -1 : 0;
	if (!strcmp(tok[0], "read")) {
		drain(o);
		return 0;
	}
	if (!strcmp(tok[0], "fill")) {
		do_fill(o);
		return 0;
	}
	if (!strcmp(tok[0], "hangup")) {
		if (o->peer < 0 || W->o[o->peer].closed) {
			snprintf(errmsg, sizeof(errmsg), "%s has no peer", o->name);
			return -1;
		}
		close(W->o[o->peer].fd);
		W->o[o->peer].closed = true;
		if (o->inet == 2)
			settle(o->fd, POLLHUP | POLLRDHUP | POLLERR);
		return 0;
	}
	if (!strcmp(tok[0], "shutdown")) {
		int how = n > 2 && !strcmp(tok[2], "rd") ? SHUT_RD :
			  n > 2 && !strcmp(tok[2], "wr") ? SHUT_WR : SHUT_RDWR;

		if (shutdown(o->fd, how))
			return -1;
		if (o->inet == 2 && how != SHUT_RD && o->peer >= 0 &&
		    !W->o[o->peer].closed)
			settle(W->o[o->peer].fd, POLLRDHUP);
		return 0;
	}
	if (!strcmp(tok[0], "close")) {
		close(o->fd);
		o->closed = true;
		return 0;
	}
	if (!strcmp(tok[0], "dup") && n > 2) {
		struct obj copy = *o;

		fd = fcntl(o->fd, F_DUPFD_CLOEXEC, 0);
		i = add_obj(tok[2], "", copy.kind, fd);
		if (i < 0)
			return -1;
		W->o[i].peer = copy.peer;
		W->o[i].sig = copy.sig;
		W->o[i].inet = copy.inet;
		return 0;
	}
	if (!strcmp(tok[0], "timer") && n > 2) {
		long ms = atol(tok[2]);

		its.it_value.tv_sec = ms / 1000;
		its.it_value.tv_nsec = (ms % 1000) * 1000000 + (ms ? 0 : 1);
		return timerfd_settime(o->fd, 0, &its, NULL) ? -1 : 0;
	}
	snprintf(errmsg, sizeof(errmsg), "unknown op %s", tok[0]);
	return -1;
}

static void drain_signals(void)
{
	struct timespec z = { 0 };

	while (sigtimedwait(&blocked, NULL, &z) > 0)
		;
}

/*
 * The ready list of @ep after op @upto, revealed without disturbing the
 * world: a fresh world replays ops 0..upto (waits included, not probed),
 * then epoll_wait(maxevents = 1, timeout 0) until an item repeats or
 * nothing is left.  Traces with signals probe in a child, whose pending
 * signals are its own.
 */
static void probe_clone(const struct trace *t, int upto, const char *ep,
			char *out, size_t outn)
{
	struct world *saved = W, clone;
	char res[RESLEN];
	uint64_t seen[PROBE_MAX];
	int i, n = 0, fd;
	size_t l = 0;

	clone.n = 0;
	W = &clone;
	out[0] = 0;
	for (i = 0; i <= upto; i++) {
		if (exec_op(t, i, res, false) < 0) {
			snprintf(out, outn, " ?clone-failed");
			goto done;
		}
	}
	if (fd_of(ep, &fd))
		goto done;
	while (n < PROBE_MAX) {
		struct epoll_event ev;
		int r = epoll_wait(fd, &ev, 1, 0), j;

		if (r != 1)
			break;
		for (j = 0; j < n; j++)
			if (seen[j] == ev.data.u64)
				break;
		if (j < n)
			break;
		seen[n++] = ev.data.u64;
		l += snprintf(out + l, outn - l, " %llu",
			      (unsigned long long)ev.data.u64);
	}
done:
	world_clear(&clone);
	W = saved;
}

static void probe_order(const struct trace *t, int upto, const char *ep,
			char *res)
{
	char out[1024];
	int p[2], st;
	pid_t pid;
	ssize_t r;

	if (!t->has_signal) {
		probe_clone(t, upto, ep, out, sizeof(out));
		cat(res, "%s", out);
		return;
	}
	if (pipe(p))
		return;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		drain_signals();
		probe_clone(t, upto, ep, out, sizeof(out));
		r = write(p[1], out, strlen(out));
		_exit(r < 0);
	}
	close(p[1]);
	r = pid > 0 ? read(p[0], out, sizeof(out) - 1) : -1;
	out[r > 0 ? r : 0] = 0;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	cat(res, "%s", out);
}

/* ---- replay and compare ------------------------------------------------- */

struct failure {
	const struct trace *t;
	int idx;		/* failing op */
	int ncalls;		/* calls up to it */
	char *got;
};

/* The rule a mismatch breaks: a section of docs/epoll-semantics.md. */
static const struct {
	const char *sec, *anchor, *what;
} rules[] = {
	{ "2.3", "23-the-delivery-scan-ep_send_events-ep_deliver_event-in-612",
	  "a ready item beyond maxevents stays queued; delivered items leave or re-queue per LT/ET/ONESHOT" },
	{ "2.5", "25-worked-examples",
	  "ready-list order: delivered LT items re-queue at the tail, the undelivered stay in front" },
	{ "2.5 (f)", "25-worked-examples",
	  "EFAULT: only a fault on the first slot is an error; the failing item stays queued at the head" },
	{ "3", "3-the-wakeup-callback-ep_poll_callback",
	  "the events reported are the file's poll mask & the interest mask" },
	{ "4.1", "41-epoll_create1flags-epoll_createsize",
	  "epoll_create1/epoll_create errors" },
	{ "4.2", "42-epoll_ctlepfd-op-fd-event",
	  "epoll_ctl errors, in the kernel's order of checks" },
	{ "4.3", "43-epoll_wait-epoll_pwait-epoll_pwait2",
	  "epoll_wait errors, in the kernel's order of checks" },
	{ "5", "5-timeouts-signals-and-what-wakes-a-waiter",
	  "timeouts and wakeups" },
	{ "6", "6-nesting-loop-depth-and-wakeup-path-checks",
	  "nested epoll: readiness, loops (ELOOP) and depth" },
	{ "7", "7-close-and-release",
	  "a registration belongs to the open file: it goes with the last close" },
	{ "2.4", "24-starting-and-ending-a-scan-ep_start_scan-ep_done_scan",
	  "events during a scan: after it, the ready list is [its leftovers] [arrivals not linked, in callback order] [its LT re-queues] (examples: §2.5 (g))" },
};

enum { R_DELIVERY, R_ORDER, R_EFAULT, R_MASK, R_CREATE, R_CTL, R_WAIT,
       R_TIMEOUT, R_NEST, R_CLOSE, R_SCAN };

/* The ordered data list of a wait result ("= N ev:data ..."). */
static void result_data(const char *r, char *out, size_t n, bool order)
{
	char buf[RESLEN], *tok, *save = NULL;
	bool in_order = false;
	size_t l = 0;

	snprintf(buf, sizeof(buf), "%s", r);
	out[0] = 0;
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (!strcmp(tok, "order")) {
			in_order = true;
			continue;
		}
		if (order != in_order)
			continue;
		if (!order && strchr(tok, ':') && !strchr(tok, '='))
			tok = strchr(tok, ':') + 1;
		else if (!order)
			continue;
		l += snprintf(out + l, n - l, " %s", tok);
	}
}

static bool same_set(const char *a, const char *b)
{
	char x[RESLEN], y[RESLEN], *t, *s = NULL;
	int na = 0, nb = 0;

	snprintf(x, sizeof(x), "%s ", a);
	snprintf(y, sizeof(y), "%s", b);
	for (t = strtok_r(y, " ", &s); t; t = strtok_r(NULL, " ", &s)) {
		char k[64];

		snprintf(k, sizeof(k), " %s ", t);
		if (!strstr(x, k))
			return false;
		nb++;
	}
	for (t = x; (t = strchr(t, ' ')) && t[1]; t++)
		na++;
	return na == nb;
}

static int rule_for(const struct failure *f)
{
	const char *line = f->t->ops[f->idx].line, *exp = f->t->ops[f->idx].expect;
	const char *areas = f->t->areas;
	bool scan = strstr(areas, "during-scan");
	char ed[RESLEN], gd[RESLEN];

	if (!strncmp(line, "epoll", 5))
		return R_CREATE;
	if (!strncmp(line, "ctl", 3))
		return strstr(exp, "ELOOP") || strstr(f->got, "ELOOP") ||
		       strstr(areas, "nesting") ? R_NEST : R_CTL;
	if (strstr(exp, "EFAULT") || strstr(f->got, "EFAULT") ||
	    strstr(exp, "dirty=") || strstr(f->got, "dirty=") ||
	    (strstr(line, "buf=") && !strstr(line, "buf=uffd@")))
		return R_EFAULT;
	if (exp[0] == '-' || f->got[0] == '-')
		return R_WAIT;
	result_data(exp, ed, sizeof(ed), false);
	result_data(f->got, gd, sizeof(gd), false);
	if (strcmp(ed, gd)) {
		if (scan)
			return R_SCAN;
		if (same_set(ed, gd))
			return R_ORDER;
		return strstr(areas, "nesting") ? R_NEST :
		       strstr(areas, "close") ? R_CLOSE :
		       strstr(areas, "timeouts") ? R_TIMEOUT : R_DELIVERY;
	}
	result_data(exp, ed, sizeof(ed), true);
	result_data(f->got, gd, sizeof(gd), true);
	if (strcmp(ed, gd))
		return scan ? R_SCAN : same_set(ed, gd) ? R_ORDER : R_DELIVERY;
	return R_MASK;
}

static void print_rule(FILE *o, const char *pfx, const struct failure *f)
{
	int r = rule_for(f);

	fprintf(o, "%srule: epoll-semantics §%s: %s\n%s      docs/epoll-semantics.md#%s\n",
		pfx, rules[r].sec, rules[r].what, pfx, rules[r].anchor);
}

static void print_failure(FILE *o, const char *pfx, const struct failure *f,
			  bool full)
{
	const struct trace *t = f->t;
	int i;

	fprintf(o, "%strace %s (area %s%s%s), call %d: %s\n", pfx, t->name,
		t->areas, t->from ? ", from " : "", t->from ?: "", f->ncalls,
		t->ops[f->idx].line);
	fprintf(o, "%s  expected: = %s\n%s  got:      = %s\n", pfx,
		t->ops[f->idx].expect, pfx, f->got);
	print_rule(o, pfx, f);
	if (!full)
		return;
	fprintf(o, "%sshortest trace that shows it (%d ops; results as recorded):\n",
		pfx, f->idx + 1);
	for (i = 0; i <= f->idx; i++) {
		fprintf(o, "%s  %s\n", pfx, t->ops[i].line);
		if (t->ops[i].expect && i < f->idx)
			fprintf(o, "%s  = %s\n", pfx, t->ops[i].expect);
	}
	fprintf(o, "%s  = %s    <-- expected\n%s  = %s    <-- got\n", pfx,
		t->ops[f->idx].expect, pfx, f->got);
}

/* 0 pass, 1 fail (@f filled), 2 skip (errmsg says why). */
static int replay(const struct trace *t, struct failure *f, bool record)
{
	char res[RESLEN];
	int i, r, calls = 0, rc = 0;
	struct world w = { .n = 0 };

	W = &w;
	for (i = 0; i < t->nops; i++) {
		res[0] = 0;
		r = exec_op(t, i, res, true);
		if (r < 0) {
			rc = 2;
			break;
		}
		if (record) {
			printf("%s\n", t->ops[i].line);
			if (r == 1)
				printf("= %s\n", res);
			continue;
		}
		if (r == 0)
			continue;
		calls++;
		if (!t->ops[i].expect) {
			snprintf(errmsg, sizeof(errmsg), "call %d has no result", i);
			rc = 2;
			break;
		}
		if (strcmp(res, t->ops[i].expect)) {
			f->t = t;
			f->idx = i;
			f->ncalls = calls;
			f->got = xstrdup(res);
			rc = 1;
			break;
		}
	}
	world_clear(&w);
	drain_signals();
	return rc;
}

/* ---- the embedded corpus ------------------------------------------------ */

extern const char conform_golden_6_1[], conform_golden_6_1_end[];
extern const char conform_golden_6_12[], conform_golden_6_12_end[];
extern const char conform_golden_7_3[], conform_golden_7_3_end[];

static char *embedded(const char *line)
{
	const char *b = conform_golden_6_12, *e = conform_golden_6_12_end;

	if (!strcmp(line, "6.1")) {
		b = conform_golden_6_1;
		e = conform_golden_6_1_end;
	} else if (!strcmp(line, "7.3")) {
		b = conform_golden_7_3;
		e = conform_golden_7_3_end;
	}
	return strndup(b, e - b);
}

static const char *default_line(void)
{
	struct utsname u;

	unsigned int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return "6.12";
	if (major == 6 && minor < 12)
		return "6.1";
	/* 7.3 changed pipe wakeups and the wait slack (§10) */
	if (major > 7 || (major == 7 && minor >= 3))
		return "7.3";
	return "6.12";
}

static bool has_area(const struct trace *t, const char *area)
{
	char buf[256], *p, *s = NULL;

	snprintf(buf, sizeof(buf), "%s", t->areas);
	for (p = strtok_r(buf, ",", &s); p; p = strtok_r(NULL, ",", &s))
		if (!strcmp(p, area))
			return true;
	return false;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fputs("usage: sep-conform [--kernel 6.1|6.12|7.3] [--area A] [--trace NAME]\n"
	      "                   [--time-budget S] [--corpus FILE] [--list] [-q]\n"
	      "       sep-conform --record FILE...\n", stderr);
	exit(2);
}

static void setup(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	unsigned char *m;
	int s;

	m = mmap(NULL, BUFSLOTS * EVSZ + 2 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	evbuf = m;
	guard = m + ((BUFSLOTS * EVSZ + PAGE - 1) / PAGE) * PAGE;
	mprotect(guard, PAGE, PROT_NONE);
	sigaction(SIGALRM, &sa, NULL);
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGUSR1);
	sigaddset(&blocked, SIGUSR2);
	for (s = SIGRTMIN; s <= SIGRTMIN + 3; s++)
		sigaddset(&blocked, s);
	sigprocmask(SIG_BLOCK, &blocked, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int record(int argc, char **argv)
{
	struct corpus c = { 0 };
	struct failure f;
	struct utsname u;
	int i, skipped = 0;

	for (i = 0; i < argc; i++) {
		char *text = slurp(argv[i]);

		if (!text || parse_corpus(text, argv[i], &c)) {
			fprintf(stderr, "sep-conform: cannot read %s\n", argv[i]);
			return 2;
		}
	}
	uname(&u);
	printf("# sep-conform corpus: recorded on in-tree epoll; see docs/conform-format.md\n");
	printf("sep-conform %d\nkernel %s\nline %s\n", FORMAT_VERSION, u.release,
	       default_line());
	for (i = 0; i < c.n; i++) {
		struct trace *t = &c.t[i];

		printf("trace %s area=%s%s%s\n", t->name, t->areas,
		       t->from ? " from=" : "", t->from ?: "");
		if (replay(t, &f, true) == 2) {
			fprintf(stderr, "sep-conform: %s: setup failed: %s\n",
				t->name, errmsg);
			skipped++;
		}
		printf("end\n");
	}
	fprintf(stderr, "sep-conform: recorded %d traces (%d with a setup failure)\n",
		c.n, skipped);
	return skipped ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *line = NULL, *area = NULL, *file = NULL, *only = NULL;
	int i, pass = 0, fail = 0, skip = 0, sel = 0, num = 0;
	struct failure best = { 0 }, f;
	double budget = 0, t0;
	bool list = false, quiet = false;
	struct corpus c = { 0 };
	char *text;

	setvbuf(stdout, NULL, _IOLBF, 0);
	setup();
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--record"))
			return record(argc - i - 1, argv + i + 1);
		if (!strcmp(argv[i], "--list"))
			list = true;
		else if (!strcmp(argv[i], "-q"))
			quiet = true;
		else if (i + 1 < argc && !strcmp(argv[i], "--kernel"))
			line = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--area"))
			area = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--trace"))
			only = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--corpus"))
			file = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--time-budget"))
			budget = atof(argv[++i]);
		else
			usage();
	}
	if (!line)
		line = default_line();
	if (strcmp(line, "6.1") && strcmp(line, "6.12") && strcmp(line, "7.3")) {
		fprintf(stderr, "sep-conform: --kernel 6.1, 6.12 or 7.3\n");
		return 2;
	}
	text = file ? slurp(file) : embedded(line);
	if (!text || parse_corpus(text, file ?: "embedded", &c))
		return 2;
	if (!c.n) {
		fprintf(stderr, "sep-conform: empty corpus (run make golden)\n");
		return 2;
	}
	for (i = 0; i < c.n; i++)
		sel += (!area || has_area(&c.t[i], area)) &&
		       (!only || !strcmp(only, c.t[i].name));
	if (list) {
		for (i = 0; i < c.n; i++)
			if ((!area || has_area(&c.t[i], area)) &&
			    (!only || !strcmp(only, c.t[i].name)))
				printf("%s area=%s ops=%d%s%s\n", c.t[i].name,
				       c.t[i].areas, c.t[i].nops,
				       c.t[i].from ? " from=" : "", c.t[i].from ?: "");
		printf("# %d traces, recorded on %s (line %s)\n", sel,
		       c.kernel ?: "?", c.line ?: "?");
		return 0;
	}
	printf("TAP version 13\n# corpus: %d traces recorded on %s; %d selected\n1..%d\n",
	       c.n, c.kernel ?: "?", sel, sel);
	t0 = now();
	for (i = 0; i < c.n; i++) {
		struct trace *t = &c.t[i];
		int r;

		if ((area && !has_area(t, area)) || (only && strcmp(only, t->name)))
			continue;
		num++;
		if (budget > 0 && now() - t0 > budget) {
			printf("ok %d - %s # SKIP time budget\n", num, t->name);
			skip++;
			continue;
		}
		r = replay(t, &f, false);
		if (r == 0) {
			pass++;
			if (!quiet)
				printf("ok %d - %s [%s]\n", num, t->name, t->areas);
		} else if (r == 2) {
			skip++;
			printf("ok %d - %s # SKIP %s\n", num, t->name, errmsg);
		} else {
			fail++;
			printf("not ok %d - %s [%s]\n", num, t->name, t->areas);
			print_failure(stdout, "# ", &f, false);
			if (!best.t || f.idx < best.idx)
				best = f;
		}
	}
	if (best.t) {
		printf("# first failure, minimised (the shortest failing prefix of all failing traces):\n");
		print_failure(stdout, "# ", &best, true);
	}
	printf("# %.1f s\nconform: %d passed, %d failed, %d skipped\n",
	       now() - t0, pass, fail, skip);
	return fail ? 1 : 0;
}
