import {
  commandTopicFor,
  MAX_COMMAND_ARGS_BYTES,
  VehicleCommandActionSchema,
  type VehicleCommandMessage,
} from '#contracts/vehicle-command.ts';
import type { AckFrame } from '#contracts/ws-protocol.ts';
import { type AccessClaims, assertCanIngest } from './authorise.ts';
import { PayloadTooLargeError } from './errors.ts';
import { parseJsonWith } from './issues.ts';

/** A command ready to publish: where, what, and the frame that confirms it to the sender. */
interface PlannedCommand {
  topic: string;
  message: VehicleCommandMessage;
  ack: AckFrame;
}

/**
 * Parses a WebSocket `command` action and plans its MQTT message to the vehicle. With `claims`
 * (auth on), the connection must be allowed the ingest action `command` on the vehicle's key.
 * @throws ValidationError for non-JSON bodies and bad fields; PayloadTooLargeError when `args`
 * exceeds MAX_COMMAND_ARGS_BYTES; ForbiddenError when the claims do not cover the vehicle.
 */
export function planVehicleCommand(
  body: string | null | undefined,
  context: { now: number; commandId: string; claims?: AccessClaims | undefined },
): PlannedCommand {
  const action = parseJsonWith(VehicleCommandActionSchema, body ?? '', 'body');
  if (context.claims) assertCanIngest(context.claims, 'command', action.vehicleId);
  const args = action.args ?? {};
  const size = Buffer.byteLength(JSON.stringify(args));
  if (size > MAX_COMMAND_ARGS_BYTES) {
    throw new PayloadTooLargeError(`body.args: is ${size} bytes; the limit is ${MAX_COMMAND_ARGS_BYTES}`);
  }
  return {
    topic: commandTopicFor(action.vehicleId),
    message: { commandId: context.commandId, command: action.command, args, issuedAt: context.now },
    ack: { type: 'ack', action: 'command', key: action.vehicleId },
  };
}
