import { spawnSync } from 'node:child_process';
const names = ['pg', '@strata/pool'];
const runs = Object.fromEntries(names.map((n) => [n, []]));
const script = (n) => `const s=performance.now();await import(${JSON.stringify(n)});console.log(performance.now()-s)`;
for (let i = 0; i < 31; i++) for (const n of names) runs[n].push(Number(spawnSync(process.execPath, ['--input-type=module', '-e', script(n)], { encoding: 'utf8' }).stdout));
const med = (v) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
console.log(names.map((n) => `${n} ${med(runs[n]).toFixed(1)}`).join('  '), 'ratio', (med(runs['@strata/pool']) / med(runs.pg)).toFixed(2));
