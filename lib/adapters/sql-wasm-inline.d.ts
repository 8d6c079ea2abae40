/** sql.js' inline build (wasm embedded in the JavaScript); same API as the package's main entry. */
declare module 'sql.js/dist/sql-wasm-inline.js' {
  import initSqlJs from 'sql.js';
  export default initSqlJs;
}
