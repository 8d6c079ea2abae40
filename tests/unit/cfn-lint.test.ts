import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const TEMPLATE = fileURLToPath(new URL('../../template.yaml', import.meta.url));

// cfn-lint is AWS's CloudFormation linter (Python: `pip install cfn-lint`), the authority on whether
// CloudFormation would accept the stack. Without it the check cannot run: said in one line locally,
// a failure under CI=true, where it must be present.
const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
const installed = probe.status === 0;
const required = process.env.CI === 'true';
if (!installed && !required) {
  console.warn('cfn-lint is not installed (pip install cfn-lint): template.yaml was not linted.');
}

describe('template.yaml under cfn-lint', () => {
  it('is installed where CI runs', () => {
    expect(installed || !required, 'cfn-lint must be on PATH when CI=true (pip install cfn-lint)').toBe(true);
  });

  it.skipIf(!installed)(
    'reports no errors and no warnings (SAM transform included)',
    () => {
      const run = spawnSync('cfn-lint', ['--format', 'parseable', TEMPLATE], { encoding: 'utf8' });
      expect(run.error).toBeUndefined();
      expect(run.stdout + run.stderr).toBe('');
      expect(run.status).toBe(0);
    },
    60_000,
  );
});
