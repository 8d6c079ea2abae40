/** Every schema that crosses a boundary. Web and other-language clients use these (or their JSON Schema export). */
export * from './app-ownership.ts';
export * from './channels.ts';
export * from './error-body.ts';
export * from './item-key.ts';
export * from './item-page.ts';
export * from './jobs.ts';
export * from './queue-message.ts';
export * from './reading.ts';
export * from './real-time-item.ts';
export * from './rejects.ts';
export * from './room-messages.ts';
export * from './sales.ts';
export * from './timestamp.ts';
export * from './vehicle-command.ts';
export * from './vehicle-telemetry.ts';
export * from './widget-request.ts';
export * from './ws-protocol.ts';
