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
 * closes, in one close_range(), a watched eventfd and then the read end of
 * a pipe whose mutex is held blocks in the pipe's release with the
 * eventfd's __fput queued behind it.  The mutex is held by a writer whose
 * copy from user memory faults on a userfaultfd page we leave missing.
 * That makes the window deterministic:
 *
 *  1. the closer child holds the only references to an eventfd that our
 *     instance watches and to the pipe's read end, and closes both; we
 *     wait until its fds are gone, the eventfd's count is 0 (the INTEREST
 *     dump skips it) and its hook has not run (the READY dump shows it,
 *     not dying);
 *  2. we close the instance: its release finds the eventfd unpinnable, the
 *     item becomes an orphan;
 *  3. the orphan must hold the module: /sys/module/shadow_epoll/refcnt is 1
 *     and delete_module() fails with EAGAIN/EBUSY.  (Before the fix the
 *     count was 0 and the unload succeeded: it removed the kprobe with the
 *     fput still pending; had that fput run between the kprobe's removal
 *     and the unload's sweep of the index, the sweep would have unhooked
 *     the orphan from a freed wait queue);
 *  4. we fill the page: the writer finishes, the closer's pipe release
 *     goes on, the eventfd's __fput runs the hook, which frees the orphan
 *     and drops the reference; refcnt is 0 again and the unload succeeds.
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
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "sep_rel.h"

#define REFCNT	"/sys/module/shadow_epoll/refcnt"
#define PG	4096

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

/*
 * After a load, give the kprobe optimizer time to replace the module's
 * int3 probe on __fput with a jump (it is patched some time after the
 * list already says [OPTIMIZED]).  An int3 handler runs as an NMI on x86,
 * and lockdep then reports the handler's spinlock: a known limitation of
 * the module on kernels whose probe is not ftrace-based, not what this
 * test is about.  Debian's kernels put it on ftrace ([FTRACE]): no wait.
 */
static void probe_settle(void)
{
	char line[256];
	bool ftrace = false;
	FILE *f;

	f = fopen("/sys/kernel/debug/kprobes/list", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " __fput+0x0") && strstr(line, "[FTRACE]"))
			ftrace = true;
	fclose(f);
	if (!ftrace)
		sleep(2);
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
/*
 * The pipe whose mutex a writer holds: its write() copies from @page,
 * which is registered with userfaultfd and missing, so the copy waits
 * (with the pipe's mutex held) until release_blocker() fills the page.
 */
struct blocker {
	int uffd;
	void *page;
	int rd, wr;
	pthread_t writer;
};

static void *blocker_write(void *arg)
{
	struct blocker *bl = arg;

	if (write(bl->wr, bl->page, 1) != 1)
		fail("blocked write: %s", strerror(errno));
	return NULL;
}

static int blocker_init(struct blocker *bl)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int p[2];

	bl->uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	bl->page = mmap(NULL, PG, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bl->uffd < 0 || bl->page == MAP_FAILED ||
	    ioctl(bl->uffd, UFFDIO_API, &api) || pipe2(p, O_CLOEXEC))
		return -1;
	reg.range.start = (unsigned long)bl->page;
	reg.range.len = PG;
	if (ioctl(bl->uffd, UFFDIO_REGISTER, &reg))
		return -1;
	bl->rd = p[0];
	bl->wr = p[1];
	return 0;
}

/* Start the writer; returns once its copy waits on the missing page. */
static int blocker_arm(struct blocker *bl)
{
	struct uffd_msg msg;

	if (pthread_create(&bl->writer, NULL, blocker_write, bl))
		return -1;
	if (read(bl->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return -1;
	return 0;
}

/* Fill the page: the writer finishes and drops the pipe's mutex. */
static void release_blocker(struct blocker *bl)
{
	struct uffdio_zeropage zp = {
		.range = { .start = (unsigned long)bl->page, .len = PG },
	};

	if (ioctl(bl->uffd, UFFDIO_ZEROPAGE, &zp))
		fail("UFFDIO_ZEROPAGE: %s", strerror(errno));
	pthread_join(bl->writer, NULL);
	close(bl->wr);
	close(bl->uffd);
	munmap(bl->page, PG);
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
 * pipe's runs first and blocks).  Nothing here may take a reference on
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
	i = shep_interest(gw, &ie, 1);
	if (i) {
		printf("unload: the eventfd is still open (%d)\n", i);
		return false;
	}
	i = shep_ready(gw, &re, 1, NULL);
	if (i != 1 || (re.flags & SHADOW_EPOLL_ENTRY_DYING)) {
		printf("unload: the eventfd's hook already ran (%d, %#x)\n",
		       i, i > 0 ? re.flags : 0);
		return false;
	}
	return true;
}

static void release_closer(pid_t pid, struct blocker *bl);

/*
 * Steps 1-2: returns the closer, blocked in the pipe's release with the
 * final fput of the watched eventfd queued behind it, the instance
 * closed; release_closer() lets it go.
 *
 * The instance is libshadow_epoll's gateway (an open() of the device is an
 * instance): closing and forgetting it leaves no shadow fd open, as the
 * refcnt check and the unload need.
 */
static pid_t make_orphan(struct blocker *bl)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
	int gw, efd, go[2];
	pid_t pid;
	char c;

	gw = shep_gateway();
	efd = eventfd(1, EFD_CLOEXEC);
	if (gw < 0 || efd < 0 || blocker_init(bl) || pipe2(go, O_CLOEXEC) ||
	    shep_ctl(gw, EPOLL_CTL_ADD, efd, &ev)) {
		fail("setup: %s", strerror(errno));
		return -1;
	}
	/* Adjacent, eventfd first: its fput is queued first. */
	if (dup2(efd, 100) != 100 || dup2(bl->rd, 101) != 101) {
		fail("dup2: %s", strerror(errno));
		return -1;
	}
	close(efd);
	close(bl->rd);
	pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		close(gw);
		close(bl->wr);
		close(bl->uffd);
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
	if (blocker_arm(bl)) {
		fail("the pipe writer did not block: %s", strerror(errno));
		return -1;
	}
	close(go[1]);
	if (!fput_pending(gw, pid)) {
		fail("the eventfd's final fput is not pending");
		release_closer(pid, bl);
		return -1;
	}
	/* The instance's release: the eventfd cannot be pinned any more. */
	close(gw);
	shep_gateway_forget();
	return pid;
}

/* Step 4: let the pipe's release go on; the queued fput runs, it exits. */
static void release_closer(pid_t pid, struct blocker *bl)
{
	int st;

	release_blocker(bl);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		fail("closer did not exit cleanly (status %#x)", st);
}

static int orphan_hold(void)
{
	struct blocker bl;
	int rc, r, e;
	pid_t pid;

	pid = make_orphan(&bl);
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
	release_closer(pid, &bl);
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
	struct blocker bl;
	bool early;
	pthread_t th;
	pid_t pid;

	if (access(REFCNT, F_OK) && load()) {
		fail("round %d: load %s: %s", i, ko, strerror(errno));
		return -1;
	}
	probe_settle();
	pid = make_orphan(&bl);
	if (pid < 0)
		return -1;
	atomic_store(&unloaded, false);
	atomic_store(&stop_unloader, false);
	pthread_create(&th, NULL, unloader, NULL);
	usleep(rel_below(seed, 40000));
	early = atomic_load(&unloaded);
	release_closer(pid, &bl);
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
