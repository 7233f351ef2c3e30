// SPDX-License-Identifier: GPL-2.0-only
/*
 * preload-check: a dynamically linked epoll program for the shim's own
 * checks.  It prints what it observes; run it with and without
 *   LD_PRELOAD=libshadow_epoll_preload.so
 * and the two outputs must be identical.  Covers: errno of bad calls,
 * poll() on the epoll fd, dup, fork (child waits on the inherited
 * instance), a program that closes every fd (close_range) or dup2()s over
 * the gateway number, epoll_pwait/epoll_pwait2, EFAULT, nesting.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void show(const char *what, int ret)
{
	if (ret < 0)
		printf("%-44s = -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%-44s = %d\n", what, ret);
}

static void showev(const char *what, int ret, struct epoll_event *ev)
{
	int i;

	if (ret <= 0) {
		show(what, ret);
		return;
	}
	printf("%-44s = %d:", what, ret);
	for (i = 0; i < ret; i++)
		printf(" {0x%x,%llu}", ev[i].events,
		       (unsigned long long)ev[i].data.u64);
	printf("\n");
}

static int ready_fd(void)
{
	return eventfd(1, EFD_CLOEXEC);
}

int main(void)
{
	struct epoll_event ev = { .events = EPOLLIN }, out[8];
	struct timespec ts = { 0, 1000000 };
	struct pollfd pfd;
	sigset_t none;
	int ep, ep2, a, b, d, st, i, r;
	pid_t pid;
	struct epoll_event *volatile nullbuf = NULL;

	setvbuf(stdout, NULL, _IONBF, 0);
	sigemptyset(&none);
	show("epoll_create(0)", epoll_create(0));
	show("epoll_create(-1)", epoll_create(-1));
	show("epoll_create1(42)", epoll_create1(42));
	ep = epoll_create1(EPOLL_CLOEXEC);
	show("epoll_create1(EPOLL_CLOEXEC)", ep);
	a = ready_fd();
	b = ready_fd();
	ev.data.u64 = 1;
	show("ctl ADD a", epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev));
	show("ctl ADD a again", epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev));
	show("ctl ADD ep itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
	show("ctl MOD b (not added)", epoll_ctl(ep, EPOLL_CTL_MOD, b, &ev));
	show("ctl ADD badfd", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev));
	show("ctl ADD event=NULL", epoll_ctl(ep, EPOLL_CTL_ADD, b, NULL));
	show("ctl bad op", epoll_ctl(ep, 17, b, &ev));
	show("ctl on a non-epoll epfd", epoll_ctl(a, EPOLL_CTL_ADD, b, &ev));
	ev.data.u64 = 2;
	ev.events = EPOLLIN | EPOLLET;
	show("ctl ADD b ET", epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev));
	show("wait max=0", epoll_wait(ep, out, 0, 0));
	show("wait buf=NULL", epoll_wait(ep, nullbuf, 1, 0));
	show("wait badfd", epoll_wait(999, out, 1, 0));
	showev("wait max=1", epoll_wait(ep, out, 1, 0), out);
	showev("pwait max=8", epoll_pwait(ep, out, 8, 0, &none), out);
	showev("pwait2 1ms", epoll_pwait2(ep, out, 8, &ts, NULL), out);
	pfd.fd = ep;
	pfd.events = POLLIN;
	show("poll(epfd)", poll(&pfd, 1, 0));
	printf("%-44s = 0x%x\n", "poll(epfd).revents", pfd.revents);

	/* nesting: an epoll in an epoll */
	ep2 = epoll_create1(0);
	show("epoll_create1(0)", ep2);
	ev.events = EPOLLIN;
	ev.data.u64 = 77;
	show("ctl ADD ep into ep2", epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &ev));
	show("ctl ADD ep2 into ep (loop)", epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &ev));
	showev("wait ep2", epoll_wait(ep2, out, 8, 0), out);

	/* dup and fork */
	d = dup(ep);
	showev("wait on dup(ep)", epoll_wait(d, out, 8, 0), out);
	close(d);
	pid = fork();
	if (pid == 0) {
		r = epoll_wait(ep, out, 8, 100);
		printf("%-44s = %d\n", "child: wait inherited ep", r);
		_exit(r == 1 ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	show("child exit status", WEXITSTATUS(st));

	/* a program that closes everything (close_range) and starts over */
	fflush(stdout);
	show("close_range(3, ~0U, 0)", close_range(3, ~0U, 0));
	ep = epoll_create1(0);
	show("epoll_create1 after close_range", ep);
	a = ready_fd();
	ev.data.u64 = 5;
	show("ctl ADD after close_range", epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev));
	showev("wait after close_range", epoll_wait(ep, out, 8, 0), out);

	/* a program that dup2()s its own file over every high fd */
	for (i = 900; i < 1100; i++)
		dup2(a, i);
	show("ctl DEL after dup2 over 900..1099", epoll_ctl(ep, EPOLL_CTL_DEL, a, NULL));
	showev("wait after dup2", epoll_wait(ep, out, 8, 0), out);
	for (i = 900; i < 1100; i++)
		close(i);
	show("wait after closing 900..1099", epoll_wait(ep, out, 8, 0));
	show("close(ep)", close(ep));
	show("wait on closed ep", epoll_wait(ep, out, 8, 0));
	return 0;
}
