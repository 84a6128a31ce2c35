#include "vmerr.h"

const char *vm_strerror(int err)
{
	switch (err) {
	case VM_OK: return "success";
	case VM_EINVAL: return "invalid input";
	case VM_ENOMEM: return "out of host memory";
	case VM_EIO: return "input/output error";
	case VM_ENOSPC: return "swap space is full";
	case VM_ERANGE: return "value out of range";
	case VM_ENOENT: return "not found";
	case VM_EPERM: return "not permitted";
	case VM_ESRCH: return "no such process";
	case VM_ENOTSUP: return "not supported";
	case VM_EEXIST: return "already exists";
	case VM_EFAULT: return "segmentation fault";
	case VM_EKILLED: return "killed by the out-of-memory killer";
	case VM_ELIMIT: return "a limit was reached";
	}
	return "unknown error";
}
