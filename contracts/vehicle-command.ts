import { ItemKeySchema } from './item-key.ts';
import * as z from './zod.ts';

/** Largest `args` of one command, serialised: commands are small control messages, not payloads. */
export const MAX_COMMAND_ARGS_BYTES = 8 * 1024;

/**
 * WebSocket action (route `command`): a dashboard sends a command to one vehicle,
 * `{"action":"command","vehicleId":"3","command":"honk","args":{"times":2}}`. The sender gets
 * `{"type":"ack","action":"command","key":"3"}` once it is published, or an error frame.
 */
export const VehicleCommandActionSchema = z.strictObject({
  action: z.literal('command'),
  vehicleId: ItemKeySchema,
  command: z
    .string()
    .check(z.regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'must be a name like "honk" or "set-speed-limit"')),
  args: z.optional(z.record(z.string(), z.json())),
});
export type VehicleCommandAction = z.output<typeof VehicleCommandActionSchema>;

/** What a vehicle receives on `vehicles/{vehicleId}/commands` (QoS 1). */
export const VehicleCommandMessageSchema = z.strictObject({
  /** Unique per command: a device seeing it twice (QoS 1 redelivery) applies it once. */
  commandId: z.uuid(),
  command: z.string(),
  args: z.record(z.string(), z.json()),
  /** When the platform issued it, epoch ms. */
  issuedAt: z.int().check(z.nonnegative()),
});
export type VehicleCommandMessage = z.output<typeof VehicleCommandMessageSchema>;

/** The MQTT topic a vehicle receives commands on. */
export function commandTopicFor(vehicleId: string): string {
  return `vehicles/${vehicleId}/commands`;
}
