// Renders every $...$ and $$...$$ span of a Markdown file with KaTeX (strict); prints a count and exits 1 on any error.
const katex = require('katex'); const fs = require('fs');
const md = fs.readFileSync(process.argv[2], 'utf8');
let errors = 0, count = 0;
const display = [...md.matchAll(/\$\$\n([\s\S]*?)\n\$\$/g)].map(m => [m[1], true]);
const rest = md.replace(/\$\$\n[\s\S]*?\n\$\$/g, '');
const inline = [...rest.matchAll(/(?<!\\)\$([^$\n]+?)(?<!\\)\$/g)].map(m => [m[1], false]);
for (const [tex, disp] of [...display, ...inline]) {
  count++;
  try { katex.renderToString(tex, {displayMode: disp, throwOnError: true, strict: 'error'}); }
  catch (e) { errors++; console.log('ERR', disp, tex.slice(0, 120), '\n   ', e.message.slice(0, 200)); }
}
console.log(`${count} math spans, ${errors} errors`);
process.exit(errors ? 1 : 0);
