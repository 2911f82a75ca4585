import { Duration, Stack, Token } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { AaaaRecord, ARecord, type IHostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { CloudFrontTarget } from 'aws-cdk-lib/aws-route53-targets';
import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { acknowledge } from './nag';

export interface ApiEdgeProps {
  /** The public name CloudFront serves. */
  readonly domainName: string;
  /** ACM certificate in us-east-1 covering `domainName` (CloudFront only takes those). */
  readonly cloudFrontCertificateArn: string;
  /** The API's regional custom domain, CloudFront's origin (HTTPS only). */
  readonly origin: string;
  /** Name `TokenApi` gives the API's regional custom domain behind CloudFront. */
  readonly originDomainName: string;
  /**
   * An existing web ACL of scope CLOUDFRONT (those live in us-east-1).
   * @default - a web ACL created here, which works only when the stack deploys to us-east-1
   */
  readonly webAclArn?: string;
  /** Requests per 5 minutes from one IP before the created web ACL blocks it. @default 1000 */
  readonly rateLimitPer5Minutes?: number;
  /** Zone for the A/AAAA alias records of `domainName`. @default - none */
  readonly hostedZone?: IHostedZone;
}

/**
 * AWS WAF in front of the HTTP API, the way AWS supports it for HTTP APIs (which cannot be
 * associated with a web ACL): a CloudFront distribution with the web ACL, no caching, forwarding
 * every viewer header but Host (the Authorization header included) to the API's custom domain.
 * The created web ACL blocks IPs over a request rate and known-bad inputs and IPs (AWS managed rules).
 */
export class ApiEdge extends Construct {
  readonly distribution: Distribution;
  readonly webAclArn: string;

  constructor(scope: Construct, id: string, props: ApiEdgeProps) {
    super(scope, id);
    this.webAclArn = props.webAclArn ?? this.createWebAcl(props.rateLimitPer5Minutes ?? 1000).attrArn;
    this.distribution = new Distribution(this, 'Distribution', {
      comment: `OAuth token refresh service API (${props.domainName})`,
      domainNames: [props.domainName],
      certificate: Certificate.fromCertificateArn(this, 'Certificate', props.cloudFrontCertificateArn),
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      webAclId: this.webAclArn,
      defaultBehavior: {
        origin: new HttpOrigin(props.origin, {
          protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [OriginSslPolicy.TLS_V1_2],
          // The API answers within 29 s (API Gateway's integration limit).
          readTimeout: Duration.seconds(30),
        }),
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_ALL,
        // No caching: with caching off, AllViewerExceptHostHeader forwards Authorization too.
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
    });
    acknowledge(
      this.distribution,
      'AwsSolutions',
      'AwsSolutions-CFR1',
      'The API serves customers wherever they are; country blocking, if wanted, belongs in the web ACL.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions',
      'AwsSolutions-CFR3',
      'Every request that passes CloudFront reaches the API stage, whose JSON access log records it ' +
        '(no query strings: the OAuth callback carries a code); web ACL blocks show in WAF metrics.',
    );
    if (props.hostedZone !== undefined) {
      const target = RecordTarget.fromAlias(new CloudFrontTarget(this.distribution));
      new ARecord(this, 'AliasRecord', { zone: props.hostedZone, recordName: props.domainName, target });
      new AaaaRecord(this, 'AliasRecordIpv6', {
        zone: props.hostedZone,
        recordName: props.domainName,
        target,
      });
    }
  }

  private createWebAcl(rateLimit: number): CfnWebACL {
    const region = Stack.of(this).region;
    if (Token.isUnresolved(region) || region !== 'us-east-1') {
      throw new Error(
        `${this.node.path}: a CloudFront web ACL can only be created in us-east-1; create one there and ` +
          'set api.waf.webAclArn (infra/DEPLOY.md, "Edge: custom domain and WAF")',
      );
    }
    const visibility = (name: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName: name,
      sampledRequestsEnabled: true,
    });
    const managed = (name: string, priority: number) => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: visibility(name),
    });
    return new CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      description: 'OAuth token refresh service API: per-IP rate limit, known bad inputs and IPs',
      visibilityConfig: visibility('OAuthRefresherApi'),
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: rateLimit, aggregateKeyType: 'IP' } },
          visibilityConfig: visibility('RateLimitPerIp'),
        },
        managed('AWSManagedRulesAmazonIpReputationList', 1),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 2),
      ],
    });
  }
}
