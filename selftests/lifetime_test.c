// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential tests: lifetime of watched files (close, dup, fork, the dup
 * gotcha), HUP/ERR of closed peers, and the interest set as shown by fdinfo
 * and SHADOW_EPOLL_IOC_INTEREST.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sep_harness.h"
#include "sep_test.h"

FIXTURE(life) {
	struct sep_duo d;
	bool inited;
};

FIXTURE_VARIANT(life) {
	int type;
	int mode;
};

FIXTURE_VARIANT_ADD(life, lt_eventfd) { .type = SEP_EVENTFD, .mode = MODE_LT };
FIXTURE_VARIANT_ADD(life, lt_pipe) { .type = SEP_PIPE, .mode = MODE_LT };
FIXTURE_VARIANT_ADD(life, lt_sock) { .type = SEP_SOCK, .mode = MODE_LT };
FIXTURE_VARIANT_ADD(life, et_eventfd) { .type = SEP_EVENTFD, .mode = MODE_ET };
FIXTURE_VARIANT_ADD(life, et_pipe) { .type = SEP_PIPE, .mode = MODE_ET };
FIXTURE_VARIANT_ADD(life, et_sock) { .type = SEP_SOCK, .mode = MODE_ET };

FIXTURE_SETUP(life)
{
	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(0, sep_duo_setup(&self->d, 5, variant->type, variant->mode,
				   true));
	self->inited = true;
}

FIXTURE_TEARDOWN(life)
{
	if (self->inited)
		sep_duo_fini(&self->d);
}

/* Apply fn to the watched fd of item i on each side; compare results. */
#define EACH(what, expr) ({						\
	int _r[2], _e[2], _s;						\
	for (_s = 0; _s < 2; _s++) {					\
		struct sep_side *side = &self->d.s[_s];			\
		(void)side;						\
		errno = 0;						\
		_r[_s] = (expr);					\
		_e[_s] = errno;						\
	}								\
	EXPECT_EQ(0, sep_cmp_result(what, _r[0], _e[0], _r[1], _e[1])); \
	_r[0];								\
})

static int count_tfd(int ep)
{
	char buf[8192], *p;
	int n = 0;

	if (sep_fdinfo_tfd(ep, buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; (p = strstr(p, "tfd:")); p++)
		n++;
	return n;
}

/* The last close of a watched file removes it (and from the ready list). */
TEST_F(life, close_removes_item)
{
	struct sep_call rec;

	EXPECT_EQ(0, sep_duo_wait(&self->d, 2, 0, &rec));
	/* B was delivered; C still queued: close both */
	EACH("close B", close(side->src[1].rfd));
	EACH("close C", close(side->src[2].rfd));
	if (variant->type == SEP_EVENTFD) {
		self->d.s[0].src[1].wfd = self->d.s[1].src[1].wfd = -1;
		self->d.s[0].src[2].wfd = self->d.s[1].src[2].wfd = -1;
	}
	self->d.s[0].src[1].rfd = self->d.s[1].src[1].rfd = -1;
	self->d.s[0].src[2].rfd = self->d.s[1].src[2].rfd = -1;
	EXPECT_EQ(0, sep_duo_wait(&self->d, 5, 0, &rec));
	EXPECT_EQ(3, count_tfd(self->d.s[0].ep));
	if (sep_shadow_is_device())
		EXPECT_EQ(3, count_tfd(self->d.s[1].ep));
	EXPECT_EQ(0, sep_duo_order(&self->d, NULL));
	EXPECT_EQ(0, self->d.diffs);
}

/* The dup gotcha: close() with a dup alive keeps the item and its data. */
TEST_F(life, close_with_dup_alive)
{
	struct sep_call rec;
	int dupfd[2], old[2], s, r;

	for (s = 0; s < 2; s++) {
		old[s] = self->d.s[s].src[0].rfd;
		dupfd[s] = fcntl(old[s], F_DUPFD_CLOEXEC, 500);
		ASSERT_LE(0, dupfd[s]);
		close(old[s]);
		self->d.s[s].src[0].rfd = dupfd[s];
		if (variant->type == SEP_EVENTFD)
			self->d.s[s].src[0].wfd = dupfd[s];
	}
	EXPECT_EQ(0, sep_duo_wait(&self->d, 8, 0, &rec));
	EXPECT_EQ(5, rec.ret);
	EXPECT_EQ(sep_data(0), rec.data[0]);
	sep_duo_signal(&self->d, 0);
	EXPECT_EQ(0, sep_duo_wait(&self->d, 8, 0, &rec));
	/* DEL with the old number: EBADF; with the dup's: ENOENT */
	r = EACH("DEL old", side->b->ctl(side->ep, EPOLL_CTL_DEL, old[_s], NULL));
	EXPECT_EQ(-1, r);
	r = EACH("DEL dup", side->b->ctl(side->ep, EPOLL_CTL_DEL, dupfd[_s], NULL));
	EXPECT_EQ(-1, r);
	/* fdinfo still shows the old number */
	EXPECT_EQ(5, count_tfd(self->d.s[0].ep));
	/* dup2 back onto the old number, then DEL works */
	EACH("dup2 back", dup2(dupfd[_s], old[_s]) == old[_s] ? 0 : -1);
	r = EACH("DEL restored", side->b->ctl(side->ep, EPOLL_CTL_DEL, old[_s], NULL));
	EXPECT_EQ(0, r);
	EACH("close", close(old[_s]));
	sep_duo_signal(&self->d, 0);
	EXPECT_EQ(0, sep_duo_wait(&self->d, 8, 0, &rec));
	EXPECT_EQ(0, self->d.diffs);
}

/* A dup registered as a second item: both report, independently. */
TEST_F(life, dup_registered_twice)
{
	struct sep_call rec;
	int dupfd[2], s, r;

	for (s = 0; s < 2; s++)
		dupfd[s] = fcntl(self->d.s[s].src[0].rfd, F_DUPFD_CLOEXEC, 500);
	r = EACH("ADD dup", ({
		struct epoll_event ev = { .events = EPOLLIN | EPOLLET,
					  .data.u64 = 0xd0d0 };
		side->b->ctl(side->ep, EPOLL_CTL_ADD, dupfd[_s], &ev); }));
	EXPECT_EQ(0, r);
	EXPECT_EQ(0, sep_duo_wait(&self->d, 3, 0, &rec));
	EXPECT_EQ(0, sep_duo_wait(&self->d, 8, 0, &rec));
	/* close the original: the file lives on, both items stay */
	EACH("close orig", close(side->src[0].rfd));
	for (s = 0; s < 2; s++) {
		self->d.s[s].src[0].rfd = dupfd[s];
		if (variant->type == SEP_EVENTFD)
			self->d.s[s].src[0].wfd = dupfd[s];
	}
	sep_duo_signal(&self->d, 0);
	EXPECT_EQ(0, sep_duo_wait(&self->d, 8, 0, &rec));
	EXPECT_EQ(6, count_tfd(self->d.s[0].ep));
	EXPECT_EQ(0, self->d.diffs);
}

/* fork: the child's reference keeps the item alive until the child exits. */
TEST_F(life, fork_child_keeps_file)
{
	struct sep_call rec;
	int go[2][2], s;
	pid_t pid[2];

	if (variant->type == SEP_EVENTFD)
		SKIP(return, "needs a separate write end");
	ASSERT_EQ(0, pipe(go[0]));
	ASSERT_EQ(0, pipe(go[1]));
	for (s = 0; s < 2; s++) {
		pid[s] = fork();
		ASSERT_LE(0, pid[s]);
		if (pid[s] == 0) {
			char c;

			close(go[0][1]);
			close(go[1][1]);
			if (read(go[s][0], &c, 1) < 0)
				_exit(1);
			_exit(0);
		}
	}
	for (s = 0; s < 2; s++) {
		close(go[s][0]);
		close(self->d.s[s].src[0].rfd);
		self->d.s[s].src[0].rfd = -1;
	}
	EXPECT_EQ(0, sep_duo_wait(&self->d, 8, 0, &rec));
	EXPECT_EQ(5, rec.ret);
	sep_duo_signal(&self->d, 0);
	EXPECT_EQ(0, sep_duo_wait(&self->d, 8, 0, &rec));
	for (s = 0; s < 2; s++) {
		close(go[s][1]);
		waitpid(pid[s], NULL, 0);
	}
	sep_duo_signal(&self->d, 0);
	EXPECT_EQ(0, sep_duo_wait(&self->d, 8, 0, &rec));
	EXPECT_EQ(4, count_tfd(self->d.s[0].ep));
	EXPECT_EQ(0, self->d.diffs);
}

/* fork: parent and child share one instance (one ready list). */
TEST_F(life, fork_shares_instance)
{
	struct sep_call rec;
	struct epoll_event ev[2][4];
	int res[2][2], s, p[2];

	for (s = 0; s < 2; s++) {
		struct sep_side *side = &self->d.s[s];
		pid_t pid;

		ASSERT_EQ(0, pipe(p));
		memset(ev[s], 0xa5, sizeof(ev[s]));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			int out[2];

			errno = 0;
			out[0] = side->b->wait(side->ep, ev[s], 3, 0);
			out[1] = errno;
			if (write(p[1], out, sizeof(out)) != sizeof(out) ||
			    write(p[1], ev[s], sizeof(ev[s])) != sizeof(ev[s]))
				_exit(1);
			_exit(0);
		}
		close(p[1]);
		ASSERT_EQ((ssize_t)sizeof(res[s]), read(p[0], res[s], sizeof(res[s])));
		ASSERT_EQ((ssize_t)sizeof(ev[s]), read(p[0], ev[s], sizeof(ev[s])));
		close(p[0]);
		waitpid(pid, NULL, 0);
	}
	EXPECT_EQ(3, res[0][0]);
	EXPECT_EQ(0, sep_cmp_result("child wait", res[0][0], res[0][1],
				    res[1][0], res[1][1]));
	EXPECT_EQ(0, sep_cmp_bytes("child wait", ev[0], ev[1], sizeof(ev[0])));
	/* the parent sees what the child left */
	EXPECT_EQ(0, sep_duo_wait(&self->d, 8, 0, &rec));
	EXPECT_EQ(0, sep_duo_order(&self->d, NULL));
	EXPECT_EQ(0, self->d.diffs);
}

/* Peer closed: pipe reader gets HUP, pipe writer ERR, socket RDHUP|HUP. */
TEST_F(life, peer_closed)
{
	struct sep_call rec;
	int s, r;

	/* item 1: also watch the write end (pipe/sock) for OUT */
	if (variant->type != SEP_EVENTFD) {
		r = EACH("ADD wfd", ({
			struct epoll_event ev = {
				.events = EPOLLOUT | EPOLLRDHUP |
					  (sep_mode_events(variant->mode, 0) & EPOLLET),
				.data.u64 = 0x77 };
			side->b->ctl(side->ep, EPOLL_CTL_ADD, side->src[1].wfd, &ev); }));
		EXPECT_EQ(0, r);
	}
	r = EACH("MOD RDHUP", ({
		struct epoll_event ev = {
			.events = EPOLLIN | EPOLLRDHUP |
				  (sep_mode_events(variant->mode, 2) & EPOLLET),
			.data.u64 = sep_data(2) };
		side->b->ctl(side->ep, EPOLL_CTL_MOD, side->src[2].rfd, &ev); }));
	EXPECT_EQ(0, r);
	EXPECT_EQ(0, sep_duo_wait(&self->d, 8, 0, &rec));
	for (s = 0; s < 2; s++) {
		struct sep_side *side = &self->d.s[s];

		sep_src_drain(&side->src[2]);
		if (variant->type != SEP_EVENTFD) {
			/* writer of 2 closed; reader of 1 closed */
			close(side->src[2].wfd);
			side->src[2].wfd = -1;
			close(side->src[1].rfd);
			side->src[1].rfd = -1;
		}
	}
	EXPECT_EQ(0, sep_duo_wait(&self->d, 8, 0, &rec));
	if (variant->type == SEP_PIPE) {
		int i, hup = 0;

		for (i = 0; i < rec.n; i++)
			if (rec.data[i] == sep_data(2))
				hup = rec.events[i] == EPOLLHUP;
		EXPECT_EQ(1, hup);
	}
	EXPECT_EQ(0, sep_duo_wait(&self->d, 8, 0, &rec));
	EXPECT_EQ(0, self->d.diffs);
}

/* ---- fdinfo and INTEREST: both instances watch the SAME files ---- */

struct shared {
	int ep[2];
	const struct sep_backend *b[2];
	struct sep_src src[6];
};

static int shared_setup(struct shared *sh)
{
	static const uint32_t masks[6] = {
		EPOLLIN, EPOLLIN | EPOLLET, EPOLLIN | EPOLLONESHOT,
		EPOLLOUT | EPOLLRDHUP, 0x0fffffff, EPOLLIN | EPOLLPRI,
	};
	int s, i;

	sh->b[0] = sep_real();
	sh->b[1] = sep_shadow();
	for (i = 0; i < 6; i++)
		if (sep_src_open(&sh->src[i], i % 3))
			return -1;
	for (s = 0; s < 2; s++) {
		sh->ep[s] = sh->b[s]->create(EPOLL_CLOEXEC);
		if (sh->ep[s] < 0)
			return -1;
		for (i = 0; i < 6; i++) {
			struct epoll_event ev = {
				.events = masks[i],
				.data.u64 = 0x1000000000ull * (i + 1) + i,
			};

			if (sh->b[s]->ctl(sh->ep[s], EPOLL_CTL_ADD,
					  sh->src[i].rfd, &ev))
				return -1;
		}
	}
	/* disarm the ONESHOT item on both; MOD item 5 to 0 */
	for (i = 0; i < 6; i++)
		sep_src_signal(&sh->src[i]);
	for (s = 0; s < 2; s++) {
		struct epoll_event buf[8], zero = { .events = 0, .data.u64 = 5 };

		sh->b[s]->wait(sh->ep[s], buf, 8, 0);
		if (sh->b[s]->ctl(sh->ep[s], EPOLL_CTL_MOD, sh->src[5].rfd, &zero))
			return -1;
	}
	/* a non-zero file position on a pipe shows in pos: (it stays 0) */
	sep_src_drain(&sh->src[1]);
	return 0;
}

static void shared_fini(struct shared *sh)
{
	int i;

	for (i = 0; i < 6; i++)
		sep_src_close(&sh->src[i]);
	close(sh->ep[0]);
	close(sh->ep[1]);
}

TEST(fdinfo_tfd_lines)
{
	struct shared sh;
	char a[8192], b[8192];
	int old, d;

	ASSERT_EQ(0, shared_setup(&sh));
	ASSERT_LT(0, sep_fdinfo_tfd(sh.ep[0], a, sizeof(a)));
	ASSERT_LE(0, sep_fdinfo_tfd(sh.ep[1], b, sizeof(b)));
	EXPECT_STREQ(a, b);
	/* epoll-semantics §8: the stored masks */
	EXPECT_NE(NULL, strstr(a, "events:       19 data:       1000000000  pos:"));
	EXPECT_NE(NULL, strstr(a, "events: 80000019 "));
	EXPECT_NE(NULL, strstr(a, "events: 40000000 "));
	EXPECT_NE(NULL, strstr(a, "events:       18 "));
	/* the dup gotcha: a closed-with-dup fd keeps its old number */
	old = sh.src[0].rfd;
	d = fcntl(old, F_DUPFD_CLOEXEC, 600);
	close(old);
	sh.src[0].rfd = d;
	sh.src[0].wfd = d;
	ASSERT_LT(0, sep_fdinfo_tfd(sh.ep[0], a, sizeof(a)));
	ASSERT_LE(0, sep_fdinfo_tfd(sh.ep[1], b, sizeof(b)));
	EXPECT_STREQ(a, b);
	shared_fini(&sh);
}

/* INTEREST dump = the fdinfo lines of the real epoll, field by field. */
TEST(interest_dump)
{
	struct shadow_epoll_interest_entry e[16];
	struct shared sh;
	char a[8192], *line;
	int n, i = 0;

	if (!sep_shadow_is_device())
		SKIP(return, "INTEREST needs the module");
	ASSERT_EQ(0, shared_setup(&sh));
	ASSERT_LT(0, sep_fdinfo_tfd(sh.ep[0], a, sizeof(a)));
	n = shep_interest(sh.ep[1], e, 16);
	ASSERT_EQ(6, n);
	for (line = strtok(a, "\n"); line; line = strtok(NULL, "\n"), i++) {
		int tfd;
		unsigned int ev, sdev;
		unsigned long long data, ino;
		long long pos;

		ASSERT_GT(n, i);
		ASSERT_EQ(6, sscanf(line, "tfd: %d events: %x data: %llx pos:%lli ino:%llx sdev:%x",
				    &tfd, &ev, &data, &pos, &ino, &sdev));
		EXPECT_EQ(tfd, e[i].fd);
		EXPECT_EQ(ev, e[i].events);
		EXPECT_EQ(data, e[i].data);
		EXPECT_EQ(pos, e[i].pos);
		EXPECT_EQ(ino, e[i].ino);
		EXPECT_EQ(sdev, e[i].sdev);
	}
	EXPECT_EQ(6, i);
	shared_fini(&sh);
}

/* Closing the instance with items queued; a new one starts empty. */
TEST_F(life, close_instance)
{
	struct sep_call rec;
	int s;

	EXPECT_EQ(0, sep_duo_wait(&self->d, 1, 0, &rec));
	for (s = 0; s < 2; s++) {
		struct sep_side *side = &self->d.s[s];

		side->b->close(side->ep);
		side->ep = side->b->create(0);
		ASSERT_LE(0, side->ep);
	}
	EXPECT_EQ(0, sep_duo_wait(&self->d, 8, 0, &rec));
	EXPECT_EQ(0, rec.ret);
	EXPECT_EQ(0, sep_duo_ctl(&self->d, EPOLL_CTL_ADD, 3, EPOLLIN));
	EXPECT_EQ(0, sep_duo_wait(&self->d, 8, 0, &rec));
	EXPECT_EQ(1, rec.ret);
	EXPECT_EQ(0, self->d.diffs);
}

SEP_REQUIRE_SHADOW_MAIN
