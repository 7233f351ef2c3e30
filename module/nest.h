/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shadow_epoll: the loop, depth and wakeup-path checks of a nested
 * EPOLL_CTL_ADD, under sep_nested_mutex (nest.c).
 */
#ifndef _SHADOW_EPOLL_NEST_H
#define _SHADOW_EPOLL_NEST_H

#include <linux/fs.h>

#include "sep.h"

/*
 * Files whose wakeup paths an ADD must check, as the kernel's list: a set of
 * pinned files, each once.  A nested ADD can collect millions, so
 * membership is an open-addressing hash table of file pointers (linear
 * probing, at most 3/4 full): adding costs O(1) at any size.  The files
 * are also kept in the order they came, in @files: the walks over the set
 * then follow the interest sets' order (file address order), which keeps
 * them local, where hash order would touch the files at random.  Both
 * arrays are kvmalloc'ed (no high-order allocation) and charged to the
 * caller's memory cgroup.  Only the ADD that holds sep_nested_mutex uses
 * its set.
 */
struct sep_tfiles {
	struct file **files;
	struct file **slots;
	unsigned int n;
	unsigned int cap;
	unsigned int bits;
	int error;
};

bool sep_nest_being_checked(struct sep_instance *ep);
int sep_nest_begin(struct sep_instance *ep, struct file *tfile,
		   struct sep_tfiles *tf);
void sep_nest_end(struct sep_tfiles *tf);
int sep_nest_check_paths(struct sep_tfiles *tf, struct file *tfile,
			 bool is_epoll);

#endif /* _SHADOW_EPOLL_NEST_H */
