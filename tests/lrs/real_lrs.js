// Runs Learning Locker's statements service (npm xapi-statements@5.0.1, GPL-3.0, test-only) in memory,
// bound to 127.0.0.1 on a free port. Prints {"port": N} on stdout once listening; exits when stdin closes,
// so it never outlives the pytest process that started it. Environment: see tests/lrs/README.md.
'use strict';
const http = require('http');
const path = require('path');

const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function patchedListen(...args) {
  const callback = args.find((a) => typeof a === 'function');
  const server = this;
  return listen.call(server, 0, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
    if (callback) callback();
  });
};
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
require(path.join(__dirname, 'node_modules', 'xapi-statements', 'dist', 'index.js'));
