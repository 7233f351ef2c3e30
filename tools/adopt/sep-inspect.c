// SPDX-License-Identifier: GPL-2.0-only
/*
 * sep-inspect: print a running process's shadow instances.
 *
 *   sep-inspect [-w|--watch] [-i|--interval MS] PID [FD]
 *
 * For each shadow instance among PID's fds (or FD only): the interest set
 * in fdinfo order, then the ready list in delivery order (while a scan
 * runs: the scan's undelivered items, the overflow arrivals, then the ready
 * list, each marked).  The fds are taken with pidfd_getfd(), which needs
 * ptrace read access to PID (same user and no stricter Yama setting, or
 * CAP_SYS_PTRACE).  --watch reprints whenever the output changes (polled
 * every MS milliseconds, default 100) until interrupted.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "libshadow_epoll.h"

#define CAP	4096

static char *out;
static size_t outlen, outcap;

static __attribute__((format(printf, 1, 2))) void put(const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(out + outlen, outcap - outlen, fmt, ap);
		va_end(ap);
		if (n >= 0 && outlen + n < outcap)
			break;
		outcap = outcap * 2 + n + 64;
		out = realloc(out, outcap);
		if (!out)
			exit(1);
	}
	outlen += n;
}

static const char *eflags(unsigned int f)
{
	if (f & SHADOW_EPOLL_ENTRY_SCAN)
		return "scan";
	if (f & SHADOW_EPOLL_ENTRY_OVFLIST)
		return "ovflist";
	return "ready";
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: sep-inspect [-w|--watch] [-i|--interval MS] PID [FD]\n"
		"       sep-inspect -h|--help\n");
	exit(status);
}

/* Could PID's fd be a shadow instance?  Other files are never touched. */
static int candidate(int pid, int fd)
{
	char p[64], l[64];
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/%d/fd/%d", pid, fd);
	n = readlink(p, l, sizeof(l) - 1);
	if (n < 0)
		return 0;
	l[n] = 0;
	return !strcmp(l, "anon_inode:[eventpoll]") ||
	       !strcmp(l, "anon_inode:[shadow_epoll]") ||
	       !strcmp(l, SHADOW_EPOLL_DEVICE);
}

/* Print one instance; 0 if it is not a shadow instance (a real epoll). */
static int show(int tfd, int fd)
{
	static struct shadow_epoll_interest_entry ie[CAP];
	static struct shadow_epoll_ready_entry re[CAP];
	unsigned int n, m, f, i;
	int r;

	r = shep_interest(fd, ie, CAP);
	if (r < 0)
		return 0;
	n = r;
	r = shep_ready(fd, re, CAP, &f);
	if (r < 0)
		return 0;
	m = r;
	put("fd %d: shadow instance, %u registered, %u queued%s\n", tfd, n, m,
	    (f & SHADOW_EPOLL_DUMP_SCANNING) ? ", scan running" : "");
	put("  interest (fdinfo order):\n");
	for (i = 0; i < n && i < CAP; i++)
		put("    tfd %d events %#x data %#llx ino %llu%s\n", ie[i].fd,
		    ie[i].events, (unsigned long long)ie[i].data,
		    (unsigned long long)ie[i].ino,
		    (ie[i].flags & SHADOW_EPOLL_ENTRY_READY) ? " queued" : "");
	put("  ready (delivery order):\n");
	for (i = 0; i < m && i < CAP; i++)
		put("    %u: tfd %d events %#x data %#llx [%s]\n", i, re[i].fd,
		    re[i].events, (unsigned long long)re[i].data,
		    eflags(re[i].flags));
	if (n > CAP || m > CAP)
		put("  (lists cut at %d entries)\n", CAP);
	return 1;
}

static int one(int pidfd, int pid, int tfd)
{
	int fd, shown;

	if (!candidate(pid, tfd))
		return 0;
	fd = syscall(SYS_pidfd_getfd, pidfd, tfd, 0);
	if (fd < 0) {
		put("fd %d: pidfd_getfd: %s\n", tfd, strerror(errno));
		return 0;
	}
	shown = show(tfd, fd);
	if (!shown)
		put("fd %d: in-tree epoll (not inspectable)\n", tfd);
	close(fd);
	return shown;
}

static int scan(int pidfd, int pid, int tfd)
{
	char p[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (tfd >= 0)
		return one(pidfd, pid, tfd);
	snprintf(p, sizeof(p), "/proc/%d/fd", pid);
	d = opendir(p);
	if (!d) {
		put("%s: %s\n", p, strerror(errno));
		return 0;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n += one(pidfd, pid, atoi(e->d_name));
	closedir(d);
	if (!n)
		put("no shadow instance\n");
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "watch", no_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int watch = 0, ms = 100, pid, tfd = -1, pidfd, c;
	char *prev = NULL;

	while ((c = getopt_long(argc, argv, "wi:h", opts, NULL)) != -1) {
		if (c == 'w')
			watch = 1;
		else if (c == 'i')
			ms = atoi(optarg);
		else if (c == 'h')
			usage(0);
		else
			usage(2);
	}
	if (optind >= argc || argc - optind > 2)
		usage(2);
	pid = atoi(argv[optind]);
	if (argc - optind == 2)
		tfd = atoi(argv[optind + 1]);
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		fprintf(stderr, "sep-inspect: pidfd_open %d: %s\n", pid,
			strerror(errno));
		return 1;
	}
	for (;;) {
		int n;

		outlen = 0;
		n = scan(pidfd, pid, tfd);
		if (!prev || strcmp(prev, out ? out : "")) {
			fputs(out ? out : "", stdout);
			if (watch)
				puts("--");
			fflush(stdout);
			free(prev);
			prev = strdup(out ? out : "");
		}
		if (!watch)
			return n ? 0 : 1;
		if (kill(pid, 0) && errno == ESRCH)
			return 0;
		usleep(ms * 1000);
	}
}
