import { describe, expect, it } from 'vitest';
import { BuildPropertiesError, esbuildOptionsOf } from '../../scripts/build-functions.ts';

describe('esbuildOptionsOf', () => {
  it("uses sam build's defaults for what BuildProperties leave out", () => {
    expect(esbuildOptionsOf('Fn', { EntryPoints: ['a/handler.ts'] }, undefined)).toEqual({
      bundle: true,
      platform: 'node',
      target: 'es2020',
      format: 'cjs',
      minify: true,
      entryPoints: ['a/handler.ts'],
    });
  });

  it('maps each property as SAM passes it to esbuild', () => {
    const options = esbuildOptionsOf(
      'Fn',
      {
        EntryPoints: ['a/handler.ts'],
        Minify: false,
        Sourcemap: false,
        Target: 'es2022',
        Format: 'esm',
        MainFields: 'module,main',
        External: ['@aws-sdk/*'],
        Loader: ['.wasm=binary'],
        OutExtension: ['.js=.mjs'],
        Banner: ['js=import { createRequire } from "node:module";'],
      },
      '--enable-source-maps',
    );
    expect(options).toMatchObject({
      minify: false,
      sourcemap: false,
      target: 'es2022',
      format: 'esm',
      mainFields: ['module', 'main'],
      external: ['@aws-sdk/*'],
      loader: { '.wasm': 'binary' },
      outExtension: { '.js': '.mjs' },
      banner: { js: 'import { createRequire } from "node:module";' },
    });
  });

  it('turns source maps on when NODE_OPTIONS enables them and Sourcemap is unset, as SAM does', () => {
    expect(esbuildOptionsOf('Fn', { EntryPoints: ['a.ts'] }, '--enable-source-maps').sourcemap).toBe(true);
    expect(
      esbuildOptionsOf('Fn', { EntryPoints: ['a.ts'] }, '--max-old-space-size=200').sourcemap,
    ).toBeUndefined();
  });

  it('refuses a property SAM does not know, naming it', () => {
    expect(() => esbuildOptionsOf('Fn', { EntryPoints: ['a.ts'], Splitting: true }, undefined)).toThrow(
      new BuildPropertiesError(
        'Fn.Metadata.BuildProperties.Splitting is not an esbuild property SAM knows (EntryPoints, Minify, Sourcemap, Target, Format, MainFields, SourcesContent, External, Loader, OutExtension, Banner)',
      ),
    );
  });

  it('refuses a function without entry points', () => {
    expect(() => esbuildOptionsOf('Fn', {}, undefined)).toThrow(BuildPropertiesError);
  });
});
