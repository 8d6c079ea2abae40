#!/usr/bin/env node
/**
 * Makes sure Debian's chromium is installed for the browser tests (tests/e2e): checks
 * CHROMIUM_PATH (default /usr/bin/chromium) and otherwise runs `apt-get update && apt-get install -y
 * chromium` (as root, or through sudo when that works without a password). Exits non-zero with a
 * message saying what to do when it cannot.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function fail(message) {
  console.error(`ensure-chromium: ${message}`);
  console.error(
    'ensure-chromium: install it yourself (Debian/Ubuntu: `sudo apt-get install -y chromium`) ' +
      'or point CHROMIUM_PATH at a Chromium binary.',
  );
  process.exit(1);
}

function run(prefix, args) {
  const [command, ...rest] = [...prefix, ...args];
  console.error(`ensure-chromium: $ ${[command, ...rest].join(' ')}`);
  const result = spawnSync(command, rest, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.error) fail(`could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) fail(`\`${args.join(' ')}\` exited with ${result.status}`);
}

if (isExecutable(CHROMIUM)) {
  console.error(`ensure-chromium: ${CHROMIUM} is installed`);
  process.exit(0);
}
if (process.env.CHROMIUM_PATH) fail(`CHROMIUM_PATH=${CHROMIUM} is not an executable file`);
if (process.platform !== 'linux') fail(`no ${CHROMIUM} and automatic installation needs Linux with apt-get`);
if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
  fail(`no ${CHROMIUM} and no apt-get to install it with`);
}

let prefix = [];
if (process.getuid?.() !== 0) {
  if (spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status !== 0) {
    fail(`no ${CHROMIUM}; installing it needs root (or passwordless sudo)`);
  }
  prefix = ['sudo', '-n'];
}

console.error(`ensure-chromium: ${CHROMIUM} is missing; installing Debian's chromium (this takes a minute)`);
run(prefix, ['apt-get', 'update']);
run(prefix, ['apt-get', 'install', '-y', 'chromium']);
if (!isExecutable(CHROMIUM)) fail(`apt-get finished but ${CHROMIUM} is still missing`);
console.error(`ensure-chromium: installed ${CHROMIUM}`);
