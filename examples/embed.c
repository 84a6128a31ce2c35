/* embed.c - vmlab as a library: Belady's string on 3 frames under FIFO, LRU
 * and OPT (OPT through vm_nextuse_build), and an error code's text.
 *
 *   cc embed.c $(pkg-config --cflags --libs vmlab) -o embed && ./embed
 *
 * prints "fifo 9", "lru 10", "opt 7" (faults), then the text of VM_ENOENT. */
#include <stdio.h>
#include <stdlib.h>

#include <vmlab.h>

int main(void)
{
	static const uint64_t belady[] = { 1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5 };
	const size_t n = sizeof belady / sizeof belady[0];
	const char *policies[] = { "fifo", "lru", "opt" };
	for (int p = 0; p < 3; p++) {
		vm_config_t cfg;
		vm_config_default(&cfg);
		cfg.frames = 3;
		cfg.policy = policies[p];
		uint64_t *next = NULL;
		char err[256];
		vm_machine_t *vm;
		if (vm_nextuse_build(belady, NULL, n, &next) ||
		    vm_create(&vm, &cfg, next, err, sizeof err)) {
			fprintf(stderr, "embed: cannot build the machine\n");
			return 1;
		}
		for (size_t i = 0; i < n; i++)
			if (vm_ref(vm, 0, belady[i], VM_READ))
				return 1;
		printf("%s %llu\n", vm_policy_name(vm), (unsigned long long)vm_stats(vm)->page_faults);
		vm_destroy(vm);
		free(next);
	}
	vm_config_t bad;
	vm_config_default(&bad);
	bad.policy = "nonesuch";
	char err[256];
	int rc = vm_config_check(&bad, err, sizeof err);
	printf("%d %s, library %s\n", rc, vm_strerror(rc), vm_version());
	return 0;
}
