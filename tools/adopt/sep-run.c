// SPDX-License-Identifier: GPL-2.0-only
/*
 * sep-run: run a program with its epoll system calls adopted by the shadow.
 *
 *   sep-run [-l|--log] [-c|--cgroup DIR] [--] PROG [ARGS...]
 *
 * Makes a cgroup (by default a child of sep-run's own, "sep-run.<pid>"),
 * hands it to the module (SHADOW_EPOLL_IOC_ADOPT), and runs PROG in it:
 * PROG and everything it starts get shadow instances from epoll_create*,
 * and their epoll calls on those are served by the shadow, entered from the
 * system calls themselves.  --log writes one line per adopted call to
 * stderr.  --cgroup DIR uses DIR (made if missing).  The exit status is
 * PROG's (128 + signal if it was killed).  The cgroup sep-run made is
 * removed when PROG has exited and nothing is left in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libshadow_epoll.h"

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: sep-run [-l|--log] [-c|--cgroup DIR] [--] PROG [ARGS...]\n"
		"       sep-run -h|--help\n");
	exit(status);
}

/* The cgroup2 mount point and our own cgroup's path under it. */
static int own_cgroup(char *buf, size_t len)
{
	char line[PATH_MAX], mnt[PATH_MAX / 2] = "";
	char *path = NULL;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - cgroup2 ");
		char m[PATH_MAX / 2];

		if (dash && sscanf(line, "%*s %*s %*s %*s %2047s", m) == 1) {
			strcpy(mnt, m);
			break;
		}
	}
	fclose(f);
	f = fopen("/proc/self/cgroup", "r");
	if (!f || !mnt[0]) {
		if (f)
			fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			path = line + 3;
			path[strcspn(path, "\n")] = 0;
			break;
		}
	fclose(f);
	if (!path)
		return -1;
	if (strcmp(path, "/") && strlen(mnt) + strlen(path) < len)
		strcat(strcpy(buf, mnt), path);
	else
		strcpy(buf, mnt);
	return 0;
}

static int join_cgroup(const char *dir)
{
	char procs[PATH_MAX + 16];
	int fd, ok;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = write(fd, "0", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

static int adopt(const char *dir, int log)
{
	int cgfd, scope;

	if (shep_gateway() < 0) {
		fprintf(stderr, "sep-run: %s: %s\n", shep_device_path(),
			strerror(errno));
		return -1;
	}
	cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		fprintf(stderr, "sep-run: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	scope = shep_adopt(cgfd, log ? STDERR_FILENO : -1);
	if (scope < 0 && log && errno == EBADF)
		fprintf(stderr, "sep-run: adopt %s: --log needs standard error to be a regular file (2>FILE)\n",
			dir);
	else if (scope < 0)
		fprintf(stderr, "sep-run: adopt %s: %s\n", dir, strerror(errno));
	close(cgfd);
	/* Only the scope fd stays open while PROG runs. */
	close(shep_gateway());
	shep_gateway_forget();
	return scope;
}

static int run(char **argv, const char *dir)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		perror("sep-run: fork");
		return 125;
	}
	if (!pid) {
		if (join_cgroup(dir)) {
			fprintf(stderr, "sep-run: join %s: %s\n", dir,
				strerror(errno));
			_exit(125);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "sep-run: %s: %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	/* Interrupts go to PROG (same process group); we wait for it. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 125;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log", no_argument, NULL, 'l' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	char dir[PATH_MAX];
	const char *cg = NULL;
	int log = 0, made = 0, scope, c, rc;

	while ((c = getopt_long(argc, argv, "+lc:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			log = 1;
			break;
		case 'c':
			cg = optarg;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (optind >= argc)
		usage(2);
	if (cg) {
		snprintf(dir, sizeof(dir), "%s", cg);
	} else {
		char own[PATH_MAX / 2];

		if (own_cgroup(own, sizeof(own))) {
			fprintf(stderr, "sep-run: no cgroup2 mount\n");
			return 125;
		}
		snprintf(dir, sizeof(dir), "%s/sep-run.%d", own, (int)getpid());
	}
	if (mkdir(dir, 0755) == 0)
		made = 1;
	else if (errno != EEXIST) {
		fprintf(stderr, "sep-run: mkdir %s: %s\n", dir, strerror(errno));
		return 125;
	}
	scope = adopt(dir, log);
	rc = scope < 0 ? 125 : run(argv + optind, dir);
	if (scope >= 0)
		close(scope);
	if (made && rmdir(dir) && errno == EBUSY)
		fprintf(stderr, "sep-run: %s still has processes; left in place\n",
			dir);
	return rc;
}
