<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>vmlab explain</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:16px;color:#222;background:#fafafa}
h1{font-size:18px;margin:0 0 4px}.sub{color:#555;margin-bottom:10px}
#controls{display:flex;gap:8px;align-items:center;margin:8px 0}
#controls input[type=range]{flex:1}
button{font:inherit;padding:2px 10px}
pre{background:#fff;border:1px solid #ccc;padding:6px 8px;white-space:pre-wrap;margin:6px 0}
.counts{font-size:16px;margin:6px 0}.counts b{font-variant-numeric:tabular-nums}
#refs{display:flex;flex-wrap:wrap;gap:2px;margin:8px 0;max-height:120px;overflow:auto}
.ref{min-width:22px;padding:1px 3px;text-align:center;border:1px solid #bbb;border-radius:3px;cursor:pointer;background:#eee;color:#777}
.ref.hit{background:#c8efc8;color:#124d12;border-color:#6b6}
.ref.miss{background:#f6c6c6;color:#6d1111;border-color:#d66}
.ref.major{background:#e08a8a;color:#fff;border-color:#a33}
.ref.cur{outline:3px solid #236;outline-offset:1px}
.panes{display:flex;gap:18px;flex-wrap:wrap;align-items:flex-start}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}
th{background:#eee}tr.ref-frame td{background:#dde8ff}tr.victim td{background:#fde3c8}
td.used{background:#eef6ee}td.hitway{background:#c8efc8}
.chip{display:inline-block;border:1px solid #999;border-radius:3px;padding:0 5px;margin:1px;background:#fff}
.bits{display:flex;gap:6px;margin:8px 0}.field{border:1px solid #999;padding:2px 6px;text-align:center;background:#fff}
.field .b{font-family:monospace;font-size:16px;letter-spacing:2px}.field.on{background:#ffe9a8;border-color:#b80}
.kv div{font-family:monospace;padding:0 4px}.kv div.on{background:#ffe9a8}.kv div.past{color:#444}.kv div.future{color:#bbb}
.note{color:#666;font-size:12px}
</style></head>
<body>
<h1>vmlab explain</h1>
<div class="sub">1 translation, 4 steps: the VA's fields, the TLB, each level of the walk, the result</div>
<div id="controls"><button id="first">&#x25C0;&#x25C0; first</button><button id="back">&#x25C0; back</button><input type="range" id="slider" min="0" value="0"><button id="fwd">forward &#x25B6;</button><button id="last">last &#x25B6;&#x25B6;</button><span>step <b id="stepno">0</b> of <b id="stepmax">0</b></span></div>
<h3 id="which"></h3><div class="bits" id="bits"></div>
<div>This step:</div><pre id="now"></pre>
<div class="kv" id="kv"></div>
<script type="application/json" id="data">{"kind":"explain","nsteps":3,"start":0,"vas":[
{"va":"0xf8","access":"w","fields":[["L1","000000000","0x0"],["L2","000000000","0x0"],["L3","000000000","0x0"],["L4","000000000","0x0"],["VPO","000011111000","0xf8"]],"vpn":"0x0","vpo":"0xf8","tlbi":"0x0","tlbt":"0x0","tlb":"miss","levels":[["0x0","0x10000000000000","0x0","not-present"]],"ppn":"-","pa":"-","result":"page fault (L1 entry not present)"}]}</script>
<script>
const D=JSON.parse(document.getElementById('data').textContent);
const $=id=>document.getElementById(id);
function el(tag,cls,text){const e=document.createElement(tag);if(cls)e.className=cls;if(text!==undefined)e.textContent=text;return e;}
let K=0;const MAX=D.nsteps;
function fromHash(){const m=/step=(\d+)/.exec(location.hash);return m?Math.min(MAX,parseInt(m[1],10)):D.start;}
function go(k){K=Math.max(0,Math.min(MAX,k));$('slider').value=K;draw(K);}
$('slider').max=MAX;
$('back').onclick=()=>go(K-1);$('fwd').onclick=()=>go(K+1);
$('first').onclick=()=>go(0);$('last').onclick=()=>go(MAX);
$('slider').oninput=e=>go(parseInt(e.target.value,10));
document.addEventListener('keydown',e=>{if(e.key==='ArrowRight')go(K+1);else if(e.key==='ArrowLeft')go(K-1);});
window.addEventListener('hashchange',()=>go(fromHash()));
const ST=[];D.vas.forEach((v,vi)=>{ST.push([vi,'va']);ST.push([vi,'tlb']);v.levels.forEach((l,li)=>ST.push([vi,li]));ST.push([vi,'result']);});
function lines(v){const out=[];out.push(['va','VA: '+v.va],['va','access: '+v.access],['va','VA_bits: '+v.fields.map(f=>f[1]).join(' ')],['va','VPN: '+v.vpn],['va','VPO: '+v.vpo]);
 out.push(['tlb','TLBI: '+v.tlbi],['tlb','TLBT: '+v.tlbt],['tlb','TLB: '+v.tlb]);
 v.levels.forEach((l,i)=>{const n='L'+(i+1);out.push([i,n+'_index: '+l[0]],[i,n+'_pte_addr: '+l[1]],[i,n+'_pte: '+l[2]],[i,n+'_pte_bits: '+l[3]]);});
 out.push(['result','PPN: '+v.ppn],['result','PA: '+v.pa],['result','result: '+v.result]);return out;}
function order(v,stage){return stage==='va'?0:stage==='tlb'?1:stage==='result'?2+v.levels.length:2+stage;}
function draw(k){
 const [vi,stage]=ST[Math.min(k,ST.length-1)];const v=D.vas[vi];
 $('stepno').textContent=k;$('stepmax').textContent=MAX;
 $('which').textContent='VA '+(vi+1)+' of '+D.vas.length+': '+v.va;
 const bits=$('bits');bits.textContent='';
 v.fields.forEach((f,i)=>{const on=stage==='va'||(stage==='tlb'&&f[0]!=='VPO')||(stage===i)||(stage==='result'&&f[0]==='VPO');
  const d=el('div','field'+(on?' on':''));d.appendChild(el('div','b',f[1]));d.appendChild(el('div','',f[0]+' '+f[2]));bits.appendChild(d);});
 const kv=$('kv');kv.textContent='';const cur=order(v,stage);const now=[];
 lines(v).forEach(([s,t])=>{const o=order(v,s);kv.appendChild(el('div',o===cur?'on':o<cur?'past':'future',t));if(o===cur)now.push(t);});
 $('now').textContent=now.join('\n');
}
go(fromHash());
</script>
</body></html>
