/** Every schema that crosses a boundary. Web and other-language clients use these (or their JSON Schema export). */
export * from './error-body.ts';
export * from './item-key.ts';
export * from './reading.ts';
export * from './real-time-item.ts';
export * from './ws-protocol.ts';
