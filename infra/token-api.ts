import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type EnvironmentValues, functionEnvironment } from './environment';
import { acknowledge } from './nag';
import { grantEnvelopeKey, grantSend, grantTableAccess } from './permissions';
import { ServiceFunction } from './service-function';

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
   * A second HTTP API whose every route requires IAM (SigV4) authorization, for callers inside
   * the AWS account; such callers act as admin. Grant access with {@link TokenApi.grantInvoke}.
   * @default true
   */
  readonly iamApi?: boolean;
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
  /** The base URL clients use (PUBLIC_URL). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: TokenApiProps) {
    super(scope, id);
    const timeout = props.timeout ?? MAX_INTEGRATION_TIMEOUT;
    const providerTimeout = props.providerTimeout ?? Duration.seconds(10);
    const throttle = props.throttle ?? { rateLimit: 50, burstLimit: 100 };
    this.validate(props, timeout, providerTimeout, throttle);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    this.httpApi = new HttpApi(this, 'Api', {
      description: 'OAuth token refresh service (API keys)',
      createDefaultStage: false,
    });
    this.url = props.publicUrl ?? this.httpApi.apiEndpoint;

    this.function = new ServiceFunction(this, 'Handler', {
      name: 'api',
      description: 'HTTP API of the OAuth token refresh service',
      timeout,
      memorySize: props.memorySize ?? 1024,
      logRetention,
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
    const route = new HttpRoute(this, 'Route', {
      httpApi: this.httpApi,
      routeKey: HttpRouteKey.DEFAULT,
      integration: new HttpLambdaIntegration('Handler', this.function),
    });
    acknowledge(
      route,
      'AwsSolutions',
      'AwsSolutions-APIG4',
      'The function authenticates every /v1 route with API keys (Bearer; SHA-256 digests compared ' +
        'in constant time, scoped admin or tokens:read). GET /health and the OAuth callback must be ' +
        'public (a browser follows the provider redirect). The IAM API requires SigV4 on every route.',
    );
    this.addStage(this.httpApi, 'Stage', throttle, logRetention, false);

    if (props.iamApi ?? true) {
      this.iamHttpApi = new HttpApi(this, 'IamApi', {
        description: 'OAuth token refresh service (IAM authorization, in-account callers)',
        createDefaultStage: false,
      });
      new HttpRoute(this, 'IamRoute', {
        httpApi: this.iamHttpApi,
        routeKey: HttpRouteKey.DEFAULT,
        integration: new HttpLambdaIntegration('IamHandler', this.function),
        authorizer: new HttpIamAuthorizer(),
      });
      this.addStage(this.iamHttpApi, 'IamStage', throttle, logRetention, true);
    }
  }

  /**
   * Lets a principal call the IAM-authorized API (`execute-api:Invoke` on all its routes); it then
   * acts as admin. @throws Error when the construct was created with `iamApi: false`
   */
  grantInvoke(grantee: IGrantable): Grant {
    if (this.iamHttpApi === undefined) throw new Error(`${this.node.path}: created without the IAM API`);
    return Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.iamHttpApi.arnForExecuteApi()],
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
    // shared/refresh/under-lease.ts refuses to start a refresh with less time left than this.
    const needed = providerTimeout.toSeconds() * 2 + 5;
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
