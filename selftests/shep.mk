# SPDX-License-Identifier: GPL-2.0-only
#
# libshadow_epoll (tools/lib) for the programs of selftests/fuzz,
# selftests/reliability and selftests/bench: compiled into each program, so
# that the three Makefiles never race on one object in the shared OUTPUT.

SHEP    := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))../tools/lib)
CFLAGS  += -I$(SHEP)
LIB     := $(SHEP)/libshadow_epoll.c
LIBHDRS := $(SHEP)/libshadow_epoll.h $(SHEP)/shep_util.h
