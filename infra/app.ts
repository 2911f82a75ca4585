import { App } from 'aws-cdk-lib';
import { stackPropsFromContext } from './context';
import { assertFunctionEntries } from './functions';
import { addNagChecks } from './nag';
import { TokenRefreshStack } from './stack';

// `cdk synth` / `cdk deploy` entry (cdk.json "app"). Context values: infra/context.ts, infra/DEPLOY.md.
assertFunctionEntries();
const app = new App();
const { stackName, props } = stackPropsFromContext(app.node);
new TokenRefreshStack(app, stackName, props);
addNagChecks(app);
app.synth();
