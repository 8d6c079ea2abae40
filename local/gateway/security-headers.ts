import type { LocalTemplate } from '#local/template/model.ts';

interface SecurityHeadersConfig {
  ContentSecurityPolicy?: { ContentSecurityPolicy: string };
  StrictTransportSecurity?: {
    AccessControlMaxAgeSec: number;
    IncludeSubdomains?: boolean;
    Preload?: boolean;
  };
  ContentTypeOptions?: unknown;
  FrameOptions?: { FrameOption: string };
  ReferrerPolicy?: { ReferrerPolicy: string };
}

/**
 * The response headers CloudFront adds to the web app (the template's one
 * `AWS::CloudFront::ResponseHeadersPolicy`), as the local static file server sends them. Locally the
 * WebSocket API is `ws://` on its own port, so `connectSources` (its origins) join `connect-src`.
 * @throws Error when the template has no such policy or it sets no security headers.
 */
export function securityHeadersOf(
  template: LocalTemplate,
  connectSources: readonly string[],
): Record<string, string> {
  const policy = Object.values(template.resources).find(
    (resource) => resource.Type === 'AWS::CloudFront::ResponseHeadersPolicy',
  );
  const config = (
    template.resolve(policy?.Properties?.ResponseHeadersPolicyConfig) as
      | { SecurityHeadersConfig?: SecurityHeadersConfig }
      | undefined
  )?.SecurityHeadersConfig;
  if (!config) throw new Error('template.yaml has no ResponseHeadersPolicy with SecurityHeadersConfig');
  const headers: Record<string, string> = {};
  const csp = config.ContentSecurityPolicy?.ContentSecurityPolicy;
  if (csp !== undefined) headers['content-security-policy'] = withConnectSources(csp, connectSources);
  const hsts = config.StrictTransportSecurity;
  if (hsts !== undefined)
    headers['strict-transport-security'] = [
      `max-age=${hsts.AccessControlMaxAgeSec}`,
      ...(hsts.IncludeSubdomains ? ['includeSubDomains'] : []),
      ...(hsts.Preload ? ['preload'] : []),
    ].join('; ');
  if (config.ContentTypeOptions !== undefined) headers['x-content-type-options'] = 'nosniff';
  if (config.FrameOptions !== undefined) headers['x-frame-options'] = config.FrameOptions.FrameOption;
  if (config.ReferrerPolicy !== undefined) headers['referrer-policy'] = config.ReferrerPolicy.ReferrerPolicy;
  return headers;
}

function withConnectSources(csp: string, sources: readonly string[]): string {
  const directives = csp
    .split(';')
    .map((directive) => directive.trim().replace(/\s+/g, ' '))
    .filter((directive) => directive !== '');
  if (sources.length === 0) return directives.join('; ');
  const index = directives.findIndex((directive) => directive.startsWith('connect-src '));
  if (index === -1) directives.push(`connect-src 'self' ${sources.join(' ')}`);
  else directives[index] = `${directives[index]} ${sources.join(' ')}`;
  return directives.join('; ');
}
