import type { LocalService } from './local-service.ts';

/**
 * The emulated services `npm start` runs besides DynamoDB Local and the gateways, in start order.
 * Each source of readings adds its service here.
 */
export function localServices(portOf: PortOf): LocalService[] {
  void portOf;
  return [];
}

/** The port a service listens on: its name's setting, or `fallback`; 0 = a free port. */
export type PortOf = (name: string, fallback: number) => number;
