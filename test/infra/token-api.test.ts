import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { TOKENS_READ_ROUTES, TokenApi, type TokenApiProps } from '../../infra/token-api';
import {
  actionsOf,
  type Fixture,
  fixture,
  resource,
  resourcesOf,
  statementsOfFunction,
  statementsOfRole,
  template,
} from './support';

function api(f: Fixture, props: Partial<TokenApiProps> = {}): TokenApi {
  return new TokenApi(f.stack, 'Api', { ...f.wiring, ...props });
}

describe('TokenApi', () => {
  const f = fixture();
  const construct = api(f, { iamApi: true });
  const caller = new Role(f.stack, 'Caller', { assumedBy: new ServicePrincipal('ec2.amazonaws.com') });
  construct.grantInvoke(caller);
  const t = template(f.stack);
  const fn = resource(t, 'AWS::Lambda::Function', 'ApiHandler');
  const publicApi = resource(t, 'AWS::ApiGatewayV2::Api', 'Api').id;
  const iamApi = resource(t, 'AWS::ApiGatewayV2::Api', 'ApiIamApi').id;
  const variables = (fn.props.Environment as { Variables: Record<string, unknown> }).Variables;

  it('sends every request of the public API to the function, which checks API keys itself', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      ApiId: { Ref: publicApi },
      RouteKey: '$default',
      AuthorizationType: 'NONE',
    });
  });

  it('requires IAM (SigV4) on every route of the second API, which has only the tokens:read routes', () => {
    const routes = Object.values(resourcesOf(t, 'AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties as Record<string, unknown>,
    );
    const iamRoutes = routes.filter((r) => JSON.stringify(r.ApiId) === JSON.stringify({ Ref: iamApi }));
    expect(iamRoutes.map((r) => r.RouteKey).sort()).toEqual(TOKENS_READ_ROUTES.map((p) => `GET ${p}`).sort());
    for (const r of iamRoutes) expect(r.AuthorizationType).toBe('AWS_IAM');
  });

  it('has no IAM API unless asked for; the admin scope is one $default route', () => {
    const g = fixture();
    api(g);
    template(g.stack).resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    const h = fixture();
    api(h, { iamApi: { scope: 'admin' } });
    const routes = Object.values(resourcesOf(template(h.stack), 'AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties as Record<string, unknown>,
    );
    expect(routes.filter((r) => r.AuthorizationType === 'AWS_IAM').map((r) => r.RouteKey)).toEqual([
      '$default',
    ]);
  });

  it('serves a custom domain with the execute-api endpoint disabled and an alias record', () => {
    const g = fixture();
    api(g, {
      customDomain: {
        domainName: 'tokens.example.com',
        certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/66666666-7777-8888-9999-000000000000',
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        hostedZoneName: 'example.com',
      },
    });
    const u = template(g.stack);
    u.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
    u.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'tokens.example.com',
      DomainNameConfigurations: [Match.objectLike({ EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' })],
    });
    u.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    u.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'tokens.example.com.', Type: 'A' });
    u.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PUBLIC_URL: 'https://tokens.example.com' }) },
    });
    u.resourceCountIs('AWS::CloudFront::Distribution', 0);
  });

  it('puts WAF in front through CloudFront; outside us-east-1 it needs an existing web ACL', () => {
    const customDomain = {
      domainName: 'tokens.example.com',
      certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/66666666-7777-8888-9999-000000000000',
    };
    const waf = {
      cloudFrontCertificateArn:
        'arn:aws:acm:us-east-1:123456789012:certificate/66666666-7777-8888-9999-000000000001',
      originDomainName: 'origin.tokens.example.com',
    };
    const inRegion = (region: string) => fixture({ env: { region, account: '123456789012' } });
    expect(() => api(inRegion('eu-west-1'), { customDomain, waf })).toThrow(/only be created in us-east-1/);
    const webAclArn =
      'arn:aws:wafv2:us-east-1:123456789012:global/webacl/oauth/11111111-2222-3333-4444-555555555555';
    const g = inRegion('eu-west-1');
    api(g, { customDomain, waf: { ...waf, webAclArn } });
    const u = template(g.stack);
    u.resourceCountIs('AWS::WAFv2::WebACL', 0);
    u.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ Aliases: ['tokens.example.com'], WebACLId: webAclArn }),
    });
    u.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'origin.tokens.example.com' });
    expect(() => api(fixture(), { waf })).toThrow(/waf needs customDomain/);
  });

  it('sets PUBLIC_URL to the public API endpoint, not to anything of the function (no cycle)', () => {
    expect(variables.PUBLIC_URL).toEqual({ 'Fn::GetAtt': [publicApi, 'ApiEndpoint'] });
  });

  it('throttles both stages and writes JSON access logs without query strings', () => {
    const stages = Object.values(resourcesOf(t, 'AWS::ApiGatewayV2::Stage')).map(
      (s) => s.Properties as Record<string, { Format?: string } & Record<string, unknown>>,
    );
    expect(stages).toHaveLength(2);
    for (const stage of stages) {
      expect(stage.DefaultRouteSettings).toEqual({ ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 });
      const format = JSON.parse(String(stage.AccessLogSettings?.Format)) as Record<string, string>;
      expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
      expect(Object.values(format).join(' ')).not.toMatch(/querystring|header\./i);
    }
  });

  it('retains access logs for the log retention', () => {
    t.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 3);
  });

  it('lets the function use the whole table, the envelope key under its context, and the webhook queue', () => {
    const actions = statementsOfFunction(t, fn).flatMap(actionsOf);
    expect(actions).toEqual(
      expect.arrayContaining([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'kms:GenerateDataKey',
        'kms:Decrypt',
        'sqs:SendMessage',
      ]),
    );
  });

  it('grants execute-api:Invoke on exactly the IAM API routes to a principal', () => {
    const statements = statementsOfRole(t, resource(t, 'AWS::IAM::Role', 'Caller').id);
    expect(statements).toHaveLength(1);
    expect(statements[0]?.Action).toBe('execute-api:Invoke');
    const resources = statements[0]?.Resource as unknown[];
    expect(resources).toHaveLength(TOKENS_READ_ROUTES.length);
    for (const r of resources) {
      expect(JSON.stringify(r)).toContain(iamApi);
      expect(JSON.stringify(r)).toContain('/GET/v1/integrations/*/connections/*');
    }
  });

  it('uses a public URL it is given (custom domain) and can leave out the IAM API', () => {
    const g = fixture();
    api(g, { publicUrl: 'https://tokens.example.com', iamApi: false, adminApiKeySha256: 'a'.repeat(64) });
    const u = template(g.stack);
    u.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          PUBLIC_URL: 'https://tokens.example.com',
          ADMIN_API_KEY_SHA256: 'a'.repeat(64),
        }),
      },
    });
    u.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
  });

  it('rejects a timeout API Gateway would cut off, or one too short for an on-demand refresh', () => {
    expect(() => api(fixture(), { timeout: Duration.seconds(30) })).toThrow(/at most 29 s/);
    expect(() => api(fixture(), { timeout: Duration.seconds(20) })).toThrow(/two provider calls/);
  });

  it('rejects an admin key digest that is not hex SHA-256, and a public URL with a trailing slash', () => {
    expect(() => api(fixture(), { adminApiKeySha256: 'secret' })).toThrow(/adminApiKeySha256/);
    expect(() => api(fixture(), { publicUrl: 'https://tokens.example.com/' })).toThrow(/publicUrl/);
    expect(() => api(fixture(), { publicUrl: 'http://tokens.example.com' })).toThrow(/publicUrl/);
  });

  it('refuses grantInvoke without the IAM API', () => {
    const g = fixture();
    const noIam = api(g, { iamApi: false });
    expect(() =>
      noIam.grantInvoke(new Role(g.stack, 'R', { assumedBy: new ServicePrincipal('ec2.amazonaws.com') })),
    ).toThrow(/without the IAM API/);
  });
});
