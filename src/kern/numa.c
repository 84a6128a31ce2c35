/* numa.c - NUMA nodes: which node a frame is on, each node's watermarks
 * and policy lists, the memory policy's choice of node for a new frame,
 * the node reclaim works on, local and remote references. */
#include <assert.h>
#include <stdlib.h>

#include "kern/numa.h"
#include "util/vmerr.h"

/* One node: its frames, watermarks and the policy's state for them. */
typedef struct numa_node {
	uint64_t lo, hi;         /* its frames: [lo, hi) */
	uint32_t wmark[3];       /* NUMA_WMARK_*: min, low, high in frames */
	uint64_t resident;       /* pages on its policy lists */
	void *state;             /* the policy's state; it sees frames lo.. as 0.. */
	struct numa *nu;         /* (its hardware bits go through the machine's) */
} numa_node_t;

/* A memory policy (--mempolicy): the node it asks for, and what follows a
 * frame taken for p. */
typedef struct numa_mpol {
	uint32_t (*want)(const vm_machine_t *vm, uint32_t p);
	int strict;              /* that node only (bind); else fall back in turn */
	void (*took)(vm_machine_t *vm, uint32_t p);
} numa_mpol_t;

struct numa {
	vm_machine_t *vm;
	const policy_ops_t *pol; /* the policy each node runs */
	policy_ops_t ops;        /* the table vm->pol points at */
	policy_hw_t hw;          /* the machine's hardware bits, by machine frame */
	const numa_mpol_t *mpol; /* chosen once from cfg.mempolicy */
	uint32_t target;         /* the node reclaim works on */
	uint8_t wide;            /* reclaim's fallback may take any node */
	uint32_t picked;         /* node of the last victim (victim_list) */
	uint32_t hand;           /* direct reclaim but under bind: its next node */
	uint32_t n;              /* nodes */
	numa_node_t node[];
};

int numa_on(const vm_machine_t *vm)
{
	return vm->cfg.numa_nodes != 0;
}

uint64_t numa_bytes(const vm_config_t *cfg)
{
	return cfg->numa_nodes ? sizeof(struct numa) + cfg->numa_nodes * sizeof(numa_node_t) : 0;
}

/* Frames of each node but the last (which takes the remainder). */
static uint64_t numa_per(const vm_machine_t *vm)
{
	return vm->cfg.frames / vm->cfg.numa_nodes;
}

uint32_t numa_node_of(const vm_machine_t *vm, uint64_t f)
{
	uint64_t n = f / numa_per(vm);
	return n >= vm->cfg.numa_nodes ? vm->cfg.numa_nodes - 1 : (uint32_t)n;
}

/* The frames of node n: [*lo, *hi). */
static void numa_range(const vm_machine_t *vm, uint32_t n, uint64_t *lo, uint64_t *hi)
{
	*lo = n * numa_per(vm);
	*hi = n + 1 == vm->cfg.numa_nodes ? vm->cfg.frames : *lo + numa_per(vm);
}

/* The lowest free frame in [lo, hi), or UINT64_MAX. */
static uint64_t numa_first_free(const idset_t *s, uint64_t lo, uint64_t hi)
{
	for (uint64_t f = lo; f < hi;) {
		uint64_t w = f / 64;
		uint64_t bits = w < s->nwords ? ~s->bits[w] >> (f % 64) : ~0ull;
		if (!bits) {
			f = (w + 1) * 64;
			continue;
		}
		f += (uint64_t)__builtin_ctzll(bits);
		return f < hi ? f : UINT64_MAX;
	}
	return UINT64_MAX;
}

/* Free frames in [lo, hi), counting no further than past `enough` (so that
 * "more than w free" costs no more than finding w + 1 of them). */
static uint64_t numa_count_free(const idset_t *s, uint64_t lo, uint64_t hi, uint64_t enough)
{
	uint64_t k = 0;
	for (uint64_t f = lo; f < hi && k <= enough;) {
		uint64_t w = f / 64, end = (w + 1) * 64 < hi ? (w + 1) * 64 : hi;
		uint64_t bits = w < s->nwords ? ~s->bits[w] : ~0ull;
		bits >>= f % 64;
		if (end - f < 64)
			bits &= (1ull << (end - f)) - 1;
		k += (uint64_t)__builtin_popcountll(bits);
		f = end;
	}
	return k;
}

uint64_t numa_node_free(const vm_machine_t *vm, uint32_t n)
{
	uint64_t lo, hi;
	numa_range(vm, n, &lo, &hi);
	return numa_count_free(&vm->free_frames, lo, hi, UINT64_MAX - 1);
}

uint32_t numa_wmark(const vm_machine_t *vm, uint32_t n, int w)
{
	return vm->numa->node[n].wmark[w];
}

int numa_below(const vm_machine_t *vm, uint32_t n, int w)
{
	const numa_node_t *nd = &vm->numa->node[n];
	return numa_count_free(&vm->free_frames, nd->lo, nd->hi, nd->wmark[w]) < nd->wmark[w];
}

/* Whether node n has more free frames than `than`. */
static int numa_free_above(const vm_machine_t *vm, uint32_t n, uint64_t than)
{
	const numa_node_t *nd = &vm->numa->node[n];
	return numa_count_free(&vm->free_frames, nd->lo, nd->hi, than) > than;
}

/* The home node of process index p. */
static uint32_t numa_home(const vm_machine_t *vm, uint32_t p)
{
	if (p >= vm->nprocs)
		return 0;
	return vm->procs[p].numa_home ? (uint32_t)vm->procs[p].numa_home - 1 : vm->procs[p].pid % vm->cfg.numa_nodes;
}

/* The memory policies.  local: the home node; bind: its node; interleave:
 * p's next node (a frame for no process: the machine's). */
static uint32_t mpol_local_want(const vm_machine_t *vm, uint32_t p)
{
	return numa_home(vm, p);
}

static uint32_t mpol_bind_want(const vm_machine_t *vm, uint32_t p)
{
	return vm->cfg.numa_bind;
}

static uint32_t mpol_il_want(const vm_machine_t *vm, uint32_t p)
{
	return (p < vm->nprocs ? vm->procs[p].numa_il : vm->numa_il_next) % vm->cfg.numa_nodes;
}

static void mpol_none_took(vm_machine_t *vm, uint32_t p)
{
}

/* Interleave moves on from the node it asked for, wherever the frame came
 * from (as Linux's il_prev). */
static void mpol_il_took(vm_machine_t *vm, uint32_t p)
{
	uint32_t next = (mpol_il_want(vm, p) + 1) % vm->cfg.numa_nodes;
	if (p < vm->nprocs)
		vm->procs[p].numa_il = (uint16_t)next;
	else
		vm->numa_il_next = next;
}

static const numa_mpol_t numa_mpols[] = {
	[VM_MPOL_LOCAL] = { mpol_local_want, 0, mpol_none_took },
	[VM_MPOL_INTERLEAVE] = { mpol_il_want, 0, mpol_il_took },
	[VM_MPOL_BIND] = { mpol_bind_want, 1, mpol_none_took },
};

int numa_choose(vm_machine_t *vm, uint32_t p, uint32_t *n)
{
	struct numa *nu = vm->numa;
	uint32_t want = nu->mpol->want(vm, p), tries = nu->mpol->strict ? 1 : nu->n;
	/* above the low watermark first, then above min (Linux's fast path,
	 * then its slow path after waking kswapd) */
	for (int w = NUMA_WMARK_LOW; w >= NUMA_WMARK_MIN; w--)
		for (uint32_t k = 0; k < tries; k++) {
			*n = (want + k) % nu->n;
			if (numa_free_above(vm, *n, nu->node[*n].wmark[w]))
				return VM_OK;
		}
	/* reclaim: bind on its node; the others on every node in turn, one
	 * page each time (Linux's direct reclaim shrinks each node of the
	 * zonelist, and wakes every node's kswapd) */
	for (uint32_t k = 0; k < tries; k++) {
		*n = nu->mpol->strict ? want : (nu->hand + k) % nu->n;
		if (nu->node[*n].resident) {
			if (!nu->mpol->strict)
				nu->hand = (*n + 1) % nu->n;
			numa_reclaim_on(vm, *n, !nu->mpol->strict);
			return NUMA_RECLAIM;
		}
	}
	for (uint32_t k = 0; k < tries; k++) { /* nothing to reclaim: below min */
		*n = (want + k) % nu->n;
		if (numa_free_above(vm, *n, 0))
			return VM_OK;
	}
	return VM_ENOSPC;
}

int numa_room(vm_machine_t *vm, uint32_t p)
{
	const struct numa *nu = vm->numa;
	uint32_t want = nu->mpol->want(vm, p), tries = nu->mpol->strict ? 1 : nu->n;
	for (uint32_t k = 0; k < tries; k++) {
		uint32_t n = (want + k) % nu->n;
		if (numa_free_above(vm, n, nu->node[n].wmark[NUMA_WMARK_LOW]))
			return 1;
	}
	return 0;
}

int numa_take(vm_machine_t *vm, uint32_t p, uint32_t n, uint64_t *f)
{
	const numa_node_t *nd = &vm->numa->node[n];
	uint64_t id = numa_first_free(&vm->free_frames, nd->lo, nd->hi);
	assert(id != UINT64_MAX);
	int rc = idset_take_at(&vm->free_frames, id);
	if (rc)
		return rc; /* (host memory for the set's word) */
	numa_huge_took(vm, p, n); /* (the same accounting as a huge page's) */
	*f = id;
	return VM_OK;
}

uint32_t numa_huge_node(const vm_machine_t *vm, uint32_t p, uint32_t k)
{
	const struct numa *nu = vm->numa;
	if (k >= (nu->mpol->strict ? 1 : nu->n))
		return UINT32_MAX;
	return (nu->mpol->want(vm, p) + k) % nu->n;
}

void numa_huge_took(vm_machine_t *vm, uint32_t p, uint32_t n)
{
	if (n != vm->numa->mpol->want(vm, p))
		vm->numa_st.foreign++;
	vm->numa->mpol->took(vm, p);
}

void numa_node_range(const vm_machine_t *vm, uint32_t n, uint64_t *lo, uint64_t *hi)
{
	numa_range(vm, n, lo, hi);
}

int numa_bound(const vm_machine_t *vm, uint32_t *n)
{
	*n = vm->cfg.numa_bind;
	return vm->numa->mpol->strict;
}

void numa_reclaim_on(vm_machine_t *vm, uint32_t n, int wide)
{
	vm->numa->target = n;
	vm->numa->wide = (uint8_t)!!wide;
}

int numa_reclaim_empty(const vm_machine_t *vm)
{
	return vm->numa && vm->numa->node[vm->numa->target].resident == 0;
}

int numa_reclaim_may(const vm_machine_t *vm, uint64_t f)
{
	return !vm->numa || vm->numa->wide || numa_node_of(vm, f) == vm->numa->target;
}

void numa_count(vm_machine_t *vm, uint32_t p, uint64_t f)
{
	if (numa_node_of(vm, f) == numa_home(vm, p))
		vm->numa_st.local++;
	else
		vm->numa_st.remote++;
}

/* The policy table over the nodes: every call goes to the state of the
 * frame's node, with the frame renumbered from the node's first. */

/* The node holding machine frame f, from the table's state. */
static numa_node_t *pol_node(struct numa *nu, frame_id_t f)
{
	return &nu->node[numa_node_of(nu->vm, f)];
}

/* A node's hardware bits: the machine's, for the machine's frame. */
static bool numa_hw_young(void *host, frame_id_t f)
{
	numa_node_t *nd = host;
	return nd->nu->hw.ops->young(nd->nu->hw.host, (frame_id_t)(nd->lo + f));
}

static bool numa_hw_tcy(void *host, frame_id_t f)
{
	numa_node_t *nd = host;
	return nd->nu->hw.ops->test_and_clear_young(nd->nu->hw.host, (frame_id_t)(nd->lo + f));
}

static bool numa_hw_dirty(void *host, frame_id_t f)
{
	numa_node_t *nd = host;
	return nd->nu->hw.ops->dirty(nd->nu->hw.host, (frame_id_t)(nd->lo + f));
}

static const policy_hw_ops_t numa_hw_ops = { numa_hw_young, numa_hw_tcy, numa_hw_dirty };

/* A shadow carries the node that evicted the page (nodes < 2^10, as
 * Linux's shadow entries carry the node): a page that comes back on another
 * node brings no history, which only its old node's clock can read. */
#define NUMA_SHADOW_BITS 10

static void pol_destroy(void *state)
{
	struct numa *nu = state;
	for (uint32_t n = 0; n < nu->n; n++)
		if (nu->node[n].state)
			nu->pol->destroy(nu->node[n].state);
	nu->vm->numa = NULL;
	free(nu);
}

static void pol_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	struct numa *nu = state;
	numa_node_t *nd = pol_node(nu, f);
	policy_page_t own = *pg;
	uint32_t n = (uint32_t)(nd - nu->node);
	own.shadow = pg->shadow && (pg->shadow & ((1u << NUMA_SHADOW_BITS) - 1)) == n
		? pg->shadow >> NUMA_SHADOW_BITS : 0;
	nd->resident++;
	nu->pol->on_fill(nd->state, (frame_id_t)(f - nd->lo), &own);
}

static void pol_access(void *state, frame_id_t f, uint64_t seq)
{
	struct numa *nu = state;
	numa_node_t *nd = pol_node(nu, f);
	nu->pol->on_access(nd->state, (frame_id_t)(f - nd->lo), seq);
}

static policy_shadow_t pol_evict(void *state, frame_id_t f, policy_why_t why)
{
	struct numa *nu = state;
	numa_node_t *nd = pol_node(nu, f);
	assert(nd->resident);
	nd->resident--;
	policy_shadow_t c = nu->pol->on_evict(nd->state, (frame_id_t)(f - nd->lo), why);
	return c ? c << NUMA_SHADOW_BITS | (uint64_t)(nd - nu->node) : 0;
}

/* The victim of the node reclaim works on (numa_reclaim_on). */
static frame_id_t pol_pick(void *state, const policy_page_t *incoming)
{
	struct numa *nu = state;
	uint32_t n = nu->target;
	assert(nu->node[n].resident); /* (reclaim asked numa_reclaim_empty) */
	nu->picked = n;
	return (frame_id_t)(nu->node[n].lo + nu->pol->pick_victim(nu->node[n].state, incoming));
}

static void pol_forget(void *state, page_key_t key)
{
	struct numa *nu = state;
	for (uint32_t n = 0; n < nu->n; n++)
		nu->pol->on_forget(nu->node[n].state, key);
}

static void pol_tick(void *state, uint64_t seq)
{
	struct numa *nu = state;
	for (uint32_t n = 0; n < nu->n; n++)
		nu->pol->on_tick(nu->node[n].state, seq);
}

static const char *pol_victim_list(void *state)
{
	struct numa *nu = state;
	return nu->pol->victim_list(nu->node[nu->picked].state);
}

/* The policy's counters, summed over the nodes. */
static size_t pol_counters(void *state, const char **names, uint64_t *values, size_t max)
{
	struct numa *nu = state;
	size_t k = nu->pol->counters(nu->node[0].state, names, values, max);
	const char **nm = malloc(k * sizeof *nm + 1);
	uint64_t *v = malloc(k * sizeof *v + 1);
	for (uint32_t n = 1; nm && v && n < nu->n; n++) {
		size_t kn = nu->pol->counters(nu->node[n].state, nm, v, k);
		for (size_t i = 0; i < kn && i < k; i++)
			values[i] += v[i];
	}
	free(nm);
	free(v);
	return k;
}

/* The nodes' orders one after the other, node 0 first. */
static size_t pol_order(void *state, frame_id_t *out, size_t max)
{
	struct numa *nu = state;
	size_t done = 0;
	for (uint32_t n = 0; n < nu->n; n++) {
		size_t room = done < max ? max - done : 0;
		size_t k = nu->pol->order(nu->node[n].state, room ? out + done : NULL, room);
		for (size_t i = 0; i < k && i < room; i++)
			out[done + i] += (frame_id_t)nu->node[n].lo;
		done += k;
	}
	return done;
}

static int pol_note(void *state, frame_id_t f, char *buf, size_t len)
{
	struct numa *nu = state;
	numa_node_t *nd = pol_node(nu, f);
	return nu->pol->note(nd->state, (frame_id_t)(f - nd->lo), buf, len);
}

int numa_policy_create(vm_machine_t *vm, const policy_ops_t *pol, const policy_env_t *env)
{
	uint32_t nodes = vm->cfg.numa_nodes;
	struct numa *nu = calloc(1, sizeof *nu + nodes * sizeof nu->node[0]);
	if (!nu)
		return VM_ENOMEM;
	*nu = (struct numa){ .vm = vm, .pol = pol, .ops = *pol, .hw = env->hw,
			     .mpol = &numa_mpols[vm->cfg.mempolicy], .wide = 1, .n = nodes };
	policy_ops_t *o = &nu->ops;
	o->create = NULL; /* (the states are made here) */
	o->destroy = pol_destroy;
	o->on_fill = pol_fill;
	o->on_access = pol->on_access ? pol_access : NULL;
	o->on_evict = pol_evict;
	o->pick_victim = pol_pick;
	o->on_forget = pol->on_forget ? pol_forget : NULL;
	o->on_tick = pol->on_tick ? pol_tick : NULL;
	o->victim_list = pol->victim_list ? pol_victim_list : NULL;
	o->counters = pol->counters ? pol_counters : NULL;
	o->order = pol->order ? pol_order : NULL;
	o->note = pol->note ? pol_note : NULL;
	const uint32_t w[3] = { vm->cfg.wmark_min, vm->cfg.wmark_low, vm->cfg.wmark_high };
	for (uint32_t n = 0; n < nodes; n++) {
		numa_node_t *nd = &nu->node[n];
		numa_range(vm, n, &nd->lo, &nd->hi);
		for (int i = 0; i < 3; i++) /* the node's share, rounded down */
			nd->wmark[i] = (uint32_t)((uint64_t)w[i] * (nd->hi - nd->lo) / vm->cfg.frames);
		nd->nu = nu;
		policy_env_t e = *env;
		e.nframes = (uint32_t)(nd->hi - nd->lo);
		e.frame_priv = env->frame_priv ? (uint8_t *)env->frame_priv + nd->lo * pol->frame_priv_size : NULL;
		e.hw = (policy_hw_t){ &numa_hw_ops, nd };
		nd->state = pol->create(&e);
		if (!nd->state) {
			pol_destroy(nu);
			return VM_ENOMEM;
		}
	}
	vm->numa = nu;
	vm->pol = &nu->ops;
	vm->pol_state = nu;
	return VM_OK;
}
