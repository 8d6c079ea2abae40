import type { MiddyfiedHandler } from '@middy/core';
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { systemClock } from '#adapters/system-clock.ts';
import type { ServerFrame } from '#contracts/ws-protocol.ts';
import type { AccessClaims } from '#core/authorise.ts';
import { type ActionCounter, admitAction, assertShallowMessage } from '#core/connection-limits.ts';
import { SlowConnectionError, StaleConnectionError, toPlatformError } from '#core/errors.ts';
import { parseJsonOrThrow } from '#core/issues.ts';
import type { ConnectionPublisher } from '#core/ports.ts';
import { splitFrame } from '#core/snapshot-frames.ts';
import { observedHandler } from './middy-stacks.ts';
import type { Powertools } from './powertools.ts';
import { connectionClaims } from './ws-authorizer.ts';
import { closesConnection, toErrorFrame } from './ws-errors.ts';

/** The `action` of a message body, when there is one, to name it in an error frame. */
function actionOf(body: string | undefined): string | undefined {
  try {
    // A body refused for its size or depth is not parsed here either.
    assertShallowMessage(body ?? '');
    const action = (parseJsonOrThrow(body ?? '', 'body') as { action?: unknown } | null)?.action;
    return typeof action === 'string' ? action.slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs a client action and posts its reply to the sender; a failure becomes an error frame and the
 * connection stays open, unless the frame says `closing` (expired token, rate limit far exceeded):
 * then the connection is closed after it (DeleteConnection). A sender that left meanwhile is not an
 * error. Logged once, here.
 */
export async function replyToAction(
  context: {
    tools: Powertools;
    publisher: ConnectionPublisher;
    connectionId: string;
    body: string | undefined;
  },
  work: () => Promise<ServerFrame>,
): Promise<void> {
  const { tools, publisher, connectionId } = context;
  let frame: ServerFrame;
  let close = false;
  try {
    frame = await work();
    tools.metrics.addMetric('ActionsHandled', 'Count', 1);
  } catch (error) {
    const platformError = toPlatformError(error);
    frame = toErrorFrame(platformError, actionOf(context.body));
    close = closesConnection(platformError);
    if (platformError.expose)
      tools.logger.info('action rejected', { connectionId, code: platformError.code });
    else tools.logger.error('action failed', { connectionId, error: platformError });
    tools.metrics.addMetric('ActionsRejected', 'Count', 1);
  }
  try {
    // In order: a big snapshot goes out as several frames under API Gateway's 32 KB frame limit.
    for (const part of splitFrame(frame)) await publisher.post(connectionId, part);
    if (close) await publisher.disconnect?.(connectionId);
  } catch (error) {
    // A sender that left, or that cannot take frames in time, gets no reply; the action itself stood.
    if (!(error instanceof StaleConnectionError || error instanceof SlowConnectionError)) throw error;
  }
}

/** One message of a WebSocket route, as {@link wsActionHandler} hands it to its work. */
interface WsActionMessage {
  connectionId: string;
  body: string | undefined;
  /** The sender's claims from the authorizer; undefined with AUTH_MODE `none`. */
  claims: AccessClaims | undefined;
}

/**
 * The handler of a WebSocket route whose every message gets one reply frame: the observed middy
 * stack around {@link replyToAction} with the sender's id, body and claims; API Gateway gets a 200.
 * Before `work`, every message passes {@link admitAction} (token not expired, size and depth
 * scanned unparsed, counted against the connection's rate limit on its connection row).
 */
export function wsActionHandler(
  context: {
    tools: Powertools;
    publisher: ConnectionPublisher;
    /** Where actions are counted: the connection rows. */
    counter: ActionCounter;
    config: { AUTH_MODE: 'jwt' | 'none'; WS_ACTION_RATE_LIMIT: number };
  },
  work: (message: WsActionMessage) => Promise<ServerFrame>,
): MiddyfiedHandler<APIGatewayProxyWebsocketEventV2, APIGatewayProxyResult> {
  const { tools, publisher, counter } = context;
  const { AUTH_MODE: authMode, WS_ACTION_RATE_LIMIT: actionsPerWindow } = context.config;
  return observedHandler<APIGatewayProxyWebsocketEventV2, APIGatewayProxyResult>(async (event) => {
    const { connectionId } = event.requestContext;
    const body = event.body;
    await replyToAction({ tools, publisher, connectionId, body }, async () => {
      const message = { connectionId, body, claims: connectionClaims(authMode, event.requestContext) };
      await admitAction(message, { actionsPerWindow }, { counter, clock: systemClock });
      return work(message);
    });
    return { statusCode: 200, body: '' };
  }, tools);
}
