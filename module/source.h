/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shadow_epoll: synthetic pollable sources (test double control plane).
 */
#ifndef _SHADOW_EPOLL_SOURCE_H
#define _SHADOW_EPOLL_SOURCE_H

#include "ioctl.h"

long sep_source_create(const void __user *uarg);

#endif /* _SHADOW_EPOLL_SOURCE_H */
