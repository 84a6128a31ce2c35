/* kern.h - every internal header of the kernel at once, for tests and
 * tools that look inside a machine.  No file of src/kern includes it: each
 * includes the header of its own layer, which includes the ones below
 * (README.md here draws the layers; `make layers` checks them). */
#ifndef VMLAB_KERN_H
#define VMLAB_KERN_H

#include "kern/ref.h"
#include "kern/explain.h"

#endif
