import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  ApiMapping,
  type CfnStage,
  DomainName,
  EndpointType,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
  SecurityPolicy,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ARecord, HostedZone, type IHostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { parseRefreshOptions, workUnderLeaseMs } from '../shared/refresh/options';
import { ApiEdge, type ApiEdgeProps } from './api-edge';
import { type EnvironmentValues, functionEnvironment } from './environment';
import { acknowledge } from './nag';
import { grantEnvelopeKey, grantSend, grantTableAccess } from './permissions';
import { ServiceFunction } from './service-function';

/**
 * What callers of the IAM-authorized API may reach: `tokens:read` routes (a connection, its token,
 * its history) or every route (`admin`). API Gateway itself refuses other routes.
 */
export type IamApiScope = 'tokens:read' | 'admin';

/** The hot path (api.md): a valid access token of a connection. */
export const TOKEN_ROUTE = '/v1/integrations/{integration_id}/connections/{connection_id}/token';

/** The routes of the `tokens:read` scope (api.md, "Authentication"). */
export const TOKENS_READ_ROUTES = [
  '/v1/integrations/{integration_id}/connections/{connection_id}',
  '/v1/integrations/{integration_id}/connections/{connection_id}/token',
  '/v1/integrations/{integration_id}/connections/{connection_id}/history',
] as const;

/** A custom domain in front of the API; the default execute-api endpoint is then disabled. */
export interface ApiCustomDomain {
  /** The public name clients use: PUBLIC_URL is `https://<domainName>`. */
  readonly domainName: string;
  /**
   * ACM certificate in the stack's region for the API's regional domain: `domainName`, or
   * `waf.originDomainName` when CloudFront fronts the API.
   */
  readonly certificateArn: string;
  /** Route 53 zone to create the alias records in. @default - none: create the DNS records yourself */
  readonly hostedZoneId?: string | undefined;
  readonly hostedZoneName?: string | undefined;
}

/** API Gateway cuts a Lambda integration off at 30 s. */
const MAX_INTEGRATION_TIMEOUT = Duration.seconds(29);

export interface TokenApiProps {
  readonly table: ITable;
  /** Tokens and client secrets are wrapped and unwrapped with it (import, token route, connect flow). */
  readonly envelopeKey: IKey;
  /** Where state-transition events go (imports, on-demand refreshes). */
  readonly webhookQueue: IQueue;
  /** Configuration values every function shares (see `SHARED_ENVIRONMENT`). */
  readonly environment: EnvironmentValues;
  /**
   * The API's public base URL (PUBLIC_URL): the connect flow's callback is `<it>/v1/oauth/callback`.
   * Set it when a custom domain or a proxy fronts the API.
   * @default - the execute-api URL of the API
   */
  readonly publicUrl?: string;
  /**
   * Hex SHA-256 of a bootstrap admin key (ADMIN_API_KEY_SHA256). A digest, not a secret.
   * @default - none: create keys with `npm run keys -- create` against the table
   */
  readonly adminApiKeySha256?: string;
  /** Stage throttling of each API. @default { rateLimit: 50, burstLimit: 100 } */
  readonly throttle?: ThrottleSettings;
  /**
   * A second HTTP API whose routes require IAM (SigV4) authorization, for callers inside the AWS
   * account. Its callers act with the routes it has: `tokens:read` (default when on) or `admin`.
   * Grant access with {@link TokenApi.grantInvoke}; a principal allowed `execute-api:Invoke` on
   * `*` reaches it too, which is why it is off by default and read-only when on.
   * @default false
   */
  readonly iamApi?: boolean | { readonly scope?: IamApiScope };
  /**
   * A throttle of the token route alone (`GET …/connections/{connection_id}/token`), apart from
   * the stage throttle every other route shares, so that traffic elsewhere (anonymous included)
   * cannot use up the token route's budget.
   * @default - the token route shares the stage throttle
   */
  readonly tokenRouteThrottle?: ThrottleSettings;
  /** Concurrency reserved for the API function. @default - none (the account's unreserved pool) */
  readonly reservedConcurrency?: number;
  /** @default - the execute-api endpoint */
  readonly customDomain?: ApiCustomDomain;
  /**
   * AWS WAF in front of the API through a CloudFront distribution (HTTP APIs cannot take a web ACL
   * themselves). Needs `customDomain`: CloudFront serves its `domainName`, the API's own regional
   * domain becomes `originDomainName`.
   * @default - no CloudFront, no WAF
   */
  readonly waf?: Omit<ApiEdgeProps, 'domainName' | 'origin' | 'hostedZone'>;
  /** At most 29 s (API Gateway's limit). @default Duration.seconds(29) */
  readonly timeout?: Duration;
  /** Timeout of one provider token call on an on-demand refresh. @default Duration.seconds(10) */
  readonly providerTimeout?: Duration;
  /** @default 1024 (more memory, more CPU: the token route is latency-sensitive) */
  readonly memorySize?: number;
  /** Retention of the function's and the access logs. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * The HTTP API of api.md, served by the `api` function: a public API (API-key bearer auth in the
 * function; the OAuth callback and /health are public by design) and, by default, an IAM-authorized
 * twin for in-account callers. Both throttle and write JSON access logs.
 */
export class TokenApi extends Construct {
  readonly function: ServiceFunction;
  readonly httpApi: HttpApi;
  readonly iamHttpApi?: HttpApi;
  /** The stage of the API-key API. */
  readonly stage: HttpStage;
  /** The base URL clients use (PUBLIC_URL). */
  readonly url: string;
  /** The API's regional custom domain, when configured. */
  readonly domainName?: DomainName;
  /** CloudFront and WAF, when configured. */
  readonly edge?: ApiEdge;
  /** Method and path of each IAM API route (`*` and `/*` for `$default`). */
  private readonly iamRoutes: Array<{ method: string; path: string }> = [];

  constructor(scope: Construct, id: string, props: TokenApiProps) {
    super(scope, id);
    const timeout = props.timeout ?? MAX_INTEGRATION_TIMEOUT;
    const providerTimeout = props.providerTimeout ?? Duration.seconds(10);
    const throttle = props.throttle ?? { rateLimit: 50, burstLimit: 100 };
    this.validate(props, timeout, providerTimeout, throttle);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    const domain = props.customDomain;
    this.httpApi = new HttpApi(this, 'Api', {
      description: 'OAuth token refresh service (API keys)',
      createDefaultStage: false,
      // With a custom domain, the execute-api URL would be a way around its edge (WAF, DNS).
      disableExecuteApiEndpoint: domain !== undefined,
    });
    this.url =
      props.publicUrl ?? (domain === undefined ? this.httpApi.apiEndpoint : `https://${domain.domainName}`);

    this.function = new ServiceFunction(this, 'Handler', {
      name: 'api',
      description: 'HTTP API of the OAuth token refresh service',
      timeout,
      memorySize: props.memorySize ?? 1024,
      logRetention,
      ...(props.reservedConcurrency === undefined ? {} : { reservedConcurrency: props.reservedConcurrency }),
      environment: functionEnvironment('api', {
        ...props.environment,
        // The API resource's own endpoint, not the stage: no dependency on the function (no cycle).
        publicUrl: this.url,
        providerTimeoutMs: providerTimeout.toMilliseconds(),
        adminApiKeySha256: props.adminApiKeySha256,
      }),
    });
    grantTableAccess(this.function, props.table, [
      'GetItem',
      'PutItem',
      'UpdateItem',
      'DeleteItem',
      'Query',
      'Scan',
    ]);
    grantEnvelopeKey(this.function, props.envelopeKey);
    grantSend(this.function, props.webhookQueue);
    acknowledge(
      this.function,
      'Serverless',
      'Serverless-LambdaDLQ',
      'Invoked synchronously by API Gateway only: the caller gets the error; nothing to dead-letter.',
    );

    // One `$default` route per API: every request reaches the function, whose router answers
    // unknown paths with api.md's 404 envelope.
    const integration = new HttpLambdaIntegration('Handler', this.function);
    const publicRoute = (id: string, routeKey: HttpRouteKey) => {
      const route = new HttpRoute(this, id, { httpApi: this.httpApi, routeKey, integration });
      acknowledge(
        route,
        'AwsSolutions',
        'AwsSolutions-APIG4',
        'The function authenticates every /v1 route with API keys (Bearer; SHA-256 digests compared ' +
          'in constant time, scoped admin or tokens:read). GET /health and the OAuth callback must be ' +
          'public (a browser follows the provider redirect). The IAM API requires SigV4 on every route.',
      );
    };
    publicRoute('Route', HttpRouteKey.DEFAULT);
    this.stage = this.addStage(this.httpApi, 'Stage', throttle, logRetention, false);
    if (props.tokenRouteThrottle !== undefined) {
      // The token route gets a throttle budget of its own: traffic to any other path (anonymous
      // requests included) cannot use it up. The function routes by path, so the event is the same.
      const { rateLimit, burstLimit } = props.tokenRouteThrottle;
      if (rateLimit === undefined || burstLimit === undefined || rateLimit <= 0 || burstLimit <= 0) {
        throw new Error(`${this.node.path}: tokenRouteThrottle needs a positive rateLimit and burstLimit`);
      }
      const key = `GET ${TOKEN_ROUTE}`;
      publicRoute('TokenRoute', HttpRouteKey.with(TOKEN_ROUTE, HttpMethod.GET));
      (this.stage.node.defaultChild as CfnStage).routeSettings = {
        // RouteSettings is a JSON map in CloudFormation: the keys keep their CloudFormation case.
        [key]: { ThrottlingRateLimit: rateLimit, ThrottlingBurstLimit: burstLimit },
      };
    }

    if (domain !== undefined) {
      const zone =
        domain.hostedZoneId === undefined || domain.hostedZoneName === undefined
          ? undefined
          : HostedZone.fromHostedZoneAttributes(this, 'Zone', {
              hostedZoneId: domain.hostedZoneId,
              zoneName: domain.hostedZoneName,
            });
      const apiDomainName = props.waf === undefined ? domain.domainName : props.waf.originDomainName;
      this.domainName = new DomainName(this, 'Domain', {
        domainName: apiDomainName,
        certificate: Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn),
        endpointType: EndpointType.REGIONAL,
        securityPolicy: SecurityPolicy.TLS_1_2,
      });
      new ApiMapping(this, 'Mapping', { api: this.httpApi, domainName: this.domainName, stage: this.stage });
      if (zone !== undefined) this.aliasRecord(zone, apiDomainName, this.domainName);
      if (props.waf !== undefined) {
        this.edge = new ApiEdge(this, 'Edge', {
          ...props.waf,
          domainName: domain.domainName,
          origin: apiDomainName,
          ...(zone === undefined ? {} : { hostedZone: zone }),
        });
      }
    } else if (props.waf !== undefined) {
      throw new Error(`${this.node.path}: waf needs customDomain (CloudFront serves its domain name)`);
    }

    const iam = props.iamApi ?? false;
    if (iam !== false) {
      const scope: IamApiScope = iam === true ? 'tokens:read' : (iam.scope ?? 'tokens:read');
      this.iamHttpApi = new HttpApi(this, 'IamApi', {
        description: `OAuth token refresh service (IAM authorization, in-account callers, ${scope})`,
        createDefaultStage: false,
      });
      const integration = new HttpLambdaIntegration('IamHandler', this.function);
      const routes =
        scope === 'admin'
          ? [{ key: HttpRouteKey.DEFAULT, method: '*', path: '/*' }]
          : TOKENS_READ_ROUTES.map((path) => ({
              key: HttpRouteKey.with(path, HttpMethod.GET),
              method: 'GET',
              path: path.replace(/\{[^}]+\}/g, '*'),
            }));
      routes.forEach((route, i) => {
        new HttpRoute(this, i === 0 ? 'IamRoute' : `IamRoute${i}`, {
          httpApi: this.iamHttpApi as HttpApi,
          routeKey: route.key,
          integration,
          authorizer: new HttpIamAuthorizer(),
        });
        this.iamRoutes.push({ method: route.method, path: route.path });
      });
      this.addStage(this.iamHttpApi, 'IamStage', throttle, logRetention, true);
    }
  }

  private aliasRecord(zone: IHostedZone, recordName: string, domain: DomainName): void {
    new ARecord(this, 'AliasRecord', {
      zone,
      recordName,
      target: RecordTarget.fromAlias(
        new ApiGatewayv2DomainProperties(domain.regionalDomainName, domain.regionalHostedZoneId),
      ),
    });
  }

  /**
   * Lets a principal call the routes of the IAM-authorized API (`execute-api:Invoke` on exactly
   * those routes). @throws Error when the construct was created without the IAM API
   */
  grantInvoke(grantee: IGrantable): Grant {
    const api = this.iamHttpApi;
    if (api === undefined) throw new Error(`${this.node.path}: created without the IAM API`);
    return Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: this.iamRoutes.map(({ method, path }) => api.arnForExecuteApi(method, path, '*')),
    });
  }

  private addStage(
    api: HttpApi,
    id: string,
    throttle: ThrottleSettings,
    retention: RetentionDays,
    iam: boolean,
  ): HttpStage {
    const logs = new LogGroup(this, `${id}AccessLogs`, { retention, removalPolicy: RemovalPolicy.DESTROY });
    // No query strings and no headers: the OAuth callback's query carries an authorization code.
    const format: Record<string, string> = {
      requestId: '$context.requestId',
      requestTime: '$context.requestTime',
      ip: '$context.identity.sourceIp',
      userAgent: '$context.identity.userAgent',
      httpMethod: '$context.httpMethod',
      path: '$context.path',
      routeKey: '$context.routeKey',
      status: '$context.status',
      protocol: '$context.protocol',
      responseLength: '$context.responseLength',
      responseLatency: '$context.responseLatency',
      integrationLatency: '$context.integrationLatency',
      integrationError: '$context.integrationErrorMessage',
      ...(iam ? { userArn: '$context.identity.userArn', authorizerError: '$context.authorizer.error' } : {}),
    };
    return new HttpStage(this, id, {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(logs),
        format: AccessLogFormat.custom(JSON.stringify(format)),
      },
    });
  }

  private validate(
    props: TokenApiProps,
    timeout: Duration,
    providerTimeout: Duration,
    throttle: ThrottleSettings,
  ): void {
    const fail = (message: string) => {
      throw new Error(`${this.node.path}: ${message}`);
    };
    if (timeout.toSeconds() > MAX_INTEGRATION_TIMEOUT.toSeconds()) {
      fail('timeout must be at most 29 s (API Gateway ends the request at 30 s)');
    }
    // The refresh refuses to start with less time left than the work a lease covers (the same
    // rule, shared/refresh/options.ts); the API cannot hold a whole lease (29 s at most).
    const needed =
      workUnderLeaseMs(parseRefreshOptions({ providerTimeoutMs: providerTimeout.toMilliseconds() })) / 1000;
    if (timeout.toSeconds() <= needed) {
      fail(`timeout must exceed two provider calls plus the commit budget (${needed} s)`);
    }
    if (
      props.adminApiKeySha256 !== undefined &&
      !Token.isUnresolved(props.adminApiKeySha256) &&
      !/^[0-9a-fA-F]{64}$/.test(props.adminApiKeySha256)
    ) {
      fail('adminApiKeySha256 must be a hex SHA-256 digest (64 characters)');
    }
    if (props.publicUrl !== undefined && !Token.isUnresolved(props.publicUrl)) {
      if (!/^https:\/\/[^/]+(\/.*)?$/.test(props.publicUrl) || props.publicUrl.endsWith('/')) {
        fail('publicUrl must be an https URL without a trailing slash');
      }
    }
    const { rateLimit, burstLimit } = throttle;
    if (rateLimit === undefined || burstLimit === undefined || rateLimit <= 0 || burstLimit <= 0) {
      fail('throttle needs a positive rateLimit and burstLimit');
    }
  }
}
