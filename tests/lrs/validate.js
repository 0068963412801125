// Long-lived xAPI statement validator for tests/lrs (see README.md).
// Reads one JSON statement per line on stdin and writes one JSON line per statement on stdout:
// {"ok": true} or {"ok": false, "warnings": [{"name", "path", "typeName", "data"}...]}.
// Uses @learninglocker/xapi-validation (npm, MIT), the validator of Learning Locker's LRS. Exits when stdin closes.
'use strict';
const validate = require('@learninglocker/xapi-validation').default;
const readline = require('readline');

const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on('line', (line) => {
  let reply;
  try {
    const warnings = validate(JSON.parse(line));
    reply = warnings.length === 0 ? { ok: true } : {
      ok: false,
      warnings: warnings.map((w) => ({
        name: w.name,
        path: (w.path || []).join('.'),
        typeName: w.typeName,
        keys: w.keys,
        data: w.data === undefined ? null : w.data,
      })),
    };
  } catch (err) {
    reply = { ok: false, warnings: [{ name: 'ValidatorError', path: '', data: String(err) }] };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
rl.on('close', () => process.exit(0));
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
