import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { JoseTokenVerifier } from '#adapters/jose-token-verifier.ts';
import { refuseEveryToken, type TokenVerifier } from '#core/authorise.ts';
import { JwtEnvSchema, loadConfig } from '#runtime/config.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';
import { authoriseConnect, type WebSocketAuthorizerEvent } from '#runtime/ws-authorizer.ts';

/**
 * The `$connect` REQUEST authorizer: verifies the JWT (`?token=`) and passes its claims (`sub`,
 * `keys`, `ingest`) as the authorizer context every later event of the connection carries.
 * Missing, invalid, expired, `alg:none` or misaddressed tokens → 401.
 */
const config = loadConfig(JwtEnvSchema);
const tools = powertoolsFor('ws-authorizer');
const verifier: TokenVerifier = config.JWT_SECRET
  ? JoseTokenVerifier.fromSecret({
      secret: config.JWT_SECRET,
      ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
      ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
    })
  : config.JWKS_URL && config.JWT_ISSUER && config.JWT_AUDIENCE
    ? JoseTokenVerifier.fromJwks({
        jwksUrl: config.JWKS_URL,
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
      })
    : // AuthMode=none: the $connect route has no authorizer; should one call it anyway, nobody passes.
      refuseEveryToken;

export const handler = observedHandler<WebSocketAuthorizerEvent, APIGatewayAuthorizerResult>(
  (event) => authoriseConnect(event, verifier, tools),
  tools,
);
