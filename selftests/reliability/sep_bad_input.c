// SPDX-License-Identifier: GPL-2.0-only
/*
 * sep_bad_input: check the shadow-only rows of docs/bad-input.md.
 *
 *   sep_bad_input [-v]
 *
 * The epoll-equivalent errors are checked against in-tree epoll by the
 * kselftests (errno_test, efault_test, nest_test, limits_test, ...); this
 * program checks the errors that only the extra ABI can give (argument
 * struct size, reserved fields, flags, dumps, sources, unknown commands),
 * one line per row with its row id in docs/bad-input.md.  Exit 0 when every
 * row gives the documented result, 1 otherwise, 4 without the module.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "sep_rel.h"

#ifndef EPIOCGPARAMS
#define EPIOCGPARAMS	_IOR(0x8A, 0x02, uint64_t)
#endif

#define PG	4096
#define KPTR	((void *)0xffffffff81000000UL)

static int verbose, nok, nbad;
/* A page of zeroes followed by a PROT_NONE page; a hole; a read-only page. */
static unsigned char *page, *none, *hole, *ro;

static void row(const char *id, const char *what, int want_ret, int want_err,
		int ret, int err)
{
	bool good = want_err ? ret == -1 && err == want_err :
			       want_ret < 0 ? ret >= 0 : ret == want_ret;
	char want[32];

	if (good)
		nok++;
	else
		nbad++;
	if (good && !verbose)
		return;
	if (want_err)
		snprintf(want, sizeof(want), "%s", strerrorname_np(want_err));
	else if (want_ret < 0)
		snprintf(want, sizeof(want), "an fd");
	else
		snprintf(want, sizeof(want), "%d", want_ret);
	printf("bad-input: %-4s %-58s want %s, got %d%s%s: %s\n", id, what, want,
	       ret, ret < 0 ? " " : "", ret < 0 ? strerrorname_np(err) : "",
	       good ? "ok" : "MISMATCH");
}

/* Run @call with errno cleared; record the row. */
#define ROW(id, what, want_ret, want_err, call) do {			\
	int r_;								\
	errno = 0;							\
	r_ = (call);							\
	row(id, what, want_ret, want_err, r_, errno);			\
	if (r_ > 2 && (want_ret) == -2)					\
		close(r_);						\
} while (0)

/* want_ret -2: any fd (>= 0), closed afterwards. */
#define ANYFD	-2

/* A copy of @src at the end of @page, so bytes beyond @len hit PROT_NONE. */
static void *at_end(const void *src, size_t len)
{
	void *p = page + PG - len;

	memcpy(p, src, len);
	return p;
}

/* ---- P: ADOPT (the argument rules, then the fds; no scope is made) ---- */
static void adopt_rows(int efd, int opath)
{
	struct shadow_epoll_adopt_args pa = { .size = sizeof(pa), .log_fd = -1 };
	char dir[64];
	int gw = shep_gateway(), cg, root;

	pa.flags = SHADOW_EPOLL_ADOPT_LOG << 1;
	pa.cgroup_fd = 1 << 20;
	ROW("P1", "ADOPT: unknown flags (beat a bad cgroup_fd)", 0, EINVAL,
	    ioctl(gw, SHADOW_EPOLL_IOC_ADOPT, &pa));
	pa.flags = 0;
	pa.log_fd = 2;
	ROW("P1", "ADOPT: log_fd other than -1 without ADOPT_LOG", 0, EINVAL,
	    ioctl(gw, SHADOW_EPOLL_IOC_ADOPT, &pa));
	pa.log_fd = -1;
	ROW("P2", "ADOPT: cgroup_fd not open", 0, EBADF,
	    ioctl(gw, SHADOW_EPOLL_IOC_ADOPT, &pa));
	pa.cgroup_fd = opath;
	ROW("P2", "ADOPT: cgroup_fd O_PATH", 0, EBADF,
	    ioctl(gw, SHADOW_EPOLL_IOC_ADOPT, &pa));
	pa.cgroup_fd = efd;
	ROW("P2", "ADOPT: cgroup_fd not a cgroup directory (eventfd)", 0, EBADF,
	    ioctl(gw, SHADOW_EPOLL_IOC_ADOPT, &pa));
	root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pa.cgroup_fd = root;
	ROW("P2", "ADOPT: cgroup_fd not a cgroup directory (/)", 0, EBADF,
	    ioctl(gw, SHADOW_EPOLL_IOC_ADOPT, &pa));
	/* The log fd is taken after the cgroup: a real (empty) cgroup here. */
	if (access("/sys/fs/cgroup/cgroup.procs", F_OK))
		mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL);
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/sep_bad_input.%d", (int)getpid());
	if (mkdir(dir, 0755)) {
		printf("bad-input: P3 skipped: mkdir %s: %s\n", dir, strerror(errno));
		close(root);
		return;
	}
	cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pa.cgroup_fd = cg;
	pa.flags = SHADOW_EPOLL_ADOPT_LOG;
	pa.log_fd = 1 << 20;
	ROW("P3", "ADOPT_LOG: log_fd not open", 0, EBADF,
	    ioctl(gw, SHADOW_EPOLL_IOC_ADOPT, &pa));
	pa.log_fd = root;
	ROW("P3", "ADOPT_LOG: log_fd not open for writing", 0, EBADF,
	    ioctl(gw, SHADOW_EPOLL_IOC_ADOPT, &pa));
	close(cg);
	close(root);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	struct shadow_epoll_create_args ca = { .size = sizeof(ca) };
	struct shadow_epoll_source_args sa = { .size = sizeof(sa), .mask = EPOLLIN };
	struct shadow_epoll_wait_args wa;
	struct shadow_epoll_dump_args da;
	struct shadow_epoll_ctl_args cta;
	struct shadow_epoll_source_change sc;
	struct shadow_epoll_source_trigger st;
	/* big enough for 4 entries of either dump */
	struct shadow_epoll_interest_entry re[4];
	struct epoll_event ev[4], one = { .events = EPOLLIN };
	struct { struct shadow_epoll_create_args a; uint32_t extra[2]; } big;
	struct rlimit rl;
	struct utsname u;
	int gw, ep, src, efd, rep, opath, r, unk_err, e1;
	uint64_t prm[2] = { 0, 0 };
	unsigned int k;

	if (argc > 1 && !strcmp(argv[1], "-v"))
		verbose = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The raw ioctls below (the rows' subject) go to the library's gateway. */
	gw = shep_gateway();
	if (gw < 0) {
		printf("bad-input: SKIP: %s: %s\n", shep_device_path(), strerror(errno));
		return 4;
	}
	uname(&u);
	/* 6.9+: an epoll fd answers unknown ioctls with EINVAL, before: ENOTTY */
	unk_err = !strncmp(u.release, "6.1.", 4) ? ENOTTY : EINVAL;

	page = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return 1;
	none = page + PG;
	mprotect(none, PG, PROT_NONE);
	ro = page + 2 * PG;
	hole = page + 3 * PG;
	munmap(hole, PG);

	ep = shep_create(EPOLL_CLOEXEC);
	src = shep_source(O_CLOEXEC, EPOLLIN);
	efd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
	rep = epoll_create1(EPOLL_CLOEXEC);
	opath = open("/", O_PATH | O_CLOEXEC);
	if (ep < 0 || src < 0 || efd < 0 || rep < 0 || opath < 0) {
		perror("bad-input: setup");
		return 1;
	}

	/* ---- A: the argument struct (every command) ---- */
	static const struct { unsigned int cmd; const char *name; bool on_src; } cmds[] = {
		{ SHADOW_EPOLL_IOC_CREATE, "CREATE", false },
		{ SHADOW_EPOLL_IOC_CTL, "CTL", false },
		{ SHADOW_EPOLL_IOC_WAIT, "WAIT", false },
		{ SHADOW_EPOLL_IOC_READY, "READY", false },
		{ SHADOW_EPOLL_IOC_INTEREST, "INTEREST", false },
		{ SHADOW_EPOLL_IOC_SOURCE, "SOURCE", false },
		{ SHADOW_EPOLL_IOC_ADOPT, "ADOPT", false },
		{ SHADOW_EPOLL_IOC_SRC_SET, "SRC_SET", true },
		{ SHADOW_EPOLL_IOC_SRC_TRIGGER, "SRC_TRIGGER", true },
	};
	for (k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
		int fd = cmds[k].on_src ? src : gw;
		uint32_t zero[2] = { 0, 0 }, four[1] = { 4 };
		uint32_t huge[2] = { PG + 4, 0 };
		char what[80];

		snprintf(what, sizeof(what), "%s: argument pointer NULL", cmds[k].name);
		ROW("A1", what, 0, EFAULT, ioctl(fd, cmds[k].cmd, NULL));
		snprintf(what, sizeof(what), "%s: argument pointer unmapped", cmds[k].name);
		ROW("A1", what, 0, EFAULT, ioctl(fd, cmds[k].cmd, hole));
		snprintf(what, sizeof(what), "%s: argument pointer PROT_NONE", cmds[k].name);
		ROW("A1", what, 0, EFAULT, ioctl(fd, cmds[k].cmd, none));
		snprintf(what, sizeof(what), "%s: argument pointer kernel address", cmds[k].name);
		ROW("A1", what, 0, EFAULT, ioctl(fd, cmds[k].cmd, KPTR));
		snprintf(what, sizeof(what), "%s: size 0", cmds[k].name);
		ROW("A2", what, 0, EINVAL, ioctl(fd, cmds[k].cmd, zero));
		snprintf(what, sizeof(what), "%s: size 4", cmds[k].name);
		ROW("A2", what, 0, EINVAL, ioctl(fd, cmds[k].cmd, four));
		snprintf(what, sizeof(what), "%s: size > PAGE_SIZE (zero tail)", cmds[k].name);
		memset(page, 0, PG);
		memcpy(page, huge, sizeof(huge));
		ROW("A4", what, 0, E2BIG, ioctl(fd, cmds[k].cmd, page));
		snprintf(what, sizeof(what), "%s: size field readable, struct runs into PROT_NONE",
			 cmds[k].name);
		{
			uint32_t sz = 64;

			ROW("A5", what, 0, EFAULT, ioctl(fd, cmds[k].cmd, at_end(&sz, 4)));
		}
		snprintf(what, sizeof(what), "%s: wrong _IOC direction", cmds[k].name);
		ROW("A6", what, 0, ENOTTY,
		    ioctl(fd, _IOC(_IOC_DIR(cmds[k].cmd) ^ _IOC_READ, SHADOW_EPOLL_IOC_MAGIC,
				   _IOC_NR(cmds[k].cmd), _IOC_SIZE(cmds[k].cmd)), page));
		snprintf(what, sizeof(what), "%s: issued on the wrong kind of shadow fd",
			 cmds[k].name);
		ROW("A7", what, 0, ENOTTY, ioctl(cmds[k].on_src ? gw : src, cmds[k].cmd, page));
		snprintf(what, sizeof(what), "%s: issued on an eventfd", cmds[k].name);
		ROW("A8", what, 0, ENOTTY, ioctl(efd, cmds[k].cmd, page));
	}
	/* E2BIG: non-zero bytes after the known struct; a zero tail is fine */
	memset(&big, 0, sizeof(big));
	big.a.size = sizeof(big);
	ROW("A3", "CREATE: size larger, zero tail", ANYFD, 0,
	    ioctl(gw, SHADOW_EPOLL_IOC_CREATE, &big));
	big.extra[1] = 1;
	ROW("A4", "CREATE: size larger, non-zero tail", 0, E2BIG,
	    ioctl(gw, SHADOW_EPOLL_IOC_CREATE, &big));
	big.extra[1] = 0;
	big.a.size = PG;
	ROW("A4", "CREATE: size PAGE_SIZE, zero tail (runs into PROT_NONE)", 0, EFAULT,
	    ioctl(gw, SHADOW_EPOLL_IOC_CREATE, at_end(&big, sizeof(big))));
	memset(page, 0, PG);
	((uint32_t *)page)[0] = PG;
	ROW("A3", "CREATE: size PAGE_SIZE, zero tail", ANYFD, 0,
	    ioctl(gw, SHADOW_EPOLL_IOC_CREATE, page));
	/* the size field of the command number is not checked */
	ROW("A9", "CREATE: _IOC_SIZE of the command 0 / 4095", ANYFD, 0,
	    ioctl(gw, _IOW(SHADOW_EPOLL_IOC_MAGIC, 0x01, char[4095]), &ca));
	ROW("A9", "SRC_SET: other _IOC_SIZE (exact match on sources)", 0, ENOTTY,
	    ioctl(src, _IOW(SHADOW_EPOLL_IOC_MAGIC, 0x11, char[32]), page));
	ROW("A10", "unknown command number in the shadow magic", 0, ENOTTY,
	    ioctl(gw, _IO(SHADOW_EPOLL_IOC_MAGIC, 0x7f), 0));
	ROW("A10", "unknown command number in the shadow magic, source", 0, ENOTTY,
	    ioctl(src, _IO(SHADOW_EPOLL_IOC_MAGIC, 0x7f), 0));
	ROW("A11", "FIONREAD on an instance (6.1 ENOTTY, 6.9+ EINVAL)", 0, unk_err,
	    ioctl(ep, FIONREAD, page));
	ROW("A11", "FIONREAD on real epoll (same)", 0, unk_err, ioctl(rep, FIONREAD, page));
	ROW("A12", "FIONREAD on a source", 0, ENOTTY, ioctl(src, FIONREAD, page));
	/* EPIOCGPARAMS: whatever real epoll answers on this kernel */
	errno = 0;
	r = ioctl(rep, EPIOCGPARAMS, &prm[0]);
	e1 = errno;
	ROW("A11", "EPIOCGPARAMS on an instance: as on real epoll", r, r < 0 ? e1 : 0,
	    ioctl(ep, EPIOCGPARAMS, &prm[1]));
	if (!r && prm[0] != prm[1])
		row("A11", "EPIOCGPARAMS defaults as on real epoll", 0, 0, -1, EINVAL);
	ROW("A13", "any command on an O_PATH fd", 0, EBADF,
	    ioctl(opath, SHADOW_EPOLL_IOC_CREATE, &ca));
	ROW("A13", "any command on a closed fd", 0, EBADF,
	    ioctl(1 << 20, SHADOW_EPOLL_IOC_CREATE, &ca));

	/* ---- C: CREATE / SOURCE ---- */
	ca.flags = O_NONBLOCK;
	ROW("C1", "CREATE: flags O_NONBLOCK", 0, EINVAL, ioctl(gw, SHADOW_EPOLL_IOC_CREATE, &ca));
	ca.flags = EPOLL_CLOEXEC;
	ROW("C1", "CREATE: flags EPOLL_CLOEXEC", ANYFD, 0, ioctl(gw, SHADOW_EPOLL_IOC_CREATE, &ca));
	getrlimit(RLIMIT_NOFILE, &rl);
	{
		struct rlimit low = { 3, rl.rlim_max };

		setrlimit(RLIMIT_NOFILE, &low);
		ROW("C2", "CREATE: no free fd (RLIMIT_NOFILE)", 0, EMFILE,
		    ioctl(gw, SHADOW_EPOLL_IOC_CREATE, &ca));
		ROW("S2", "SOURCE: no free fd (RLIMIT_NOFILE)", 0, EMFILE,
		    ioctl(gw, SHADOW_EPOLL_IOC_SOURCE, &sa));
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sa.flags = O_NONBLOCK;
	ROW("S1", "SOURCE: flags other than O_CLOEXEC", 0, EINVAL,
	    ioctl(gw, SHADOW_EPOLL_IOC_SOURCE, &sa));
	sa.flags = O_CLOEXEC;
	sa.__reserved = 1;
	ROW("S1", "SOURCE: __reserved != 0", 0, EINVAL, ioctl(gw, SHADOW_EPOLL_IOC_SOURCE, &sa));
	sa.__reserved = 0;
	sa.mask = 0xffffffff;
	ROW("S1", "SOURCE: any mask accepted", ANYFD, 0, ioctl(gw, SHADOW_EPOLL_IOC_SOURCE, &sa));

	/* ---- W: WAIT (struct-level checks come first) ---- */
	memset(&wa, 0, sizeof(wa));
	wa.size = sizeof(wa);
	wa.epfd = ep;
	wa.maxevents = 4;
	wa.events = (uintptr_t)ev;
	ROW("W0", "WAIT: valid, nothing ready", 0, 0, ioctl(gw, SHADOW_EPOLL_IOC_WAIT, &wa));
	wa.flags = 2;
	ROW("W1", "WAIT: unknown flags", 0, EINVAL, ioctl(gw, SHADOW_EPOLL_IOC_WAIT, &wa));
	wa.flags = 2;
	wa.epfd = 1 << 20;
	wa.timeout_ts = (uintptr_t)hole;
	wa.flags = 2 | SHADOW_EPOLL_WAIT_TIMESPEC;
	ROW("W1", "WAIT: unknown flags beat bad timeout_ts and bad epfd", 0, EINVAL,
	    ioctl(gw, SHADOW_EPOLL_IOC_WAIT, &wa));
	wa.flags = 0;
	wa.__reserved = 1;
	ROW("W2", "WAIT: __reserved != 0", 0, EINVAL, ioctl(gw, SHADOW_EPOLL_IOC_WAIT, &wa));
	wa.__reserved = 0;
	wa.epfd = ep;
	ROW("W3", "WAIT: timeout_ts ignored without WAIT_TIMESPEC", 0, 0,
	    ioctl(gw, SHADOW_EPOLL_IOC_WAIT, &wa));
	wa.flags = SHADOW_EPOLL_WAIT_TIMESPEC;
	ROW("W4", "WAIT: TIMESPEC, timeout_ts unmapped", 0, EFAULT,
	    ioctl(gw, SHADOW_EPOLL_IOC_WAIT, &wa));
	wa.flags = 0;
	wa.timeout_ts = 0;
	wa.sigmask = (uintptr_t)page;
	wa.sigsetsize = 16;
	ROW("W5", "WAIT: sigmask with sigsetsize != 8", 0, EINVAL,
	    ioctl(gw, SHADOW_EPOLL_IOC_WAIT, &wa));
	wa.sigmask = 0;
	ROW("W5", "WAIT: sigsetsize ignored without sigmask", 0, 0,
	    ioctl(gw, SHADOW_EPOLL_IOC_WAIT, &wa));
	wa.epfd = src;
	ROW("W6", "WAIT: epfd is a source", 0, EINVAL, ioctl(gw, SHADOW_EPOLL_IOC_WAIT, &wa));
	wa.epfd = rep;
	ROW("W6", "WAIT: epfd is a real epoll fd", 0, EINVAL,
	    ioctl(gw, SHADOW_EPOLL_IOC_WAIT, &wa));
	wa.epfd = ep;
	ROW("W7", "WAIT: issued on any instance (gateway = ep itself)", 0, 0,
	    ioctl(ep, SHADOW_EPOLL_IOC_WAIT, &wa));

	/* ---- T: CTL through the ioctl ---- */
	memset(&cta, 0, sizeof(cta));
	cta.size = sizeof(cta);
	cta.epfd = ep;
	cta.op = EPOLL_CTL_ADD;
	cta.fd = efd;
	cta.event = (uintptr_t)&one;
	ROW("T1", "CTL: epfd is a real epoll fd (not a shadow instance)", 0, EINVAL,
	    (cta.epfd = rep, ioctl(gw, SHADOW_EPOLL_IOC_CTL, &cta)));
	cta.epfd = ep;
	ROW("T2", "CTL: add a source", 0, 0,
	    (cta.fd = src, ioctl(gw, SHADOW_EPOLL_IOC_CTL, &cta)));
	ROW("T3", "CTL: add a real epoll fd into a shadow instance", 0, 0,
	    (cta.fd = rep, ioctl(gw, SHADOW_EPOLL_IOC_CTL, &cta)));
	cta.fd = efd;

	/* ---- D: READY / INTEREST ---- */
	for (k = 0; k < 2; k++) {
		unsigned int cmd = k ? SHADOW_EPOLL_IOC_INTEREST : SHADOW_EPOLL_IOC_READY;
		const char *n = k ? "INTEREST" : "READY";
		char what[80];

		memset(&da, 0, sizeof(da));
		da.size = sizeof(da);
		da.epfd = ep;
		da.count = 4;
		da.entries = (uintptr_t)re;
		snprintf(what, sizeof(what), "%s: valid", n);
		ROW("D0", what, 0, 0, ioctl(gw, cmd, &da));
		da.flags = 1;
		da.epfd = 1 << 20;
		snprintf(what, sizeof(what), "%s: flags != 0 on input (beats a bad epfd)", n);
		ROW("D1", what, 0, EINVAL, ioctl(gw, cmd, &da));
		da.flags = 0;
		snprintf(what, sizeof(what), "%s: epfd not open", n);
		ROW("D2", what, 0, EBADF, ioctl(gw, cmd, &da));
		da.epfd = opath;
		snprintf(what, sizeof(what), "%s: epfd O_PATH", n);
		ROW("D2", what, 0, EBADF, ioctl(gw, cmd, &da));
		da.epfd = efd;
		snprintf(what, sizeof(what), "%s: epfd not a shadow instance (eventfd)", n);
		ROW("D3", what, 0, EINVAL, ioctl(gw, cmd, &da));
		da.epfd = rep;
		snprintf(what, sizeof(what), "%s: epfd a real epoll fd", n);
		ROW("D3", what, 0, EINVAL, ioctl(gw, cmd, &da));
		da.epfd = src;
		snprintf(what, sizeof(what), "%s: epfd a source", n);
		ROW("D3", what, 0, EINVAL, ioctl(gw, cmd, &da));
		da.epfd = ep;
		da.entries = (uintptr_t)hole;
		snprintf(what, sizeof(what), "%s: entries unmapped, list not empty", n);
		ROW("D4", what, 0, EFAULT, ioctl(gw, cmd, &da));
		da.count = 0;
		snprintf(what, sizeof(what), "%s: entries unmapped, count 0: only the total", n);
		ROW("D5", what, 0, 0, ioctl(gw, cmd, &da));
		da.count = 4;
		da.entries = (uintptr_t)re;
		memcpy(ro, &da, sizeof(da));
		mprotect(ro, PG, PROT_READ);
		snprintf(what, sizeof(what), "%s: argument struct read-only (count written back)", n);
		ROW("D6", what, 0, EFAULT, ioctl(gw, cmd, ro));
		mprotect(ro, PG, PROT_READ | PROT_WRITE);
	}
	{
		/* an empty instance: nothing to copy, the entries pointer is not used */
		int e2 = shep_create(EPOLL_CLOEXEC);

		memset(&da, 0, sizeof(da));
		da.size = sizeof(da);
		da.epfd = e2;
		da.count = 4;
		da.entries = (uintptr_t)hole;
		ROW("D5", "READY: entries unmapped, empty list", 0, 0,
		    ioctl(gw, SHADOW_EPOLL_IOC_READY, &da));
		close(e2);
	}

	adopt_rows(efd, opath);

	/* ---- R: SRC_SET / SRC_TRIGGER ---- */
	memset(&sc, 0, sizeof(sc));
	sc.size = sizeof(sc);
	sc.op = SHADOW_EPOLL_SRC_SET;
	sc.mask = EPOLLIN | EPOLLOUT;
	ROW("R0", "SRC_SET: SET returns the new mask", EPOLLIN | EPOLLOUT, 0,
	    ioctl(src, SHADOW_EPOLL_IOC_SRC_SET, &sc));
	sc.mask = EPOLLIN | EPOLLET;
	ROW("R0", "SRC_SET: the returned mask has bit 31 cleared", EPOLLIN, 0,
	    ioctl(src, SHADOW_EPOLL_IOC_SRC_SET, &sc));
	sc.op = SHADOW_EPOLL_SRC_POLLFREE + 1;
	ROW("R1", "SRC_SET: unknown op", 0, EINVAL, ioctl(src, SHADOW_EPOLL_IOC_SRC_SET, &sc));
	sc.op = SHADOW_EPOLL_SRC_OR;
	sc.flags = 4;
	ROW("R1", "SRC_SET: unknown flags", 0, EINVAL, ioctl(src, SHADOW_EPOLL_IOC_SRC_SET, &sc));
	sc.flags = 0;
	sc.__reserved = 1;
	ROW("R1", "SRC_SET: __reserved != 0", 0, EINVAL,
	    ioctl(src, SHADOW_EPOLL_IOC_SRC_SET, &sc));

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.target_fd = src;
	st.count = 1;
	st.change.op = SHADOW_EPOLL_SRC_OR;
	st.change.mask = EPOLLOUT;
	ROW("R2", "SRC_TRIGGER: valid (target itself)", 0, 0,
	    ioctl(src, SHADOW_EPOLL_IOC_SRC_TRIGGER, &st));
	st.change.size = 12345;
	ROW("R2", "SRC_TRIGGER: change.size ignored", 0, 0,
	    ioctl(src, SHADOW_EPOLL_IOC_SRC_TRIGGER, &st));
	st.__reserved = 1;
	ROW("R3", "SRC_TRIGGER: __reserved != 0", 0, EINVAL,
	    ioctl(src, SHADOW_EPOLL_IOC_SRC_TRIGGER, &st));
	st.__reserved = 0;
	st.change.op = 9;
	st.target_fd = 1 << 20;
	ROW("R3", "SRC_TRIGGER: bad change.op (before the target)", 0, EINVAL,
	    ioctl(src, SHADOW_EPOLL_IOC_SRC_TRIGGER, &st));
	st.change.op = 0;
	st.change.__reserved = 1;
	ROW("R3", "SRC_TRIGGER: change.__reserved != 0", 0, EINVAL,
	    ioctl(src, SHADOW_EPOLL_IOC_SRC_TRIGGER, &st));
	st.change.__reserved = 0;
	ROW("R4", "SRC_TRIGGER: target_fd not open", 0, EBADF,
	    ioctl(src, SHADOW_EPOLL_IOC_SRC_TRIGGER, &st));
	st.target_fd = opath;
	ROW("R4", "SRC_TRIGGER: target_fd O_PATH", 0, EBADF,
	    ioctl(src, SHADOW_EPOLL_IOC_SRC_TRIGGER, &st));
	st.target_fd = efd;
	ROW("R5", "SRC_TRIGGER: target not a source (eventfd)", 0, EINVAL,
	    ioctl(src, SHADOW_EPOLL_IOC_SRC_TRIGGER, &st));
	st.target_fd = ep;
	ROW("R5", "SRC_TRIGGER: target not a source (instance)", 0, EINVAL,
	    ioctl(src, SHADOW_EPOLL_IOC_SRC_TRIGGER, &st));
	st.target_fd = 1 << 20;
	st.count = 0;
	ROW("R6", "SRC_TRIGGER: count 0 disarms, target not looked up", 0, 0,
	    ioctl(src, SHADOW_EPOLL_IOC_SRC_TRIGGER, &st));

	r = nbad ? 1 : 0;
	printf("bad-input: %d rows ok, %d mismatches: %s\n", nok, nbad, r ? "FAIL" : "PASS");
	return r;
}
