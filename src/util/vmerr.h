/* vmerr.h - error codes shared by every module.
 *
 * Functions return 0 (or a count) on success and a negative vm_err_t for what a
 * user can cause: a bad file, a bad option, memory or swap running out.
 * Broken invariants are bugs and are asserted instead. */
#ifndef VMLAB_VMERR_H
#define VMLAB_VMERR_H

#include "vmlab_err.h"   /* the codes are public: include/vmlab_err.h */

#endif
