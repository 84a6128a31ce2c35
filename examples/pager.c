/* pager.c - libvmpager in a few lines: 1 MiB of memory under a 64 KiB
 * budget, written and read back, every page going through the swap file.
 *   cc examples/pager.c -Iinclude build/libvmlab.a -pthread -lzstd -lz -llzma -lbz2 -lm */
#include <stdio.h>
#include <string.h>

#include "vmlab_pager.h"

int main(void)
{
	char err[512];
	vp_config_t cfg = { .budget = 64 << 10, .policy = "clock", .errbuf = err, .errlen = sizeof err };
	vp_pager_t *p;
	if (vp_open(&cfg, &p)) {
		fprintf(stderr, "pager: %s\n", err);
		return 1;
	}
	size_t len = 1 << 20;
	unsigned char *a = vp_map(p, len);
	if (!a) {
		perror("vp_map");
		vp_close(p);
		return 1;
	}
	for (size_t i = 0; i < len; i++)
		a[i] = (unsigned char)(i * 7 + i / 4096);
	size_t bad = 0;
	for (size_t i = 0; i < len; i++)
		bad += a[i] != (unsigned char)(i * 7 + i / 4096);
	printf("%zu bytes wrong\n", bad);
	vp_stats_json(p, stdout);
	vp_close(p);
	return bad != 0;
}
