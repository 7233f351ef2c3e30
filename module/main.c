// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll: module init/exit, the misc device and the file operations.
 *
 * Every open() of /dev/shadow_epoll is one instance; SHADOW_EPOLL_IOC_CREATE
 * makes more as anon-inode files.  Both kinds share sep_fops, which is how
 * an fd is recognised as an instance.  Each instance file pins the module,
 * so it cannot be unloaded while instances exist.
 *
 * The device is mode 0600 unless the dev_mode parameter says otherwise.
 * epoll_create() needs no privilege, and every limit (max_user_watches,
 * nesting) is enforced per user exactly as for epoll, but a module that any
 * user can reach widens the attack surface of every machine it is loaded
 * on, so access is the administrator's choice: dev_mode=0660 with a udev
 * rule for the group, or 0666 for a test machine.  An fd passed on keeps
 * working for its new holder, as any open file does.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/seq_file.h>

#include "adopt.h"
#include "fileindex.h"
#include "hook.h"
#include "instance.h"
#include "ioctl.h"
#include "object.h"

static int sep_open(struct inode *inode, struct file *file)
{
	struct sep_instance *ep = sep_instance_alloc();

	if (!ep)
		return -ENOMEM;
	ep->file = file;
	file->private_data = ep;
	return 0;
}

static int sep_release(struct inode *inode, struct file *file)
{
	struct sep_instance *ep = file->private_data;
	bool adopted = ep->adopted;

	sep_instance_release(ep);
	if (adopted)
		sep_adopt_put();
	return 0;
}

static __poll_t sep_poll(struct file *file, poll_table *wait)
{
	return sep_instance_poll(file->private_data, wait, 0);
}

static void sep_fdinfo_line(void *ctx, const struct sep_item *item,
			    struct file *file, u32 flags)
{
	struct seq_file *m = ctx;
	struct inode *inode = file_inode(file);

	/* i_ino: unsigned long until 7.x, u64 after; the same digits either way */
	seq_printf(m, "tfd: %8d events: %8x data: %16llx  pos:%lli ino:%llx sdev:%x\n",
		   item->fd, (__force u32)READ_ONCE(item->events), item->data,
		   (long long)file->f_pos, (unsigned long long)inode->i_ino,
		   inode->i_sb->s_dev);
}

/* The same per-registration lines as an epoll fd's fdinfo. */
static void sep_show_fdinfo(struct seq_file *m, struct file *f)
{
	sep_interest_walk(f->private_data, sep_fdinfo_line, m);
}

/*
 * Every instance file, opened or created; identifies instances (handed to
 * object.c at load, see sep_is_shadow_file()).
 */
static const struct file_operations sep_fops = {
	.owner		= THIS_MODULE,
	.open		= sep_open,
	.release	= sep_release,
	.poll		= sep_poll,
	.unlocked_ioctl	= sep_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
	.show_fdinfo	= sep_show_fdinfo,
};

static ushort dev_mode = 0600;
module_param(dev_mode, ushort, 0444);
MODULE_PARM_DESC(dev_mode,
		 "Mode of /dev/shadow_epoll: read/write bits only (default 0600)");

static struct miscdevice sep_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "shadow_epoll",
	.fops	= &sep_fops,
};

static int __init sep_init(void)
{
	int error;

	/*
	 * Wakeup chains keep per-CPU state under spinlocks, and deferred
	 * wakeups run in hard irq context: neither holds where spinlocks
	 * sleep.
	 */
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		pr_err("PREEMPT_RT kernels are not supported\n");
		return -EOPNOTSUPP;
	}
	if (dev_mode & ~0666) {
		pr_err("dev_mode %#o: only read/write bits may be given\n",
		       dev_mode);
		return -EINVAL;
	}
	sep_misc.mode = dev_mode;
	sep_ioctl_init(sep_adopt);
	error = sep_object_init(&sep_fops);
	if (error)
		return error;
	sep_hook_init();
	error = sep_index_init();
	if (error)
		goto out_object;
	error = misc_register(&sep_misc);
	if (error)
		goto out_index;
	return 0;

out_index:
	sep_index_exit();
out_object:
	sep_object_exit();
	return error;
}

/* In the reverse order of sep_init(); the deferred wakeups end first. */
static void __exit sep_exit(void)
{
	misc_deregister(&sep_misc);
	sep_adopt_exit();
	sep_index_exit();
	sep_hook_exit();
	sep_object_exit();
}

module_init(sep_init);
module_exit(sep_exit);

MODULE_DESCRIPTION("Shadow epoll: an inspectable re-implementation of epoll");
MODULE_LICENSE("GPL");
MODULE_VERSION(SEP_VERSION);
