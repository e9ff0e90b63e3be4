#!/usr/bin/env node
// Compiles a standard-JSON input (stdin) with a given solcjs package from node_modules and
// writes the standard-JSON output (stdout). Used for peers pinned to another compiler than
// ours, e.g. Morpho Blue (`pragma solidity 0.8.19`) with the npm alias `solc-0.8.19`:
//
//   node tools/solcjs-standard-json.js solc-0.8.19 < input.json > output.json
//   node tools/solcjs-standard-json.js solc-0.8.19 --version
//
// The input carries every source by content, so no import is resolved from disk.
'use strict';
const fs = require('fs');
const path = require('path');

const projectRoot = path.resolve(__dirname, '..');

function main() {
  const [packageName, flag] = process.argv.slice(2);
  if (!packageName || !/^solc(-[0-9.]+)?$/.test(packageName)) {
    process.stderr.write('usage: solcjs-standard-json.js <solc package, e.g. solc-0.8.19> [--version]\n');
    process.exitCode = 2;
    return;
  }
  const solc = require(path.join(projectRoot, 'node_modules', packageName));
  if (flag === '--version') {
    process.stdout.write(`${solc.version()}\n`);
    return;
  }
  const input = fs.readFileSync(0, 'utf8');
  const output = solc.compile(input, {
    import: (importPath) => ({ error: `not in the standard-JSON input: ${importPath}` }),
  });
  // No process.exit(): exiting right after a large write to a pipe truncates it at 64 KiB.
  process.stdout.write(output);
}

main();
