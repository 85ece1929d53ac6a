const fs=require('fs');
const [file, fromS, toS, mode] = process.argv.slice(2);
const p=JSON.parse(fs.readFileSync(file,'utf8'));
const nodes=new Map(p.nodes.map(n=>[n.id,n])); const parent=new Map();
for(const n of p.nodes) for(const c of n.children||[]) parent.set(c,n.id);
let at=p.startTime; const t0=p.startTime;
if (mode==='density'){ const buckets=new Map(); p.samples.forEach((id,i)=>{at+=p.timeDeltas[i]; const s=Math.floor((at-t0)/1e6); const n=nodes.get(id); if(n.callFrame.functionName!=='(idle)') buckets.set(s,(buckets.get(s)||0)+p.timeDeltas[i]);}); for(const [s,w] of [...buckets].sort((a,b)=>a[0]-b[0])) console.log(s, (w/1e4).toFixed(0)+'%'); process.exit(0);}
const incl=new Map(); let total=0;
p.samples.forEach((id,i)=>{at+=p.timeDeltas[i]; const s=(at-t0)/1e6; if(s<+fromS||s>+toS) return; const w=p.timeDeltas[i]; total+=w; const seen=new Set();
 for(let x=id;x!==undefined;x=parent.get(x)){const f=nodes.get(x).callFrame; const u=f.url.replace(/.*node_modules\//,'').replace(/.*dist\/src\//,'src/'); const k=(f.functionName||'(anon)')+' '+u+':'+(f.lineNumber+1); if(seen.has(k)) continue; seen.add(k); incl.set(k,(incl.get(k)||0)+w);} });
const top=[...incl].sort((a,b)=>b[1]-a[1]).slice(0,+(mode||80));
for(const [k,w] of top) console.log((100*w/total).toFixed(1).padStart(5), k.slice(0,150));
