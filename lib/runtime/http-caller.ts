import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { type AccessClaims, claimsFromJwtAuthorizer, OPEN_ACCESS } from '#core/authorise.ts';
import { UnauthorizedError } from '#core/errors.ts';

/**
 * Who calls an HTTP API route: everyone may do everything with `AUTH_MODE=none`; with `jwt`, the
 * claims the route's JWT authorizer passed (`requestContext.authorizer.jwt.claims`).
 * @throws UnauthorizedError with `jwt` when no authorizer ran (a route wired without one stays closed).
 */
export function httpCallerClaims(authMode: 'jwt' | 'none', requestContext: object): AccessClaims {
  if (authMode === 'none') return OPEN_ACCESS;
  // aws-lambda types the JWT authorizer's context on a separate event type.
  const claims = claimsFromJwtAuthorizer((requestContext as { authorizer?: unknown }).authorizer);
  if (!claims) throw new UnauthorizedError('missing or invalid bearer token (Authorization)');
  return claims;
}

/**
 * The event of an HTTP API route behind {@link httpCallerClaims}, its JSON body parsed by the middy
 * stack. `authorizer` is absent with `AUTH_MODE=none`: the caller is then the source IP.
 */
export type HttpCallerEvent = Omit<APIGatewayProxyEventV2WithJWTAuthorizer, 'requestContext'> & {
  body: unknown;
  requestContext: Omit<APIGatewayProxyEventV2WithJWTAuthorizer['requestContext'], 'authorizer'> &
    Partial<Pick<APIGatewayProxyEventV2WithJWTAuthorizer['requestContext'], 'authorizer'>>;
};

/**
 * The HTTP API's own URL, from the request that reached it: the template cannot hand the function
 * its API's URL (the API's routes refer to the function, so that would be a circular dependency).
 */
export function httpApiUrlOf(context: APIGatewayProxyEventV2['requestContext']): string {
  const stagePath = context.stage === '$default' ? '' : `/${context.stage}`;
  return `https://${context.domainName}${stagePath}`;
}
