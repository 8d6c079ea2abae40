import { describe, expect, it } from 'vitest';
import { VehicleCommandMessageSchema } from '#contracts/vehicle-command.ts';
import { AckFrameSchema } from '#contracts/ws-protocol.ts';
import { ForbiddenError, PayloadTooLargeError } from '#core/errors.ts';
import { planVehicleCommand } from '#core/vehicle-command.ts';
import { validationIssues } from '../helpers/validation.ts';

const context = { now: 1_763_900_000_000, commandId: '0b7e8a52-5a8e-4f4e-9d55-2f1c9e0f7a10' };

describe('planVehicleCommand', () => {
  it('plans the message to the vehicle and the ack for the sender', () => {
    const planned = planVehicleCommand(
      JSON.stringify({ action: 'command', vehicleId: 3, command: 'honk', args: { times: 2 } }),
      context,
    );
    expect(planned.topic).toBe('vehicles/3/commands');
    expect(VehicleCommandMessageSchema.parse(planned.message)).toEqual({
      commandId: context.commandId,
      command: 'honk',
      args: { times: 2 },
      issuedAt: context.now,
    });
    expect(AckFrameSchema.parse(planned.ack)).toEqual({ type: 'ack', action: 'command', key: '3' });
  });

  it('defaults args to an empty object', () => {
    const planned = planVehicleCommand('{"action":"command","vehicleId":"7","command":"lock"}', context);
    expect(planned.message.args).toEqual({});
  });

  it.each([
    ['not json', 'body'],
    ['{"action":"command","command":"honk"}', 'body.vehicleId'],
    ['{"action":"command","vehicleId":"3","command":"rm -rf"}', 'body.command'],
    ['{"action":"command","vehicleId":"3/#","command":"honk"}', 'body.vehicleId'],
    ['{"action":"command","vehicleId":"3","command":"honk","extra":1}', 'body'],
  ])('refuses %s naming %s', (body, path) => {
    expect(validationIssues(() => planVehicleCommand(body, context))[0]?.path).toBe(path);
  });

  it('refuses args larger than the limit', () => {
    const body = JSON.stringify({
      action: 'command',
      vehicleId: '3',
      command: 'load',
      args: { blob: 'x'.repeat(9000) },
    });
    expect(() => planVehicleCommand(body, context)).toThrow(PayloadTooLargeError);
  });
});

describe('planVehicleCommand with auth on', () => {
  const body = JSON.stringify({ action: 'command', vehicleId: '3', command: 'honk' });

  it('allows a connection whose claims cover command on the vehicle', () => {
    const claims = { subject: 'ops', keyPatterns: ['3'], ingestActions: ['command'] };
    expect(planVehicleCommand(body, { ...context, claims }).topic).toBe('vehicles/3/commands');
  });

  it.each([
    [{ subject: 'viewer', keyPatterns: ['3'], ingestActions: [] }],
    [{ subject: 'ops', keyPatterns: ['4'], ingestActions: ['command'] }],
  ])('forbids %j', (claims) => {
    expect(() => planVehicleCommand(body, { ...context, claims })).toThrow(ForbiddenError);
  });
});
