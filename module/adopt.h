/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shadow_epoll: adoption of the epoll system calls for a cgroup (adopt.c).
 */
#ifndef _SHADOW_EPOLL_ADOPT_H
#define _SHADOW_EPOLL_ADOPT_H

#include "../include/uapi/linux/shadow_epoll.h"

long sep_adopt(const struct shadow_epoll_adopt_args *args);
void sep_adopt_put(void);
void sep_adopt_exit(void);

/* adopt.c's direct-call targets (asm; the address is all C needs). */
void sep_direct_epoll_wait(void);
void sep_direct_epoll_ctl(void);
void sep_direct_epoll_pwait(void);
void sep_direct_epoll_pwait2(void);

#endif /* _SHADOW_EPOLL_ADOPT_H */
