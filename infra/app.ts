import { App } from 'aws-cdk-lib';
import { loadStageConfig, stackPropsFromConfig, stageFromContext } from './config';
import { assertFunctionEntries } from './functions';
import { addNagChecks } from './nag';
import { TokenRefreshStack } from './stack';

// `cdk synth` / `cdk deploy` entry (cdk.json "app"). One stack per stage:
// `cdk deploy -c stage=prod` reads infra/config/prod.json (infra/config.ts, infra/DEPLOY.md).
assertFunctionEntries();
const app = new App();
const stage = stageFromContext(app.node);
const { stackName, props } = stackPropsFromConfig(stage, loadStageConfig(stage));
new TokenRefreshStack(app, stackName, props);
addNagChecks(app);
app.synth();
