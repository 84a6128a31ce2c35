/* vmlab_err.h - the error codes of the public API (prefix VM_, vm_).
 *
 * Functions return 0 (or a count) on success and a negative vm_err_t for what a
 * user can cause: a bad file, a bad option, memory or swap running out.
 * Broken invariants are bugs and are asserted instead. */
#ifndef VMLAB_ERR_H
#define VMLAB_ERR_H

typedef enum vm_err {
	VM_OK = 0,
	VM_EINVAL = -1,   /* malformed input or option */
	VM_ENOMEM = -2,   /* host memory allocation failed */
	VM_EIO = -3,      /* reading or writing a host file failed */
	VM_ENOSPC = -4,   /* swap space is full */
	VM_ERANGE = -5,   /* a number or address out of range */
	VM_ENOENT = -6,   /* no such file, policy or format */
	VM_EPERM = -7,    /* path refused (outside the allowed folder) */
	VM_ESRCH = -8,    /* no such process (or it has died) */
	VM_ENOTSUP = -9,  /* the combination asked for is not supported */
	VM_EEXIST = -10,  /* already exists (a process number in use) */
	VM_EFAULT = -11,  /* the access killed the process with SIGSEGV */
	VM_EKILLED = -12, /* the process was killed by the OOM killer */
	VM_ELIMIT = -13,  /* a limit the user set was reached (--max-memory, --max-steps) */
} vm_err_t;

/* Short English text for an error code; never NULL. */
const char *vm_strerror(int err);

#endif
