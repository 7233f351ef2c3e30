# SPDX-License-Identifier: GPL-2.0-only
#
# make install / make uninstall, included by Makefile.
#
#   make install [DESTDIR=dir] [PREFIX=/usr/local] [KDIR=...]
#       install-module: shadow_epoll.ko for KDIR with kbuild's modules_install
#                       (INSTALL_MOD_PATH=$(DESTDIR), INSTALL_MOD_DIR=extra),
#                       then depmod (skipped when DESTDIR is set: run
#                       "depmod <release>" on the target)
#       install-user:   the udev rule, the uapi header under include/linux/,
#                       libshadow_epoll (.so with soname, .a, header,
#                       shadow_epoll.pc), the LD_PRELOAD shim, sep-scenario,
#                       sep-run, sep-inspect,
#                       sep-preload, sep-preload-check, the scenario corpus
#                       under share/shadow-epoll/, the man pages
#   make uninstall [DESTDIR=dir] [PREFIX=...] [KDIR=...]
#       removes all of it, and the directories "make install" created
#       (scripts/install-dirs.sh keeps their list in share/shadow-epoll/)
#
# Directories: BINDIR LIBDIR INCLUDEDIR DATADIR MANDIR PKGCONFIGDIR (under
# PREFIX), UDEVRULESDIR (default /etc/udev/rules.d, which udev reads whatever
# the prefix).  The version is the VERSION file.

VERSION := $(shell cat $(CURDIR)/VERSION)
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
UDEVRULESDIR ?= /etc/udev/rules.d
INSTALL_MOD_DIR ?= extra
DEPMOD ?= depmod
INSTALL ?= install

D := $(DESTDIR)
PKGDATA := $(DATADIR)/shadow-epoll
MANIFEST := $(PKGDATA)/installed-dirs
INSTALL_BUILD := $(CURDIR)/build/install
TOOLS_OUT := $(CURDIR)/build/tools
# The module is built where "make" and the VMs build it (build/mod-<release>,
# reused when the sources did not change), unless KDIR has KUnit: then the
# KUnit module would be built there too, and installing it is not wanted.
MOD_KUNIT := $(shell grep -qE '^CONFIG_KUNIT=[ym]' "$(KDIR)/.config" 2>/dev/null && echo y)
MOD_BUILD := $(if $(MOD_KUNIT),$(INSTALL_BUILD)/mod-$(KVER),$(CURDIR)/build/mod-$(KVER))
MOD_BUILD_ARGS := $(if $(MOD_KUNIT),CONFIG_SHADOW_EPOLL_KUNIT_TEST=)
MODDEST := /lib/modules/$(KVER)/$(INSTALL_MOD_DIR)

# The modules and their directories, from the Kbuild files: the directories
# the top Kbuild adds for CONFIG_SHADOW_EPOLL, the objects each one's Kbuild
# builds for it ("module/shadow_epoll").
kbuild_objs = $(shell sed -n 's/^obj-$$(CONFIG_SHADOW_EPOLL)[[:space:]]*+=//p' $(1))
MOD_SUBDIRS := $(patsubst %/,%,$(call kbuild_objs,Kbuild))
MOD_KOS := $(foreach d,$(MOD_SUBDIRS),$(addprefix $(d)/,$(basename $(call kbuild_objs,$(d)/Kbuild))))
# Every directory the top Kbuild names (kbuild's "clean" visits them all).
KBUILD_SUBDIRS := $(patsubst %/,%,$(shell sed -n 's/^obj-[^+]*+=//p' Kbuild))

UAPI_HDRS := $(wildcard include/uapi/linux/*.h)
LIB_HDRS := tools/lib/libshadow_epoll.h
SCENARIOS_SRC := $(wildcard tools/scenarios/*.sep)
MAN_SRC := $(wildcard man/*.[1-9])
LIB_MAN := libshadow_epoll.3
MAN_PAGES := $(notdir $(MAN_SRC)) $(LIB_MAN)
BIN_TOOLS := sep-scenario sep-preload sep-preload-check sep-run sep-inspect
LIB_SO := libshadow_epoll.so
PRELOAD_SO := libshadow_epoll_preload.so

SUBST = sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@PREFIX@|$(PREFIX)|g' \
	-e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	-e 's|@DATADIR@|$(DATADIR)|g' -e 's|@UDEVRULESDIR@|$(UDEVRULESDIR)|g'

install: install-module install-user
uninstall: uninstall-module uninstall-user
	@scripts/install-dirs.sh remove "$(MANIFEST)" "$(D)"

# --- the module ---------------------------------------------------------------
# Signed by modules_install only if KDIR has the signing key (Debian's
# headers do not).
install-module:
	@[ -f "$(KDIR)/Makefile" ] || { echo "install: no kernel build tree at $(KDIR) (set KDIR=)" >&2; exit 1; }
	SEP_MOD_DIR="$(MOD_BUILD)" scripts/build-module.sh "$(KVER)" "$(KDIR)" $(MOD_BUILD_ARGS)
	@scripts/install-dirs.sh add "$(MANIFEST)" "$(D)" $(addprefix $(MODDEST)/,$(MOD_SUBDIRS))
	key=$$(sed -n 's/^CONFIG_MODULE_SIG_KEY="\(.*\)"$$/\1/p' "$(KDIR)/.config" 2>/dev/null); \
	case $$key in pkcs11:*|/*) ;; *) key="$(KDIR)/$$key" ;; esac; \
	nosign=; case $$key in pkcs11:*) ;; *) [ -f "$$key" ] || nosign=CONFIG_MODULE_SIG_ALL=;; esac; \
	$(MAKE) -C "$(KDIR)" M="$(MOD_BUILD)" INSTALL_MOD_PATH="$(D)" \
		INSTALL_MOD_DIR="$(INSTALL_MOD_DIR)" $$nosign modules_install
	@if [ -z "$(DESTDIR)" ]; then echo "$(DEPMOD) -a $(KVER)"; $(DEPMOD) -a "$(KVER)"; \
	else echo "install: DESTDIR set, depmod skipped (run \"depmod $(KVER)\" on the target)"; fi

uninstall-module:
	@for ko in $(MOD_KOS); do for z in "" .gz .xz .zst; do \
		f="$(D)$(MODDEST)/$$ko.ko$$z"; \
		if [ -e "$$f" ]; then echo "rm $$f"; rm -f "$$f"; fi; \
	done; done
	@if [ -z "$(DESTDIR)" ] && [ -d "/lib/modules/$(KVER)" ]; then \
		echo "$(DEPMOD) -a $(KVER)"; $(DEPMOD) -a "$(KVER)"; fi

# --- userspace ----------------------------------------------------------------
install-build:
	$(MAKE) -C tools OUTPUT="$(TOOLS_OUT)"
	@mkdir -p "$(INSTALL_BUILD)/man"
	@for f in $(MAN_SRC); do $(SUBST) "$$f" >"$(INSTALL_BUILD)/man/$${f##*/}"; done
	@$(SUBST) man/$(LIB_MAN).in >"$(INSTALL_BUILD)/$(LIB_MAN).in"
	scripts/man-lib.sh "$(INSTALL_BUILD)/$(LIB_MAN).in" "$(VERSION)" "-I$(CURDIR)/include/uapi" \
		$(LIB_HDRS) >"$(INSTALL_BUILD)/man/$(LIB_MAN)"
	@$(SUBST) dist/sep-preload.in >"$(INSTALL_BUILD)/sep-preload"
	@$(SUBST) -e 's|^libdir=$(PREFIX)/|libdir=$${prefix}/|' -e 's|^includedir=$(PREFIX)/|includedir=$${prefix}/|' \
		dist/shadow_epoll.pc.in >"$(INSTALL_BUILD)/shadow_epoll.pc"

install-user: install-build
	@scripts/install-dirs.sh add "$(MANIFEST)" "$(D)" "$(BINDIR)" "$(LIBDIR)" \
		"$(INCLUDEDIR)/linux" "$(PKGCONFIGDIR)" "$(PKGDATA)/scenarios" \
		"$(UDEVRULESDIR)" $(sort $(foreach p,$(MAN_PAGES),$(MANDIR)/man$(subst .,,$(suffix $(p)))))
	$(INSTALL) -m 0644 dist/60-shadow-epoll.rules "$(D)$(UDEVRULESDIR)/"
	$(INSTALL) -m 0644 $(UAPI_HDRS) "$(D)$(INCLUDEDIR)/linux/"
	$(INSTALL) -m 0644 $(LIB_HDRS) "$(D)$(INCLUDEDIR)/"
	soname=$$(readelf -d "$(TOOLS_OUT)/$(LIB_SO)" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'); \
	case $$soname in $(LIB_SO).*) ;; *) echo "install: $(LIB_SO) has soname '$$soname'" >&2; exit 1;; esac; \
	$(INSTALL) -m 0755 "$(TOOLS_OUT)/$(LIB_SO)" "$(D)$(LIBDIR)/$(LIB_SO).$(VERSION)" && \
	if [ "$$soname" != "$(LIB_SO).$(VERSION)" ]; then ln -sf "$(LIB_SO).$(VERSION)" "$(D)$(LIBDIR)/$$soname"; fi && \
	ln -sf "$$soname" "$(D)$(LIBDIR)/$(LIB_SO)"
	$(INSTALL) -m 0644 "$(TOOLS_OUT)/libshadow_epoll.a" "$(D)$(LIBDIR)/"
	$(INSTALL) -m 0755 "$(TOOLS_OUT)/$(PRELOAD_SO)" "$(D)$(LIBDIR)/"
	$(INSTALL) -m 0644 "$(INSTALL_BUILD)/shadow_epoll.pc" "$(D)$(PKGCONFIGDIR)/"
	$(INSTALL) -m 0755 "$(TOOLS_OUT)/sep-scenario" "$(D)$(BINDIR)/sep-scenario"
	$(INSTALL) -m 0755 "$(TOOLS_OUT)/sep-run" "$(D)$(BINDIR)/sep-run"
	$(INSTALL) -m 0755 "$(TOOLS_OUT)/sep-inspect" "$(D)$(BINDIR)/sep-inspect"
	$(INSTALL) -m 0755 "$(TOOLS_OUT)/preload-check" "$(D)$(BINDIR)/sep-preload-check"
	$(INSTALL) -m 0755 "$(INSTALL_BUILD)/sep-preload" "$(D)$(BINDIR)/sep-preload"
	$(INSTALL) -m 0644 $(SCENARIOS_SRC) "$(D)$(PKGDATA)/scenarios/"
	@for p in $(MAN_PAGES); do s=$${p##*.}; \
		echo "$(INSTALL) -m 0644 $$p $(D)$(MANDIR)/man$$s/"; \
		$(INSTALL) -m 0644 "$(INSTALL_BUILD)/man/$$p" "$(D)$(MANDIR)/man$$s/" || exit 1; done
	@if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then ldconfig; fi

uninstall-user:
	rm -f "$(D)$(UDEVRULESDIR)/60-shadow-epoll.rules"
	rm -f $(addprefix "$(D)$(INCLUDEDIR)/linux/,$(addsuffix ",$(notdir $(UAPI_HDRS))))
	rm -f $(addprefix "$(D)$(INCLUDEDIR)/,$(addsuffix ",$(notdir $(LIB_HDRS))))
	rm -f "$(D)$(LIBDIR)/$(LIB_SO)" "$(D)$(LIBDIR)"/$(LIB_SO).* "$(D)$(LIBDIR)/libshadow_epoll.a" \
		"$(D)$(LIBDIR)/$(PRELOAD_SO)" "$(D)$(PKGCONFIGDIR)/shadow_epoll.pc"
	rm -f $(addprefix "$(D)$(BINDIR)/,$(addsuffix ",$(BIN_TOOLS)))
	rm -f $(addprefix "$(D)$(PKGDATA)/scenarios/,$(addsuffix ",$(notdir $(SCENARIOS_SRC))))
	@for p in $(MAN_PAGES); do f="$(D)$(MANDIR)/man$${p##*.}/$$p"; \
		if [ -e "$$f" ]; then echo "rm $$f"; rm -f "$$f"; fi; done
	@if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then ldconfig; fi

# For scripts/install-check.sh: the modules, as paths under INSTALL_MOD_DIR.
install-list-modules:
	@printf '%s\n' $(MOD_KOS)

.PHONY: install-list-modules install uninstall install-module uninstall-module install-build install-user uninstall-user
