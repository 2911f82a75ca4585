import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** The cdk-nag packs the service is checked against (validation-plugin API of cdk-nag 3). */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
}

export type NagPackName = 'AwsSolutions' | 'Serverless';

/**
 * Acknowledges one cdk-nag finding on a construct (and everything under it), with its reason.
 * `rule` is the rule id, with its finding in brackets where a rule reports several
 * (`AwsSolutions-IAM5[Resource::*]`). Harmless where cdk-nag is not used.
 */
export function acknowledge(scope: IConstruct, pack: NagPackName, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `${pack}::${rule}`, reason });
}
