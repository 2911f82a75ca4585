/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (an esbuild alias set in
 * infra/bundle/aliases.ts). Every SDK client's default configuration imports the whole default
 * credential chain — SSO, INI files, web identity, process, IMDS, each with the nested STS/SSO
 * clients, ≈100 KB of each bundle — although in Lambda the first link, the environment variables
 * the runtime sets from the function's role, always answers. Only the bundles use this; local
 * runs and tests keep the full chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

type EnvProvider = ReturnType<typeof fromEnv>;

/** The default chain's signature (the SDK clients pass their logger and region options). */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}): EnvProvider => fromEnv(init);
