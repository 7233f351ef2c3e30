// SPDX-License-Identifier: GPL-2.0-only
/*
 * Who may open /dev/shadow_epoll: the node's mode is the module's dev_mode
 * parameter (read/write bits only, default 0600), and a user the mode does
 * not admit gets EACCES from open() while an fd handed to it keeps working.
 * Runs as root (the VM); the unprivileged side runs as nobody in a child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sep_harness.h"

#include <linux/shadow_epoll.h>

#define PARAM_PATH	"/sys/module/shadow_epoll/parameters/dev_mode"
#define NOBODY		65534

static unsigned int param_mode(void)
{
	unsigned int mode = ~0U;
	FILE *f = fopen(PARAM_PATH, "r");

	if (!f)
		return ~0U;
	if (fscanf(f, "%u", &mode) != 1)
		mode = ~0U;
	fclose(f);
	return mode;
}

/*
 * In a child as nobody: open the device (-errno or 0), and use @inherited
 * (an instance fd opened by root) to create an instance (-errno or 0).
 */
static void as_nobody(int inherited, int *open_res, int *use_res)
{
	struct shadow_epoll_create_args c = { .size = sizeof(c) };
	int pipefd[2], res[2] = { 1, 1 };
	pid_t pid;

	if (pipe(pipefd))
		return;
	pid = fork();
	if (pid == 0) {
		int fd;

		close(pipefd[0]);
		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(2);
		fd = open(SHADOW_EPOLL_DEVICE, O_RDWR);
		res[0] = fd < 0 ? -errno : 0;
		fd = ioctl(inherited, SHADOW_EPOLL_IOC_CREATE, &c);
		res[1] = fd < 0 ? -errno : 0;
		if (write(pipefd[1], res, sizeof(res)) != sizeof(res))
			_exit(3);
		_exit(0);
	}
	close(pipefd[1]);
	if (pid > 0 && read(pipefd[0], res, sizeof(res)) != sizeof(res))
		res[0] = res[1] = 1;
	close(pipefd[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	*open_res = res[0];
	*use_res = res[1];
}

/* The node carries exactly the parameter's mode, owned by root. */
TEST(node_mode_is_the_parameter)
{
	unsigned int mode = param_mode();
	struct stat st;

	ASSERT_NE(~0U, mode);
	ASSERT_EQ(0U, mode & ~0666U);
	ASSERT_EQ(0, stat(SHADOW_EPOLL_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(mode, st.st_mode & 07777);
	EXPECT_EQ(0U, (unsigned int)st.st_uid);
}

/* Others' bits decide for nobody; a passed fd works either way. */
TEST(nobody_opens_only_if_the_mode_admits_others)
{
	unsigned int mode = param_mode();
	int fd, open_res = 1, use_res = 1;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to nobody");
	ASSERT_NE(~0U, mode);
	fd = open(SHADOW_EPOLL_DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	as_nobody(fd, &open_res, &use_res);
	if ((mode & 06) == 06) {
		EXPECT_EQ(0, open_res);
	} else {
		EXPECT_EQ(-EACCES, open_res);
	}
	EXPECT_EQ(0, use_res);
	close(fd);
}

TEST_HARNESS_MAIN
