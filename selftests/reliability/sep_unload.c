// SPDX-License-Identifier: GPL-2.0-only
/*
 * sep_unload: unloading shadow_epoll while a watched file's final fput is
 * still pending (root; the module must be unloadable: no instance or
 * source open anywhere, shadow_epoll_kunit removed).
 *
 *   sep_unload [-m KO] [-r ROUNDS] [-s SEED]
 *
 * An orphan is an item whose instance let go of it (the instance file was
 * closed) while its watched file was already in its final fput, but before
 * the module's __fput hook ran for that file: the hook frees it later.  The
 * final fput of a file closed by a user task runs as task work on the way
 * back to user mode, and task works run newest first.  So a task that
 * closes, in one close_range(), a watched eventfd and then a lingering TCP
 * socket whose peer reads nothing blocks in the socket's release (the
 * linger wait) with the eventfd's __fput still queued behind it, until the
 * peer reads.  That makes the window deterministic:
 *
 *  1. the closer child holds the only references to an eventfd that our
 *     instance watches and to the lingering socket, and closes both; we
 *     wait until the eventfd's count is 0 (the INTEREST dump skips it) and
 *     its hook has not run (the READY dump shows it, not dying);
 *  2. we close the instance: its release finds the eventfd unpinnable, the
 *     item becomes an orphan;
 *  3. the orphan must hold the module: /sys/module/shadow_epoll/refcnt is 1
 *     and delete_module() fails with EAGAIN/EBUSY.  (Before the fix the
 *     count was 0 and the unload succeeded: it removed the kprobe with the
 *     fput still pending; had that fput run between the kprobe's removal
 *     and the unload's sweep of the index, the sweep would have unhooked
 *     the orphan from a freed wait queue);
 *  4. we read the socket's data: the closer's linger ends, the eventfd's
 *     __fput runs the hook, which frees the orphan and drops the
 *     reference; refcnt is 0 again and the unload succeeds.
 *
 * -r ROUNDS (needs -m KO, the module file to load again) repeats the
 * window with the unload racing the fput: a second thread retries
 * delete_module() while the closer is let go after a random delay (0-40 ms,
 * about the length of an unload on TCG), then reloads the module.  An unload
 * before the closer was let go is a failure; a splat (KASAN, list
 * corruption) is for the VM runner to notice.
 *
 * With -m KO the module is loaded again at the end.  The last line is
 * "unload: summary: ... PASS" (exit 0) or "... FAIL" (exit 1); exit 4 when
 * the device is missing or we are not root (skip).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <linux/sockios.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "sep_rel.h"

#define REFCNT	"/sys/module/shadow_epoll/refcnt"

static const char *ko;
static int failures;

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("unload: FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	failures++;
}

static int refcnt(void)
{
	char buf[32] = "";
	FILE *f = fopen(REFCNT, "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return buf[0] ? atoi(buf) : -1;
}

static int unload(void)
{
	return syscall(SYS_delete_module, "shadow_epoll", O_NONBLOCK);
}

static int load(void)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return r;
}

/* Retry an unload refused for a transient reference, up to 2 s. */
static int unload_settled(void)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (!unload())
			return 0;
		if (errno != EAGAIN && errno != EBUSY)
			return -1;
		usleep(10000);
	}
	return -1;
}

/* A dump of @epfd: the number of entries, the first one in @e. */
static int dump(int epfd, unsigned long cmd, void *e)
{
	struct shadow_epoll_dump_args a = {
		.size = sizeof(a), .epfd = epfd, .count = 1,
		.entries = (uint64_t)(unsigned long)e,
	};

	return ioctl(epfd, cmd, &a) ? -1 : (int)a.count;
}

/*
 * A loopback TCP connection whose client end (*cli) cannot send anything
 * more: the server end (*srv) reads nothing, its small buffer is full and
 * the client's large one holds far more than the server could take in.  The
 * client lingers: its last close blocks until *srv is read (or 30 s).
 */
static int stuck_tcp(int *cli, int *srv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct linger lg = { .l_onoff = 1, .l_linger = 30 };
	socklen_t len = sizeof(sa);
	int l, i, outq, small = 4096, big = 1 << 18;
	char buf[4096] = "";

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	*cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || *cli < 0 ||
	    setsockopt(l, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) ||
	    setsockopt(*cli, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big)) ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&sa, &len) ||
	    connect(*cli, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	*srv = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	close(l);
	if (*srv < 0 || fcntl(*cli, F_SETFL, O_NONBLOCK))
		return -1;
	/* Full once the peer's window is shut: data stays unsent. */
	for (i = 0; i < 100; i++) {
		while (write(*cli, buf, sizeof(buf)) > 0)
			;
		if (errno != EAGAIN)
			return -1;
		usleep(10000);
		if (write(*cli, buf, sizeof(buf)) < 0 && errno == EAGAIN &&
		    !ioctl(*cli, SIOCOUTQ, &outq) && outq > 0)
			break;
	}
	if (i == 100)
		return -1;
	return setsockopt(*cli, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

/* Is fd @fd of @pid gone?  lstat() of the link pins nothing. */
static bool fd_gone(pid_t pid, int fd)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	return lstat(path, &st) && errno == ENOENT;
}

/*
 * Is the eventfd's final fput pending (count 0, hook not run)?  Waits up
 * to 5 s for the closer to close both fds (then both fputs are queued: the
 * socket's runs first and blocks).  Nothing here may take a reference on
 * the eventfd while the closer still has it: ours would be the last one.
 */
static bool fput_pending(int gw, pid_t pid)
{
	struct shadow_epoll_interest_entry ie;
	struct shadow_epoll_ready_entry re;
	int i;

	for (i = 0; i < 500; i++) {
		if (fd_gone(pid, 100) && fd_gone(pid, 101))
			break;
		usleep(10000);
	}
	if (i == 500) {
		printf("unload: the closer did not close its fds\n");
		return false;
	}
	i = dump(gw, SHADOW_EPOLL_IOC_INTEREST, &ie);
	if (i) {
		printf("unload: the eventfd is still open (%d)\n", i);
		return false;
	}
	i = dump(gw, SHADOW_EPOLL_IOC_READY, &re);
	if (i != 1 || (re.flags & SHADOW_EPOLL_ENTRY_DYING)) {
		printf("unload: the eventfd's hook already ran (%d, %#x)\n",
		       i, i > 0 ? re.flags : 0);
		return false;
	}
	return true;
}

static void release_closer(pid_t pid, int srv);

/*
 * Steps 1-2: returns the closer, blocked in its socket's linger with the
 * final fput of the watched eventfd queued behind it, the instance
 * closed; *srv ends the linger when read.
 */
static pid_t make_orphan(int *srv)
{
	struct rel_ep b = { .kernel = false };
	int gw, efd, cli, go[2];
	int outq = -1, inq = -1;
	pid_t pid;
	char c;

	gw = open(SHADOW_EPOLL_DEVICE, O_RDWR | O_CLOEXEC);
	efd = eventfd(1, EFD_CLOEXEC);
	b.gw = gw;
	if (gw < 0 || efd < 0 || stuck_tcp(&cli, srv) ||
	    pipe2(go, O_CLOEXEC) ||
	    rel_ctl(&b, gw, EPOLL_CTL_ADD, efd, EPOLLIN, 1)) {
		fail("setup: %s", strerror(errno));
		return -1;
	}
	ioctl(cli, SIOCOUTQ, &outq);
	ioctl(*srv, SIOCINQ, &inq);
	/* Adjacent, eventfd first: its fput is queued first. */
	if (dup2(efd, 100) != 100 || dup2(cli, 101) != 101) {
		fail("dup2: %s", strerror(errno));
		return -1;
	}
	close(efd);
	close(cli);
	pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		close(gw);
		close(*srv);
		/* Until the parent dropped its references: ours are the last. */
		close(go[1]);
		if (read(go[0], &c, 1))
			_exit(1);
		syscall(SYS_close_range, 100, 101, 0);
		_exit(0);
	}
	close(100);
	close(101);
	close(go[0]);
	close(go[1]);
	if (!fput_pending(gw, pid)) {
		fail("the eventfd's final fput is not pending (outq %d inq %d)",
		     outq, inq);
		release_closer(pid, *srv);
		return -1;
	}
	/* The instance's release: the eventfd cannot be pinned any more. */
	close(gw);
	return pid;
}

/* Step 4: end the closer's linger; its queued fput runs, it exits. */
static void release_closer(pid_t pid, int srv)
{
	char buf[4096];
	int st;

	while (read(srv, buf, sizeof(buf)) > 0)
		;
	close(srv);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		fail("closer did not exit cleanly (status %#x)", st);
}

static int orphan_hold(void)
{
	int rc, r, e, srv;
	pid_t pid;

	pid = make_orphan(&srv);
	if (pid < 0)
		return 1;
	rc = refcnt();
	r = unload();
	e = errno;
	printf("unload: orphan pending: refcnt %d, delete_module %s\n", rc,
	       r ? strerrorname_np(e) : "succeeded");
	if (rc != 1)
		fail("module refcount %d with an orphan pending, not 1", rc);
	if (!r)
		fail("shadow_epoll unloaded while an orphan was pending");
	else if (e != EAGAIN && e != EBUSY)
		fail("delete_module: %s, not EAGAIN/EBUSY", strerror(e));
	release_closer(pid, srv);
	/* Still loaded: the handler must have dropped the reference. */
	if (r) {
		rc = refcnt();
		printf("unload: after the final fput: refcnt %d\n", rc);
		if (rc != 0)
			fail("module refcount %d after the orphan was freed", rc);
		if (unload_settled())
			fail("delete_module after the fput: %s", strerror(errno));
	}
	return failures;
}

/* -r: the unload races the pending fput. */
static atomic_bool unloaded, stop_unloader;

static void *unloader(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop_unloader)) {
		if (!unload()) {
			atomic_store(&unloaded, true);
			break;
		}
	}
	return NULL;
}

/*
 * One round: an unloader spins from the moment the orphan exists; after a
 * random delay the closer is let go.  An unload that already returned
 * then happened with the fput pending: a failure.  One still in flight is
 * not judged (it may have passed the refcount check after the hook ran).
 */
static int race_round(int i, uint64_t *seed)
{
	bool early;
	pthread_t th;
	pid_t pid;
	int srv;

	if (access(REFCNT, F_OK) && load()) {
		fail("round %d: load %s: %s", i, ko, strerror(errno));
		return -1;
	}
	pid = make_orphan(&srv);
	if (pid < 0)
		return -1;
	atomic_store(&unloaded, false);
	atomic_store(&stop_unloader, false);
	pthread_create(&th, NULL, unloader, NULL);
	usleep(rel_below(seed, 40000));
	early = atomic_load(&unloaded);
	release_closer(pid, srv);
	if (unload_settled() && errno != ENOENT)
		fail("round %d: delete_module: %s", i, strerror(errno));
	atomic_store(&stop_unloader, true);
	pthread_join(th, NULL);
	if (early)
		fail("round %d: unloaded while an orphan was pending", i);
	return early;
}

static int race(int rounds, uint64_t seed)
{
	int i, r, early = 0;

	for (i = 0; i < rounds; i++) {
		r = race_round(i, &seed);
		if (r < 0)
			break;
		early += r;
	}
	printf("unload: race: %d rounds, %d unloaded with the fput pending\n",
	       i, early);
	return failures;
}

int main(int argc, char **argv)
{
	uint64_t seed = (uint64_t)time(NULL) | 1;
	int opt, rounds = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "m:r:s:")) != -1) {
		switch (opt) {
		case 'm': ko = optarg; break;
		case 'r': rounds = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0) | 1; break;
		default:
			fprintf(stderr, "usage: %s [-m KO] [-r ROUNDS] [-s SEED]\n",
				argv[0]);
			return 2;
		}
	}
	if (geteuid() || access(SHADOW_EPOLL_DEVICE, F_OK)) {
		printf("unload: summary: SKIP (needs root and %s)\n",
		       SHADOW_EPOLL_DEVICE);
		return 4;
	}
	if (rounds && !ko) {
		fprintf(stderr, "unload: -r needs -m KO\n");
		return 2;
	}
	printf("unload: seed %#llx\n", (unsigned long long)seed);
	orphan_hold();
	/* Races even after a failure: a splat is the stronger evidence. */
	if (rounds)
		race(rounds, seed);
	if (ko && access(REFCNT, F_OK) && load())
		fail("reload %s: %s", ko, strerror(errno));
	printf("unload: summary: %d failure(s) %s\n", failures,
	       failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
