/**
 * How the local runtime calls a function: in-process, with Lambda's semantics (a fresh context per
 * invocation, the function's timeout). Event sources and the gateway only see this port.
 */
export interface LambdaInvoker {
  /**
   * Invokes the function named by its SAM logical id with `event` and resolves with its result.
   * @throws FunctionTimeoutError when the function runs past its timeout; whatever the handler throws otherwise.
   */
  invoke(functionLogicalId: string, event: unknown): Promise<unknown>;
}
