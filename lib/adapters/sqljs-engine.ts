import type { SqlJsStatic } from 'sql.js';
import initSqlJs from 'sql.js/dist/sql-wasm-inline.js';

let engine: Promise<SqlJsStatic> | undefined;

/**
 * sql.js for functions, loaded once per process. The inline build carries its wasm inside the
 * JavaScript and is imported statically, so SAM's esbuild bundle holds all of it (no wasm file, no
 * node_modules at run time).
 */
export function loadSqlJs(): Promise<SqlJsStatic> {
  engine ??= initSqlJs();
  return engine;
}
