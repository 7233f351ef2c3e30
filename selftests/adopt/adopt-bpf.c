// SPDX-License-Identifier: GPL-2.0-only
/*
 * adopt-bpf SECONDS|- fentry|fexit FUNC...: attach an empty BPF tracing
 * program (a BPF trampoline, which the kernel places with an ftrace direct
 * call) to each kernel function FUNC, keep them for SECONDS (with "-": until
 * SIGTERM or SIGINT), then print each program's run count (counted while
 * kernel.bpf_stats_enabled is 1).
 *
 * sep-adopt.sh uses it to put tracing programs where adoption hooks: on the
 * four __x64_sys_epoll_* calls the module takes by their epfd.  No libbpf:
 * the function's BTF id is found by walking /sys/kernel/btf/vmlinux.
 *
 * Output, one line per function: "bpf: FUNC: attached", "bpf: FUNC: attach:
 * ERRNO-TEXT" or "bpf: FUNC: load: ...", then "bpf: holding" once all are
 * tried, and "bpf: FUNC: run_cnt N" at the end.
 * Exit status 0 if every program attached, 1 otherwise, 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_FUNCS 16
#define BTF_MAX (64 << 20)

static char *btf;

/* Bytes of type data after a struct btf_type of this kind and vlen. */
static size_t btf_extra(unsigned int kind, unsigned int vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_DATASEC:
		return 12 * (size_t)vlen;
	case BTF_KIND_ENUM:
	case BTF_KIND_FUNC_PROTO:
		return 8 * (size_t)vlen;
	case BTF_KIND_ENUM64:
		return 12 * (size_t)vlen;
	default:
		return 0;
	}
}

/* The BTF id of function @name in the kernel's BTF, or -1. */
static int btf_func_id(const char *name)
{
	const struct btf_header *h = (const void *)btf;
	const char *t = btf + h->hdr_len + h->type_off;
	const char *end = t + h->type_len;
	const char *strs = btf + h->hdr_len + h->str_off;
	int id = 1;

	while (t < end) {
		const struct btf_type *bt = (const void *)t;
		unsigned int kind = BTF_INFO_KIND(bt->info);

		if (kind == BTF_KIND_FUNC && !strcmp(strs + bt->name_off, name))
			return id;
		t += sizeof(*bt) + btf_extra(kind, BTF_INFO_VLEN(bt->info));
		id++;
	}
	return -1;
}

static int btf_load(void)
{
	int fd = open("/sys/kernel/btf/vmlinux", O_RDONLY);
	size_t len = 0;
	ssize_t r;

	btf = malloc(BTF_MAX);
	if (fd < 0 || !btf)
		return -1;
	while ((r = read(fd, btf + len, BTF_MAX - len)) > 0)
		len += r;
	close(fd);
	return len ? 0 : -1;
}

static long sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(SYS_bpf, cmd, a, sizeof(*a));
}

/* Load and attach an empty program ("return 0") on @func: its fd, or -1. */
static int attach(const char *func, int fexit)
{
	static char log[65536];
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;
	int pfd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_TRACING;
	a.expected_attach_type = fexit ? BPF_TRACE_FEXIT : BPF_TRACE_FENTRY;
	a.attach_btf_id = btf_func_id(func);
	a.insns = (uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (uintptr_t)"GPL";
	a.log_buf = (uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	pfd = sys_bpf(BPF_PROG_LOAD, &a);
	if (pfd < 0) {
		printf("bpf: %s: load: %s\n%s\n", func, strerror(errno), log);
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.prog_fd = pfd;
	if (sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a) < 0) {
		printf("bpf: %s: attach: %s\n", func, strerror(errno));
		close(pfd);
		return -1;
	}
	printf("bpf: %s: attached\n", func);
	return pfd;
}

static unsigned long long run_cnt(int pfd)
{
	struct bpf_prog_info info;
	union bpf_attr a;

	memset(&info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = pfd;
	a.info.info_len = sizeof(info);
	a.info.info = (uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0)
		return 0;
	return info.run_cnt;
}

static void on_signal(int sig)
{
	(void)sig;
}

/* Hold until SIGTERM or SIGINT: blocked first, so one sent early is not lost. */
static void hold_until_signal(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("bpf: holding\n");
	fflush(stdout);
	sigsuspend(&old);
}

int main(int argc, char **argv)
{
	int fds[MAX_FUNCS], n = argc - 3, i, failed = 0;

	if (argc < 4 || n > MAX_FUNCS ||
	    (strcmp(argv[2], "fentry") && strcmp(argv[2], "fexit"))) {
		fprintf(stderr, "usage: adopt-bpf SECONDS|- fentry|fexit FUNC...\n");
		return 2;
	}
	if (btf_load()) {
		printf("bpf: no kernel BTF\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		fds[i] = attach(argv[3 + i], !strcmp(argv[2], "fexit"));
		failed |= fds[i] < 0;
		fflush(stdout);
	}
	if (!strcmp(argv[1], "-")) {
		hold_until_signal();
	} else {
		printf("bpf: holding\n");
		fflush(stdout);
		sleep(atoi(argv[1]));
	}
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			printf("bpf: %s: run_cnt %llu\n", argv[3 + i],
			       run_cnt(fds[i]));
	return failed;
}
