/* html.c - the interactive HTML view: see html.h.
 *
 * The page is the data (a JSON block), then one inline script that draws
 * the step the fragment names (#step=K; 0 is before anything happened) and
 * redraws on the buttons, the slider, the arrow keys and a change of the
 * fragment.  Nothing is loaded from anywhere. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "html.h"
#include "hw/pte.h"
#include "kern/explain.h"

void html_buf_printf(html_buf_t *b, const char *fmt, ...)
{
	if (b->oom)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		size_t room = b->cap - b->n;
		int k = vsnprintf(b->s ? b->s + b->n : NULL, room, fmt, ap);
		va_end(ap);
		if (k < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)k < room) {
			b->n += (size_t)k;
			return;
		}
		size_t cap = b->cap ? b->cap : 256;
		while (cap <= b->n + (size_t)k)
			cap *= 2;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->oom = 1;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

void html_buf_json(html_buf_t *b, const char *s)
{
	html_buf_printf(b, "\"");
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			html_buf_printf(b, "\\%c", *c);
		else if (*c < 0x20 || *c == '<' || *c == '>' || *c == '&' || *c == 0x7f)
			html_buf_printf(b, "\\u%04x", *c);
		else
			html_buf_printf(b, "%c", *c);
	}
	html_buf_printf(b, "\"");
}

void html_buf_free(html_buf_t *b)
{
	free(b->s);
	*b = (html_buf_t){ 0 };
}

/* Text for the page's <title> and heading: HTML-escaped. */
static void html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			fputc(*s, f);
	}
}

static const char html_css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:16px;color:#222;background:#fafafa}\n"
	"h1{font-size:18px;margin:0 0 4px}.sub{color:#555;margin-bottom:10px}\n"
	"#controls{display:flex;gap:8px;align-items:center;margin:8px 0}\n"
	"#controls input[type=range]{flex:1}\n"
	"button{font:inherit;padding:2px 10px}\n"
	"pre{background:#fff;border:1px solid #ccc;padding:6px 8px;white-space:pre-wrap;margin:6px 0}\n"
	".counts{font-size:16px;margin:6px 0}.counts b{font-variant-numeric:tabular-nums}\n"
	"#refs{display:flex;flex-wrap:wrap;gap:2px;margin:8px 0;max-height:120px;overflow:auto}\n"
	".ref{min-width:22px;padding:1px 3px;text-align:center;border:1px solid #bbb;border-radius:3px;cursor:pointer;background:#eee;color:#777}\n"
	".ref.hit{background:#c8efc8;color:#124d12;border-color:#6b6}\n"
	".ref.miss{background:#f6c6c6;color:#6d1111;border-color:#d66}\n"
	".ref.major{background:#e08a8a;color:#fff;border-color:#a33}\n"
	".ref.cur{outline:3px solid #236;outline-offset:1px}\n"
	".panes{display:flex;gap:18px;flex-wrap:wrap;align-items:flex-start}\n"
	"table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}\n"
	"th{background:#eee}tr.ref-frame td{background:#dde8ff}tr.victim td{background:#fde3c8}\n"
	"td.used{background:#eef6ee}td.hitway{background:#c8efc8}\n"
	".chip{display:inline-block;border:1px solid #999;border-radius:3px;padding:0 5px;margin:1px;background:#fff}\n"
	".bits{display:flex;gap:6px;margin:8px 0}.field{border:1px solid #999;padding:2px 6px;text-align:center;background:#fff}\n"
	".field .b{font-family:monospace;font-size:16px;letter-spacing:2px}.field.on{background:#ffe9a8;border-color:#b80}\n"
	".kv div{font-family:monospace;padding:0 4px}.kv div.on{background:#ffe9a8}.kv div.past{color:#444}.kv div.future{color:#bbb}\n"
	".note{color:#666;font-size:12px}\n";

/* The script, shared by both views: D is the data, draw(k) the view. */
static const char html_js_common[] =
	"const D=JSON.parse(document.getElementById('data').textContent);\n"
	"const $=id=>document.getElementById(id);\n"
	"function el(tag,cls,text){const e=document.createElement(tag);if(cls)e.className=cls;if(text!==undefined)e.textContent=text;return e;}\n"
	"let K=0;const MAX=D.nsteps;\n"
	"function fromHash(){const m=/step=(\\d+)/.exec(location.hash);return m?Math.min(MAX,parseInt(m[1],10)):D.start;}\n"
	"function go(k){K=Math.max(0,Math.min(MAX,k));$('slider').value=K;draw(K);}\n"
	"$('slider').max=MAX;\n"
	"$('back').onclick=()=>go(K-1);$('fwd').onclick=()=>go(K+1);\n"
	"$('first').onclick=()=>go(0);$('last').onclick=()=>go(MAX);\n"
	"$('slider').oninput=e=>go(parseInt(e.target.value,10));\n"
	"document.addEventListener('keydown',e=>{if(e.key==='ArrowRight')go(K+1);else if(e.key==='ArrowLeft')go(K-1);});\n"
	"window.addEventListener('hashchange',()=>go(fromHash()));\n";

static const char html_js_run[] =
	"const S=D.steps;\n"
	"const refs=$('refs');\n"
	"S.forEach((s,i)=>{const r=el('span','ref',s[1]+(s[2]==='W'?'w':''));r.title='step '+(i+1);r.onclick=()=>go(i+1);refs.appendChild(r);});\n"
	"function draw(k){\n"
	" const s=k?S[k-1]:null;\n"
	" $('stepno').textContent=k;$('stepmax').textContent=MAX;\n"
	" $('hits').textContent=s?s[9]:0;$('misses').textContent=s?s[10]:0;\n"
	" $('line').textContent=s?s[0].replace(/\\n$/,''):'(before the first reference)';\n"
	" Array.from(refs.children).forEach((r,i)=>{const t=S[i];r.className='ref'+(i<k?(t[4]===0?' hit':t[4]===2?' major':' miss'):'')+(i===k-1?' cur':'');});\n"
	" const mem=s?s[11]:[];const byFrame={};mem.forEach((m,i)=>byFrame[m[0]]={page:m[1],note:m[2],pos:i});\n"
	" const tb=$('frames');tb.textContent='';\n"
	" const rows=D.frames<=1024?[...Array(D.frames).keys()]:mem.map(m=>m[0]).sort((a,b)=>a-b);\n"
	" rows.forEach(f=>{const tr=el('tr');const m=byFrame[f];\n"
	"  if(s&&f===s[5])tr.className='ref-frame';else if(s&&f===s[6])tr.className='victim';\n"
	"  tr.appendChild(el('td','',f));tr.appendChild(el('td','',m?m.page:'-'));tr.appendChild(el('td','',m&&m.note?m.note:''));\n"
	"  tr.appendChild(el('td','',m?(m.pos+1):''));\n"
	"  let what='';if(s&&f===s[5])what=s[4]?'page '+s[1]+' loaded':'page '+s[1]+' referenced';\n"
	"  if(s&&f===s[6])what='replaced '+s[7]+(s[8]?' (written back)':' (clean)')+(f===s[5]?', then page '+s[1]+' loaded':'');\n"
	"  tr.appendChild(el('td','',what));tb.appendChild(tr);});\n"
	" const ord=$('order');ord.textContent='';ord.appendChild(document.createTextNode(D.first+' \\u2192 '));\n"
	" mem.forEach(m=>ord.appendChild(el('span','chip',m[1]+(m[2]?' ('+m[2]+')':''))));\n"
	" ord.appendChild(document.createTextNode(' \\u2190 '+D.last));\n"
	" const tt=$('tlb');tt.textContent='';\n"
	" if(!D.sets){tt.appendChild(el('tr','',''));tt.firstChild.appendChild(el('td','','no TLB'));}\n"
	" else{const h=el('tr');h.appendChild(el('th','','set'));for(let w=0;w<D.ways;w++)h.appendChild(el('th','','way '+w));tt.appendChild(h);\n"
	"  const cell={};(s?s[12]:[]).forEach(t=>cell[t[0]+':'+t[1]]=t);\n"
	"  for(let set=0;set<D.sets;set++){const tr=el('tr');tr.appendChild(el('th','',set));\n"
	"   for(let w=0;w<D.ways;w++){const t=cell[set+':'+w];const td=el('td',t?'used':'',t?('page '+t[2]+' \\u2192 frame '+t[3]):'');\n"
	"    if(t&&s&&t[2]===s[1]&&s[3])td.className='hitway';tr.appendChild(td);}\n"
	"   tt.appendChild(tr);}}\n"
	" $('tlbout').textContent=s?(s[3]?'tlb-hit':'tlb-miss'):'';\n"
	"}\n"
	"go(fromHash());\n";

static const char html_js_explain[] =
	"const ST=[];D.vas.forEach((v,vi)=>{ST.push([vi,'va']);ST.push([vi,'tlb']);v.levels.forEach((l,li)=>ST.push([vi,li]));ST.push([vi,'result']);});\n"
	"function lines(v){const out=[];out.push(['va','VA: '+v.va],['va','access: '+v.access]);\n"
	" if(v.mode)out.push(['va','mode: '+v.mode],['va','half: '+v.half]);\n"
	" out.push(['va','VA_bits: '+v.fields.map(f=>f[1]).join(' ')],['va','VPN: '+v.vpn],['va','VPO: '+v.vpo]);\n"
	" out.push(['tlb','TLBI: '+v.tlbi],['tlb','TLBT: '+v.tlbt],['tlb','TLB: '+v.tlb]);\n"
	" v.levels.forEach((l,i)=>{const n='L'+(i+1);out.push([i,n+'_index: '+l[0]],[i,n+'_pte_addr: '+l[1]],[i,n+'_pte: '+l[2]],[i,n+'_pte_bits: '+l[3]]);});\n"
	" out.push(['result','PPN: '+v.ppn],['result','PA: '+v.pa],['result','result: '+v.result]);return out;}\n"
	"function order(v,stage){return stage==='va'?0:stage==='tlb'?1:stage==='result'?2+v.levels.length:2+stage;}\n"
	"function draw(k){\n"
	" const [vi,stage]=ST[Math.min(k,ST.length-1)];const v=D.vas[vi];\n"
	" $('stepno').textContent=k;$('stepmax').textContent=MAX;\n"
	" $('which').textContent='VA '+(vi+1)+' of '+D.vas.length+': '+v.va+(v.mode?', '+v.mode+' mode':'');\n"
	" const bits=$('bits');bits.textContent='';\n"
	" v.fields.forEach((f,i)=>{const on=stage==='va'||(stage==='tlb'&&f[0]!=='VPO')||(stage===i)||(stage==='result'&&f[0]==='VPO');\n"
	"  const d=el('div','field'+(on?' on':''));d.appendChild(el('div','b',f[1]));d.appendChild(el('div','',f[0]+' '+f[2]));bits.appendChild(d);});\n"
	" const kv=$('kv');kv.textContent='';const cur=order(v,stage);const now=[];\n"
	" lines(v).forEach(([s,t])=>{const o=order(v,s);kv.appendChild(el('div',o===cur?'on':o<cur?'past':'future',t));if(o===cur)now.push(t);});\n"
	" $('now').textContent=now.join('\\n');\n"
	"}\n"
	"go(fromHash());\n";

static const char html_body_run[] =
	"<div id=\"controls\"><button id=\"first\">&#x25C0;&#x25C0; first</button><button id=\"back\">&#x25C0; back</button>"
	"<input type=\"range\" id=\"slider\" min=\"0\" value=\"0\"><button id=\"fwd\">forward &#x25B6;</button>"
	"<button id=\"last\">last &#x25B6;&#x25B6;</button><span>step <b id=\"stepno\">0</b> of <b id=\"stepmax\">0</b></span></div>\n"
	"<div class=\"counts\">Hits: <b id=\"hits\">0</b> &nbsp; Misses: <b id=\"misses\">0</b> &nbsp; <span id=\"tlbout\"></span></div>\n"
	"<pre id=\"line\"></pre>\n"
	"<div>Reference string (green hit, red miss, dark red major; click one to go there):</div><div id=\"refs\"></div>\n"
	"<div>Memory in the policy's order: <span id=\"order\"></span></div>\n"
	"<div class=\"panes\"><div><h3>Frames</h3><table><thead><tr><th>frame</th><th>page</th><th>policy</th><th>order</th><th>this step</th></tr></thead>"
	"<tbody id=\"frames\"></tbody></table></div>\n"
	"<div><h3>TLB</h3><table id=\"tlb\"></table></div></div>\n";

static const char html_body_explain[] =
	"<div id=\"controls\"><button id=\"first\">&#x25C0;&#x25C0; first</button><button id=\"back\">&#x25C0; back</button>"
	"<input type=\"range\" id=\"slider\" min=\"0\" value=\"0\"><button id=\"fwd\">forward &#x25B6;</button>"
	"<button id=\"last\">last &#x25B6;&#x25B6;</button><span>step <b id=\"stepno\">0</b> of <b id=\"stepmax\">0</b></span></div>\n"
	"<h3 id=\"which\"></h3><div class=\"bits\" id=\"bits\"></div>\n"
	"<div>This step:</div><pre id=\"now\"></pre>\n"
	"<div class=\"kv\" id=\"kv\"></div>\n";

/* Write the page: head, heading, body, the data (data's text, then the
 * items of its last array, then "]}") and the scripts.  Returns 0 or the
 * exit status after a message. */
static int html_write_page(const char *path, const char *title, const char *sub,
			   const char *body, const html_buf_t *data, const html_buf_t *items,
			   const char *js)
{
	if (data->oom || items->oom) {
		fprintf(stderr, "vmlab: --html: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "vmlab: cannot write %s: %s\n", path, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
	html_text(f, title);
	fprintf(f, "</title>\n<style>\n%s</style></head>\n<body>\n<h1>", html_css);
	html_text(f, title);
	fputs("</h1>\n<div class=\"sub\">", f);
	html_text(f, sub);
	fprintf(f, "</div>\n%s<script type=\"application/json\" id=\"data\">", body);
	fwrite(data->s, 1, data->n, f);
	if (items->n)
		fwrite(items->s, 1, items->n, f);
	fprintf(f, "]}</script>\n<script>\n%s%s</script>\n</body></html>\n", html_js_common, js);
	return cli_close_output(f, path);
}

/* ---- run ---- */

struct html_run {
	html_buf_t data;          /* the "steps" array so far, without its brackets */
	uint64_t asked;           /* the steps asked for (--steps N, or all) */
	uint64_t max_steps, nsteps, cells;
	uint32_t frames, sets, ways;
	char policy[32];
	const char *first, *last;
	vm_resident_t *res;
	vm_tlb_slot_t *tlb;
	size_t tlb_cap;
};

html_run_t *html_run_new(vm_machine_t *vm, uint64_t max_steps)
{
	html_run_t *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	const vm_config_t *c = vm_config(vm);
	h->frames = c->frames;
	vm_tlb_shape(vm, &h->sets, &h->ways);
	snprintf(h->policy, sizeof h->policy, "%s", vm_policy_name(vm));
	vm_resident_ends(vm, &h->first, &h->last);
	h->asked = max_steps;
	h->max_steps = max_steps < HTML_MAX_STEPS ? max_steps : HTML_MAX_STEPS;
	h->tlb_cap = (size_t)h->sets * h->ways;
	h->res = calloc(h->frames, sizeof *h->res);
	h->tlb = calloc(h->tlb_cap ? h->tlb_cap : 1, sizeof *h->tlb);
	if (!h->res || !h->tlb) {
		html_run_free(h);
		return NULL;
	}
	return h;
}

int html_run_wants(const html_run_t *h)
{
	return h->nsteps < h->max_steps && h->cells < HTML_MAX_CELLS;
}

/* The page as the lines name it. */
static void html_page(html_buf_t *b, uint32_t pid, uint64_t vpn)
{
	char name[48];
	if (pid)
		snprintf(name, sizeof name, "%u:%llu", pid, (unsigned long long)vpn);
	else
		snprintf(name, sizeof name, "%llu", (unsigned long long)vpn);
	html_buf_json(b, name);
}

void html_run_step(html_run_t *h, vm_machine_t *vm, const char *line, const vm_step_t *s,
		   uint64_t hits, uint64_t misses)
{
	html_buf_t *b = &h->data;
	html_buf_printf(b, "%s\n[", h->nsteps ? "," : "");
	html_buf_json(b, line);
	html_buf_printf(b, ",");
	html_page(b, s->pid, s->vpn);
	html_buf_printf(b, ",\"%c\",%d,%d,%d,%d,", s->kind, s->tlb_hit, s->fault,
			s->frame == UINT32_MAX ? -1 : (int)s->frame,
			s->evicted ? (int)s->victim_frame : -1);
	if (s->evicted)
		html_page(b, s->victim_pid, s->victim_vpn);
	else
		html_buf_printf(b, "null");
	html_buf_printf(b, ",%d,%llu,%llu,[", s->victim_written, (unsigned long long)hits,
			(unsigned long long)misses);
	size_t n = vm_resident(vm, h->res, h->frames);
	if (n > h->frames)
		n = h->frames;
	for (size_t i = 0; i < n; i++) {
		html_buf_printf(b, "%s[%u,", i ? "," : "", h->res[i].frame);
		html_page(b, h->res[i].pid, h->res[i].vpn);
		html_buf_printf(b, ",");
		html_buf_json(b, h->res[i].note);
		html_buf_printf(b, "]");
	}
	html_buf_printf(b, "],[");
	size_t t = vm_tlb_slots(vm, h->tlb, h->tlb_cap);
	if (t > h->tlb_cap)
		t = h->tlb_cap;
	for (size_t i = 0; i < t; i++) {
		html_buf_printf(b, "%s[%u,%u,", i ? "," : "", h->tlb[i].set, h->tlb[i].way);
		html_page(b, h->tlb[i].pid, h->tlb[i].vpn);
		html_buf_printf(b, ",%llu]", (unsigned long long)h->tlb[i].pfn);
	}
	html_buf_printf(b, "]]");
	h->nsteps++;
	h->cells += n + t + 1;
}

int html_run_write(html_run_t *h, const char *path, const char *title, uint64_t total)
{
	html_buf_t d = { 0 };
	char sub[256], tlb[64];
	html_buf_printf(&d, "{\"kind\":\"run\",\"policy\":");
	html_buf_json(&d, h->policy);
	html_buf_printf(&d, ",\"frames\":%u,\"sets\":%u,\"ways\":%u,\"first\":", h->frames, h->sets,
			h->ways);
	html_buf_json(&d, h->first);
	html_buf_printf(&d, ",\"last\":");
	html_buf_json(&d, h->last);
	html_buf_printf(&d, ",\"total\":%llu,\"nsteps\":%llu,\"start\":0,\"steps\":[",
			(unsigned long long)total, (unsigned long long)h->nsteps);
	if (h->sets)
		snprintf(tlb, sizeof tlb, "TLB %u sets x %u ways", h->sets, h->ways);
	else
		snprintf(tlb, sizeof tlb, "no TLB");
	/* fewer than asked for: the page's own bound, which the user should know */
	int bounded = h->nsteps < total && h->nsteps < h->asked;
	snprintf(sub, sizeof sub, "policy %s, %u frames, %s; the first %llu of %llu page references%s",
		 h->policy, h->frames, tlb, (unsigned long long)h->nsteps, (unsigned long long)total,
		 bounded ? " (a page holds at most 10,000 steps, fewer on a large machine)" : "");
	if (bounded)
		fprintf(stderr, "vmlab run: note: the HTML view holds the first %llu of %llu page references\n",
			(unsigned long long)h->nsteps, (unsigned long long)total);
	int st = html_write_page(path, title, sub, html_body_run, &d, &h->data, html_js_run);
	html_buf_free(&d);
	return st;
}

void html_run_free(html_run_t *h)
{
	if (!h)
		return;
	html_buf_free(&h->data);
	free(h->res);
	free(h->tlb);
	free(h);
}

/* ---- explain ---- */

struct html_explain {
	html_buf_t data;          /* the "vas" array so far, without brackets */
	unsigned n;
	unsigned stages;          /* the steps of the view, over every VA */
};

html_explain_t *html_explain_new(void)
{
	return calloc(1, sizeof(html_explain_t));
}

/* Bits [lo, lo+n) of v as binary digits. */
static void html_bits(char *buf, size_t len, uint64_t v, unsigned lo, unsigned n)
{
	size_t at = 0;
	for (unsigned i = n; i-- > 0 && at + 1 < len;)
		buf[at++] = (char)('0' + ((v >> (lo + i)) & 1));
	buf[at] = 0;
}

/* A number as explain prints it, as a JSON string. */
static void html_hex(html_buf_t *b, const char *key, uint64_t v)
{
	html_buf_printf(b, ",\"%s\":\"0x%llx\"", key, (unsigned long long)v);
}

void html_explain_add(html_explain_t *h, vm_machine_t *vm, uint64_t va, int access, int mode,
		      const mmu_result_t *r, const mmu_log_t *log)
{
	const geom_t *g = vm_geom(vm);
	const tlb_t *t = vm_tlb(vm);
	html_buf_t *b = &h->data;
	char bits[80], name[16];
	uint64_t vpn = geom_vpn(g, va);
	html_buf_printf(b, "%s\n{\"va\":\"0x%llx\",\"access\":\"%c\",\"fields\":[", h->n ? "," : "",
			(unsigned long long)va, access);
	for (unsigned l = g->levels; l-- > 0;) {
		html_bits(bits, sizeof bits, va, g->level_shift[l], g->level_bits[l]);
		snprintf(name, sizeof name, "L%u", g->levels - l);
		html_buf_printf(b, "[\"%s\",\"%s\",\"0x%llx\"],", name, bits,
				(unsigned long long)((va >> g->level_shift[l]) &
						     ((1ull << g->level_bits[l]) - 1)));
	}
	html_bits(bits, sizeof bits, va, 0, g->page_shift);
	html_buf_printf(b, "[\"VPO\",\"%s\",\"0x%llx\"]]", bits,
			(unsigned long long)geom_vpo(g, va));
	if (mode) /* as explain's text: the CPU's mode and the half va lies in */
		html_buf_printf(b, ",\"mode\":\"%s\",\"half\":\"%s\"", mode == 'k' ? "kernel" : "user",
				vm_is_kernel(vm, va) ? "kernel" : "user");
	html_hex(b, "vpn", vpn);
	html_hex(b, "vpo", geom_vpo(g, va));
	if (t->sets) {
		html_hex(b, "tlbi", tlb_set_of(t, vpn));
		html_hex(b, "tlbt", tlb_tag_of(t, vpn));
	} else {
		html_buf_printf(b, ",\"tlbi\":\"-\",\"tlbt\":\"-\"");
	}
	html_buf_printf(b, ",\"tlb\":\"%s\",\"levels\":[", log->tlb_hit ? "hit" : "miss");
	for (unsigned i = 0; i < log->nsteps; i++) {
		uint64_t pte = log->steps[i].pte;
		char fl[64];
		if (!(pte & PTE_P))
			snprintf(fl, sizeof fl, "not-present%s", pte & PTE_SWAP ? " swap" : "");
		else
			snprintf(fl, sizeof fl, "P%s%s%s%s%s%s", pte & PTE_W ? " W" : "",
				 pte & PTE_U ? " U" : "", pte & PTE_A ? " A" : "",
				 pte & PTE_D ? " D" : "", pte & PTE_G ? " G" : "",
				 pte & PTE_NX ? " NX" : "");
		/* as explain's text: a 4-byte PTE in 8 hex digits */
		html_buf_printf(b, g->pte_size == PTE32_SIZE ? "%s[\"0x%llx\",\"0x%llx\",\"0x%08llx\",\"%s\"]"
				: "%s[\"0x%llx\",\"0x%llx\",\"0x%llx\",\"%s\"]", i ? "," : "",
				(unsigned long long)log->steps[i].index,
				(unsigned long long)log->steps[i].pte_pa, (unsigned long long)pte, fl);
	}
	html_buf_printf(b, "]");
	if (r->status == MMU_OK) {
		html_hex(b, "ppn", r->pfn);
		html_hex(b, "pa", geom_frame_pa(g, r->pfn) | geom_vpo(g, va));
		html_buf_printf(b, ",\"result\":\"ok\"}");
	} else {
		char why[128];
		if (r->status == MMU_FAULT_NOT_PRESENT)
			snprintf(why, sizeof why, "page fault (L%u entry not present)", r->fault_level);
		else
			snprintf(why, sizeof why, "protection fault (%s)", mmu_reason_name(r->reason));
		html_buf_printf(b, ",\"ppn\":\"-\",\"pa\":\"-\",\"result\":");
		html_buf_json(b, why);
		html_buf_printf(b, "}");
	}
	h->n++;
	h->stages += 3 + log->nsteps;
}

int html_explain_write(html_explain_t *h, const char *path, const char *title)
{
	html_buf_t d = { 0 };
	char sub[128];
	html_buf_printf(&d, "{\"kind\":\"explain\",\"nsteps\":%u,\"start\":0,\"vas\":[",
			h->stages ? h->stages - 1 : 0);
	snprintf(sub, sizeof sub, "%u translation%s, %u steps: the VA's fields, the TLB, each level of the walk, the result",
		 h->n, h->n == 1 ? "" : "s", h->stages);
	int st = html_write_page(path, title, sub, html_body_explain, &d, &h->data, html_js_explain);
	html_buf_free(&d);
	return st;
}

void html_explain_free(html_explain_t *h)
{
	if (!h)
		return;
	html_buf_free(&h->data);
	free(h);
}
