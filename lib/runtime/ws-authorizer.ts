import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import {
  type AccessClaims,
  claimsFromAuthorizerContext,
  type TokenVerifier,
  toAuthorizerContext,
} from '#core/authorise.ts';
import { DependencyError, toPlatformError } from '#core/errors.ts';
import type { Powertools } from './powertools.ts';

/** The REQUEST authorizer event API Gateway sends for a WebSocket `$connect`. */
export interface WebSocketAuthorizerEvent {
  type: 'REQUEST';
  methodArn: string;
  headers?: Record<string, string | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  requestContext?: { connectionId?: string; routeKey?: string } | null;
}

/**
 * The bearer token of a `$connect`: `?token=` (browsers cannot set headers on a WebSocket), else an
 * `Authorization: Bearer …` header. On AWS the authorizer's IdentitySource is the query string, so
 * API Gateway itself answers 401 when `?token=` is missing.
 */
function bearerTokenOf(event: WebSocketAuthorizerEvent): string | undefined {
  const fromQuery = event.queryStringParameters?.token;
  if (fromQuery) return fromQuery;
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (name.toLowerCase() !== 'authorization' || !value) continue;
    const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
    if (match) return match[1];
  }
  return undefined;
}

/** An Allow policy for this `$connect`, carrying the claims as the authorizer context. */
function allowPolicy(methodArn: string, claims: AccessClaims): APIGatewayAuthorizerResult {
  return connectPolicy(methodArn, claims.subject, toAuthorizerContext(claims));
}

/** Allows `$connect` (this route only) with the given principal and context. */
function connectPolicy(
  methodArn: string,
  principalId: string,
  context: Record<string, string>,
): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }],
    },
    context,
  };
}

/** Authorizer context key that tells `$connect` the token could not be checked (its value: the error code). */
const UNVERIFIED_CONTEXT_KEY = 'unverifiedBecause';

/**
 * The policy of a `$connect` whose token could not be checked because a dependency (the JWKS)
 * failed. An authorizer that throws makes API Gateway answer 500, and a Deny 403; so it allows
 * `$connect` alone with no claims, and `$connect` answers 503 (see {@link connectionClaims}). It
 * stays closed if anything missed the mark: a context without `sub` allows nothing.
 */
function unverifiedPolicy(methodArn: string, code: string): APIGatewayAuthorizerResult {
  return connectPolicy(methodArn, 'unverified', { [UNVERIFIED_CONTEXT_KEY]: code });
}

/**
 * Verifies the token of a `$connect` and answers API Gateway. A refused token throws exactly
 * `Unauthorized` (API Gateway's signal for 401); a failing dependency (JWKS unreachable) is logged
 * and passed on to `$connect`, which answers 503. The token itself is never logged.
 */
export async function authoriseConnect(
  event: WebSocketAuthorizerEvent,
  verifier: TokenVerifier,
  tools: Powertools,
): Promise<APIGatewayAuthorizerResult> {
  const connectionId = event.requestContext?.connectionId;
  const refuse = (reason: string): never => {
    tools.logger.info('connection unauthorised', { connectionId, reason });
    tools.metrics.addMetric('ConnectionsUnauthorised', 'Count', 1);
    throw new Error('Unauthorized');
  };
  const token = bearerTokenOf(event);
  if (token === undefined) return refuse('no token');
  let claims: AccessClaims;
  try {
    claims = await verifier.verify(token);
  } catch (error) {
    const platformError = toPlatformError(error);
    if (!platformError.retryable) return refuse(platformError.message);
    tools.logger.error('token could not be checked; $connect answers 503', {
      connectionId,
      error: platformError,
    });
    tools.metrics.addMetric('ConnectionsUnverified', 'Count', 1);
    return unverifiedPolicy(event.methodArn, platformError.code);
  }
  tools.metrics.addMetric('ConnectionsAuthorised', 'Count', 1);
  return allowPolicy(event.methodArn, claims);
}

/**
 * The claims a WebSocket event's connection holds: `undefined` with `AUTH_MODE=none` (no checks);
 * with `jwt`, the authorizer context of its `$connect` (none at all allows nothing).
 * @throws DependencyError when the authorizer could not check the token (`$connect` answers 503).
 */
export function connectionClaims(authMode: 'jwt' | 'none', requestContext: object): AccessClaims | undefined {
  if (authMode === 'none') return undefined;
  // aws-lambda's WebSocket event type omits `authorizer`, which API Gateway does send.
  const context = (requestContext as { authorizer?: unknown }).authorizer;
  const unverified = (context as Record<string, unknown> | undefined)?.[UNVERIFIED_CONTEXT_KEY];
  if (unverified !== undefined) {
    throw new DependencyError(`the token could not be checked (${String(unverified)}); try again later`);
  }
  return claimsFromAuthorizerContext(context);
}
