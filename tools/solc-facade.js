#!/usr/bin/env node
// A native-looking `solc` command line backed by solcjs (npm `solc`), so that py-solc-x,
// brownie, forge and slither compile with no binary download. It answers the two calls
// those tools make: `--version` and `--standard-json` (input on stdin, output on stdout).
// Import callback: resolves a path against the base path, any --include-path, and
// node_modules, so remapped imports such as `@openzeppelin/...` are found.
'use strict';
const fs = require('fs');
const path = require('path');

const projectRoot = path.resolve(__dirname, '..');
const solc = require(path.join(projectRoot, 'node_modules', 'solc'));

function nativeVersion() {
  // solcjs reports "0.8.28+commit.7893614a.Emscripten.clang"; tools parse "Version: x.y.z".
  return solc.version().replace('Emscripten.clang', 'Linux.g++');
}

function parseArgs(argv) {
  const opts = { version: false, standardJson: false, searchRoots: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const [flag, inlineValue] = arg.split('=', 2);
    const takeValue = () => (inlineValue !== undefined ? inlineValue : argv[++i]);
    if (flag === '--version') opts.version = true;
    else if (flag === '--standard-json') opts.standardJson = true;
    else if (flag === '--base-path' || flag === '--include-path') opts.searchRoots.push(takeValue());
    else if (flag === '--allow-paths') opts.searchRoots.push(...takeValue().split(','));
    // Other flags (optimizer, --pretty-json, …) are carried in the standard-json input.
  }
  return opts;
}

function makeImportCallback(searchRoots) {
  const roots = [process.cwd(), ...searchRoots, path.join(process.cwd(), 'node_modules'),
    path.join(projectRoot, 'node_modules'), projectRoot];
  return (importPath) => {
    const candidates = path.isAbsolute(importPath) ? [importPath]
      : roots.map((root) => path.resolve(root, importPath));
    for (const candidate of candidates) {
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, 'utf8') };
      }
    }
    return { error: `File not found: ${importPath} (searched ${roots.join(', ')})` };
  };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.version) {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${nativeVersion()}\n`);
    return;
  }
  if (!opts.standardJson) {
    process.stderr.write('solc-facade: only --version and --standard-json are supported\n');
    process.exitCode = 1;
    return;
  }
  const input = fs.readFileSync(0, 'utf8');
  const output = solc.compile(input, { import: makeImportCallback(opts.searchRoots) });
  // No process.exit(): exiting right after a large write to a pipe truncates it at 64 KiB.
  process.stdout.write(output);
}

main();
