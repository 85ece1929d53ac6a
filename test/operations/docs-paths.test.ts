import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';

/**
 * Every file path the documentation cites exists: `src/…`, `test/…`, `docs/…`, `migrations/…` in
 * backticks, and relative Markdown links. Docs that point at files which moved mislead the next
 * reader more than no docs at all.
 */
const root = path.resolve(__dirname, '../..');

function markdownFiles(): string[] {
  const out = ['README.md'];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.md')) out.push(rel);
    }
  };
  walk('docs');
  walk('src');
  return out;
}

/** A cited path that names a pattern, not a file: `src/modules/<m>/`, `test/**\/*.test.ts`, `migrations/<name>/`. */
const isPattern = (p: string) => /[<>*{}]|\.\.\.|…/.test(p);

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [e.name]));
}

function citedPaths(doc: string, text: string): Array<{ cited: string; resolved: string }> {
  const out: Array<{ cited: string; resolved: string }> = [];
  if (/^src\/modules\/[^/]+\/CONTEXT\.md$/.test(doc.split(path.sep).join('/'))) {
    // A module's CONTEXT cites its own files relative to its folder (`commands/hold-seat/`), or by name alone.
    const here = path.join(root, path.dirname(doc));
    const names = new Set(filesUnder(here));
    for (const m of text.matchAll(/`([\w.-]+(?:\/[\w.-]*)*\.(?:ts|md)|(?:domain|commands|queries|event-handlers|jobs|infrastructure)\/[\w./-]*)`/g)) {
      const cited = m[1];
      if (isPattern(cited) || /^(src|test|docs|migrations)\//.test(cited)) continue;
      if (!cited.includes('/')) {
        if (!names.has(cited)) out.push({ cited, resolved: path.join(here, '__no_such_file__', cited) });
      } else out.push({ cited, resolved: path.join(here, cited) });
    }
  }
  for (const m of text.matchAll(/`((?:src|test|docs|migrations)\/[^`\s:()]+)`/g)) {
    if (!isPattern(m[1])) out.push({ cited: m[1], resolved: path.join(root, m[1]) });
  }
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1].split('#')[0];
    if (!target || /^[a-z]+:/i.test(target) || isPattern(target)) continue;
    const resolved = path.resolve(root, path.dirname(doc), target);
    // Outside the repository (the product contract in ../shared): not this repository's to keep.
    if (path.relative(root, resolved).startsWith('..')) continue;
    out.push({ cited: m[1], resolved });
  }
  return out;
}

describe('documentation', () => {
  it('cites only files and folders that exist', () => {
    const missing: string[] = [];
    const docs = markdownFiles();
    expect(docs.length).to.be.greaterThan(10);
    for (const doc of docs) {
      const text = fs.readFileSync(path.join(root, doc), 'utf8');
      for (const { cited, resolved } of citedPaths(doc, text)) if (!fs.existsSync(resolved)) missing.push(`${doc}: ${cited}`);
    }
    expect(missing, 'cited but missing').to.deep.equal([]);
  });
});
