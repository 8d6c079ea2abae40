import { fileURLToPath } from 'node:url';
import { loadTemplate } from '#local/template/load-template.ts';
import type { TableModel } from '#local/template/model.ts';

const TEMPLATE = fileURLToPath(new URL('../../template.yaml', import.meta.url));

/**
 * A table of template.yaml as the template loader models it, named as in stack `stackName`
 * (`<stack>-RealTimeData`): tests create the real tables under names unique to their run.
 */
export function templateTable(logicalId: string, stackName: string): TableModel {
  const table = loadTemplate(TEMPLATE, { stackName }).tables.find((model) => model.logicalId === logicalId);
  if (table === undefined) throw new Error(`template.yaml has no table ${logicalId}`);
  return table;
}
