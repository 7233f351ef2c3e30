# SPDX-License-Identifier: GPL-2.0-only
#
# Wrapper for people; kbuild never reads this file (it reads Kbuild).
#
#   make [modules]     build shadow_epoll.ko for KDIR into build/mod-<release>/
#   make deps          install the Debian packages the scripts need (apt-get)
#   make run           deps, build, boot KERNEL in QEMU, print the report
#                      of /selftests/sep_report (ARGS= are passed to it)
#   make check         deps + everything (scripts/check.sh); last line
#                      "N passed, N failed, N skipped"
#   make style         W=1 + sparse on 6.1 and 6.12, checkpatch, shellcheck
#   make kunit         KUnit suites with kunit.py (scripts/kunit.sh; trees
#                      SEP_KUNIT_KERNELS, default 6.12, e.g. "6.12 7")
#   make selftests     build the kselftests into build/selftests/
#   make vm CMD='...'  boot KERNEL with the module loaded and run CMD
#   make fuzz [SEED=s] [OPS=n] [TRACE_LEN=n]  differential fuzzer in the VM
#   make bench [ARGS=...]  the full benchmark table in the VM on KERNEL
#                      (ARGS=-q: the smoke run of make check)
#   make plant [BUGS='lt-head ovf-lifo']  the fuzzer against planted bugs
#                      (scripts/plant-bug.sh: private module copies)
#   make install       the module for KDIR (+ depmod), udev rule, headers,
#                      libshadow_epoll + shadow_epoll.pc, the LD_PRELOAD shim,
#                      the tools, the scenario corpus, man pages (install.mk;
#                      DESTDIR=, PREFIX= default /usr/local); make uninstall
#   make dkms-src      a clean DKMS source tree in build/dkms/shadow-epoll-<version>
#                      ("dkms add" it; dkms.conf; the version is the VERSION file)
#   make dkms-deb      shadow-epoll-dkms_<version>_all.deb from it (dpkg-deb)
#   make golden        record the sep-conform corpora on in-tree epoll of 6.1
#                      and 6.12 (scripts/conform-golden.sh) into
#                      tools/conform/golden/
#   make conform       build build/conform/sep-conform (static, corpora
#                      embedded); scripts/conform-check.sh runs it in the VMs
#   make clean         remove build/
#
# Variables:
#   KDIR=DIR     kernel build tree for "make modules"
#                (default: /lib/modules/$(uname -r)/build, else Debian's KERNEL)
#   KERNEL=SEL   kernel for run/vm: 6.1 (default), 6.12, 7 or 7.3 (Debian's
#                newest 7.x / 7.3.x, fetched: scripts/debian-kernel.sh), a
#                release string, or the path of a bzImage
#   CMD='...'    shell command for "make vm"
#   ARGS='...'   arguments for sep_report in "make run"
# Environment: SHADOW_EPOLL_KVM=1 (KVM instead of TCG), SHADOW_EPOLL_CACHE.

KDIR ?= /lib/modules/$(shell uname -r)/build
KERNEL ?= 6.1
SEED ?= 1
OPS ?= 1000000
TRACE_LEN ?= 400
# The release a build tree belongs to: /lib/modules/<release>/build or
# .../linux-headers-<release>, else the tree's include/config/kernel.release.
KVER = $(or $(patsubst /lib/modules/%/build,%,$(filter /lib/modules/%/build,$(KDIR))),$\
	$(patsubst linux-headers-%,%,$(filter linux-headers-%,$(notdir $(KDIR:/=)))),$\
	$(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null))
KSRC_CMD = $${KSRC:-$$(scripts/ksrc.sh)}

all: modules

modules:
	@if [ -f "$(KDIR)/Makefile" ]; then \
		scripts/build-module.sh "$(KVER)" "$(KDIR)"; \
	else \
		echo "make: no kernel build tree at $(KDIR) (set KDIR=); building for Debian $(KERNEL)"; \
		scripts/build-module.sh "$(KERNEL)"; \
	fi

deps:
	@scripts/deps.sh

run: deps
	@scripts/run.sh --kernel "$(KERNEL)" -- $(ARGS)

check: deps
	@scripts/check.sh

style:
	@scripts/style.sh

kunit:
	@scripts/kunit.sh

selftests:
	@k=$(KSRC_CMD); $(MAKE) -C selftests OUTPUT="$(CURDIR)/build/selftests" \
		KSRC="$$k" KSFT="$$k/tools/testing/selftests"

vm:
	@scripts/vm-run.sh --kernel "$(KERNEL)" -- $${CMD:+sh -c "$$CMD"}

fuzz:
	@$(MAKE) -s -C selftests/fuzz OUTPUT="$(CURDIR)/build/selftests"
	@scripts/vm-run.sh --kernel "$(KERNEL)" --smp 1 --timeout 1800 -- \
		sep_fuzz -s "$(SEED)" -n "$(OPS)" -t "$(TRACE_LEN)"

bench:
	@$(MAKE) -s -C selftests/bench OUTPUT="$(CURDIR)/build/selftests"
	@$(MAKE) -s -C selftests/fuzz OUTPUT="$(CURDIR)/build/selftests"
	@scripts/vm-run.sh --kernel "$(KERNEL)" --mem 4096 --timeout 1800 \
		--append no_timer_check -- sep_bench $(ARGS)

plant:
	@scripts/plant-bug.sh --kernel "$(KERNEL)" $(BUGS)

# The debug-kernel reliability run (KASAN, lockdep, kmemleak); also a layer
# of "make check".  STRESS=s (default 30), FUZZ=calls (default 100000).
debug-check: deps
	@scripts/debug-check.sh --stress "$(or $(STRESS),30)" --fuzz "$(or $(FUZZ),100000)"

# The DKMS source tree: dkms.conf, VERSION, the Kbuild files, the
# directories the top Kbuild names (install.mk; only the module is built, but
# kbuild's "clean" visits every one) and include/ (the uapi header).
DKMS_SRC = build/dkms/shadow-epoll-$(VERSION)
dkms-src:
	@rm -rf "$(DKMS_SRC)" && mkdir -p "$(DKMS_SRC)"
	rsync -a --exclude='*.o' --exclude='*.ko' --exclude='*.mod*' --exclude='.*' \
		dkms.conf VERSION Kbuild Kconfig include $(KBUILD_SUBDIRS) "$(DKMS_SRC)/"
	@echo "dkms-src: $(DKMS_SRC)"

dkms-deb: dkms-src
	@scripts/dkms-deb.sh "$(DKMS_SRC)" build/dkms

golden:
	@scripts/conform-golden.sh

conform:
	@$(MAKE) -s -C tools/conform OUTPUT="$(CURDIR)/build/conform"

clean:
	rm -rf build

.PHONY: all modules deps run check style kunit selftests vm fuzz bench plant debug-check \
	dkms-src dkms-deb golden conform clean

include install.mk
