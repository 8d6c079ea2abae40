import type { EventSourceModel, FunctionModel, LocalTemplate } from './model.ts';

/** An event source of one kind, with the function it invokes. */
interface FunctionEvent<K extends EventSourceModel['kind']> {
  fn: FunctionModel;
  event: EventSourceModel & { kind: K };
}

/** Every event source of `kind` in the template, in template order, with its function. */
export function functionEvents<K extends EventSourceModel['kind']>(
  template: LocalTemplate,
  kind: K,
): Array<FunctionEvent<K>> {
  return template.functions.flatMap((fn) =>
    fn.events
      .filter((event): event is EventSourceModel & { kind: K } => event.kind === kind)
      .map((event) => ({ fn, event })),
  );
}

/**
 * What an event's source resource is locally (a queue, a stream, a bucket), found by its logical id.
 * @throws when the service has no such resource: the event names something of another type.
 */
export function eventSource<T>(
  resources: ReadonlyMap<string, T>,
  logicalId: string,
  { fn, event }: FunctionEvent<EventSourceModel['kind']>,
  type: string,
): T {
  const resource = resources.get(logicalId);
  if (resource === undefined) {
    throw new Error(`${fn.logicalId}.Events.${event.name}: ${logicalId} is not an ${type}`);
  }
  return resource;
}
