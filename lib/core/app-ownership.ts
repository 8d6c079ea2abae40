import { APP_OWNED_ITEMS, type AppOwnershipRule } from '#contracts/app-ownership.ts';
import { matchesKeyPattern } from './authorise.ts';
import { ForbiddenError } from './errors.ts';

/** The rule of the app that owns the item (`itemKey`, `channel`), or undefined when no app does. */
export function owningApp(
  item: { itemKey: string; channel: string },
  rules: readonly AppOwnershipRule[] = APP_OWNED_ITEMS,
): AppOwnershipRule | undefined {
  return rules.find(
    (rule) =>
      (rule.keyPattern === undefined || matchesKeyPattern([rule.keyPattern], item.itemKey)) &&
      (rule.channelPattern === undefined || matchesKeyPattern([rule.channelPattern], item.channel)),
  );
}

/**
 * Refuses a reading that would write an app-owned item (contracts/app-ownership.ts): only the app's
 * own writer may write it, never a reading from any source.
 * @throws ForbiddenError naming the reading (`where`), the item and the app that owns it.
 */
export function assertNotAppOwned(item: { itemKey: string; channel: string }, where: string): void {
  const rule = owningApp(item);
  if (rule === undefined) return;
  throw new ForbiddenError(
    `${where}: item ${item.itemKey}/${item.channel} belongs to the ${rule.app} app ` +
      `(written only by ${rule.writtenBy}); a reading may not write it`,
  );
}
