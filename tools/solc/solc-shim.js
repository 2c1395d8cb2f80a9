#!/usr/bin/env node
// A stand-in for a native `solc` binary, over solc-js (the official compiler built to
// WebAssembly). It answers the two calls py-solc-x (and so Brownie) makes:
//   solc-vX --version
//   solc-vX --standard-json [--allow-paths P] [--base-path P]   (JSON on stdin)
// Imports are read from the filesystem, relative to the base path, the allowed paths
// and the working directory, so OpenZeppelin remappings resolve offline.
'use strict';
const fs = require('fs');
const path = require('path');

const repoRoot = path.resolve(__dirname, '..', '..');
const solc = require(path.join(repoRoot, 'node_modules', 'solc'));

const args = process.argv.slice(2);
if (args.includes('--version')) {
  process.stdout.write('solc, the solidity compiler commandline interface\n');
  process.stdout.write('Version: ' + solc.version() + '\n');
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  process.stderr.write('solc-shim: only --version and --standard-json are supported\n');
  process.exit(2);
}

function optionValues(name) {
  const out = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name && i + 1 < args.length) out.push(...args[i + 1].split(','));
    else if (args[i].startsWith(name + '=')) out.push(...args[i].slice(name.length + 1).split(','));
  }
  return out.filter(Boolean);
}
const roots = [...optionValues('--base-path'), ...optionValues('--allow-paths'), process.cwd(), repoRoot];

function findImports(importPath) {
  const candidates = path.isAbsolute(importPath)
    ? [importPath]
    : roots.map((root) => path.resolve(root, importPath));
  for (const file of candidates) {
    try {
      return { contents: fs.readFileSync(file, 'utf8') };
    } catch (_) { /* try the next root */ }
  }
  return { error: 'File not found: ' + importPath + ' (looked under ' + roots.join(', ') + ')' };
}

const input = fs.readFileSync(0, 'utf8');
process.stdout.write(solc.compile(input, { import: findImports }));
