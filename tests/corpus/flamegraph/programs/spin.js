'use strict';
function inner(n) { let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i) * 1.0001; return s; }
function outer() { return inner(20000); }
const end = Date.now() + Number(process.argv[2] || 1) * 1000;
let t = 0;
while (Date.now() < end) t += outer();
console.log(t > 0);
