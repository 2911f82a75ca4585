/**
 * The import rules of this repository, checked by `npm run lint` (dependency-cruiser).
 *
 * The layers, from the bottom up:
 *   core          shared/domain, shared/ports, shared/policy, shared/errors.ts
 *                 (the service's types, the interfaces it needs of the outside world, pure rules)
 *   models        shared/oauth, shared/providers, shared/keyring, shared/history, shared/config,
 *                 shared/webhooks/signing.ts, shared/webhooks/retry.ts
 *   use cases     shared/refresh, shared/pipeline, shared/webhooks (the rest), shared/api,
 *                 shared/migrate, shared/console
 *   adapters      shared/adapters (DynamoDB, KMS, SQS, Secrets Manager, HTTP, Powertools, local keyring)
 *   roots         functions/<name>/deps.ts (one per Lambda function, wires adapters into use cases),
 *                 functions/compose.ts (what the four roots share), functions/<name>/handler.ts
 *   outside       infra, bin, bench, test, console/src, client
 *
 * Paths in the rules are regular expressions on paths relative to the repository root. An npm
 * package shows up as its resolved file, e.g. node_modules/@aws-sdk/client-sqs/dist-cjs/index.js, or
 * node_modules/@types/aws-lambda/index.d.ts for a type-only package; a module that cannot be
 * resolved shows up as its bare name (@aws-sdk/client-sqs), so the package rules match both.
 */

/** Core: depends on nothing else in the project. */
const CORE = ['^shared/domain/', '^shared/ports/', '^shared/policy/', '^shared/errors\\.ts$'];

/** The use-case folders (webhooks' signing and retry are model code, see WEBHOOK_MODELS). */
const USE_CASES = [
  '^shared/refresh/',
  '^shared/pipeline/',
  '^shared/webhooks/',
  '^shared/api/',
  '^shared/migrate/',
  '^shared/console/',
];
const WEBHOOK_MODELS = ['^shared/webhooks/signing\\.ts$', '^shared/webhooks/retry\\.ts$'];

/** Everything outside shared/ that shared/ must never import. */
const OUTSIDE_SHARED = '^(functions|infra|bin|bench|test|console|client)/';

/** AWS SDK v3 clients and the Smithy runtime under them. */
const AWS_SDK = '^(node_modules/)?@(aws-sdk|smithy)/';

/** Lambda's event types (@types/aws-lambda) and Powertools' batch processor for SQS events. */
const LAMBDA_TYPES = '^(node_modules/)?((@types/)?aws-lambda|@aws-lambda-powertools/batch)(/|$)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Two modules import each other, directly or through others. A circle means neither can be ' +
        'understood, tested or moved on its own, and the module loaded first sees the other half-built ' +
        '(undefined exports at start-up). Move what both need into a third module that both import.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment:
        'Core (shared/domain, shared/ports, shared/policy, shared/errors.ts) is the bottom layer: the ' +
        "service's types, the interfaces it needs of the outside world and its pure rules. Everything " +
        'else builds on it, so it may import only other core modules, npm packages such as zod, and ' +
        'node builtins. If core needs something from a higher layer, that thing belongs in core ' +
        '(a type in shared/domain, an interface in shared/ports).',
      from: { path: CORE },
      to: {
        pathNot: [...CORE, '^node_modules/'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'shared-not-up',
      severity: 'error',
      comment:
        'shared/ is the library the Lambda functions, the CDK app, the CLIs, the benchmarks and the ' +
        'tests are built from. It must not import any of them back: that would drag CDK, test fixtures ' +
        'or another function into every Lambda bundle. Move the needed piece into shared/.',
      from: { path: '^shared/' },
      to: { path: OUTSIDE_SHARED },
    },
    {
      name: 'adapters-only-at-roots',
      severity: 'error',
      comment:
        'shared/adapters holds the code that talks to AWS, HTTP and Powertools. Only the composition ' +
        'roots (functions/*/deps.ts, functions/compose.ts) and the code outside shared/ pick adapters; ' +
        'the rest of shared/ works through the interfaces in shared/ports, so it can be tested with ' +
        'fakes and run locally. Depend on the port and let the root pass the adapter in.',
      from: { path: '^shared/', pathNot: '^shared/adapters/' },
      to: { path: '^shared/adapters/' },
    },
    {
      name: 'adapters-below-use-cases',
      severity: 'error',
      comment:
        'An adapter implements a port (a DynamoDB table, a KMS key, an SQS queue); it must not know the ' +
        'use cases that call it (refresh, pipeline, webhooks delivery, api, migrate, console). Otherwise ' +
        'the layers point both ways. Move the shared type or rule down into core or a model library.',
      from: { path: '^shared/adapters/' },
      to: { path: USE_CASES, pathNot: WEBHOOK_MODELS },
    },
    {
      name: 'aws-sdk-only-in-adapters-and-roots',
      severity: 'error',
      comment:
        'The AWS SDK (@aws-sdk/*, @smithy/*) belongs in shared/adapters, the composition roots ' +
        '(functions/compose.ts, functions/*/deps.ts) and the code outside the service (infra, bin, ' +
        'bench, test). Anywhere else it ties business code to AWS: it cannot run locally or in a unit ' +
        'test without mocking the SDK. Wrap the call in an adapter behind a port.',
      from: {
        pathNot: [
          '^shared/adapters/',
          '^functions/compose\\.ts$',
          '^functions/[^/]+/deps\\.ts$',
          '^(infra|bin|bench|test)/',
        ],
      },
      to: { path: AWS_SDK },
    },
    {
      name: 'lambda-types-only-in-functions',
      severity: 'error',
      comment:
        "Lambda's event types (aws-lambda) and the Powertools batch processor describe how AWS invokes " +
        'a function. Only functions/ (and infra, bench, test, which build or drive them) deal with ' +
        'that; shared/ takes plain values (a message, a request) so the same code runs under the local ' +
        'runtime. Convert the event in the handler and pass on what the use case needs.',
      from: { pathNot: '^(functions|infra|bench|test)/' },
      to: { path: LAMBDA_TYPES },
    },
    {
      name: 'handlers-use-their-root',
      severity: 'error',
      comment:
        'A Lambda handler (functions/<name>/handler.ts) gets its adapters only from its own composition ' +
        'root, functions/<name>/deps.ts, so all the wiring of a function is in one file and the handler ' +
        'can be tested with other deps. Build the adapter in deps.ts and hand it over from there.',
      from: { path: '^functions/[^/]+/handler\\.ts$' },
      to: { path: '^shared/adapters/' },
    },
    {
      name: 'handlers-use-their-root',
      severity: 'error',
      comment:
        'Each Lambda function (functions/<name>/) is bundled and deployed on its own: one function ' +
        "importing another's folder puts that code in its bundle and couples the two. What the roots " +
        'share goes in functions/compose.ts; the rest goes down into shared/.',
      from: { path: '^functions/([^/]+)/' },
      to: { path: '^functions/', pathNot: ['^functions/$1/', '^functions/compose\\.ts$'] },
    },
    {
      name: 'handlers-use-their-root',
      severity: 'error',
      comment:
        'functions/compose.ts holds what the four composition roots share; it is imported by them and ' +
        'must not import any one function back (that function would then be in every bundle).',
      from: { path: '^functions/compose\\.ts$' },
      to: { path: '^functions/[^/]+/' },
    },
    {
      name: 'use-cases-do-not-reach-the-api',
      severity: 'error',
      comment:
        'shared/api is the HTTP face of the service: routes, request and response schemas, views. The ' +
        'refresh, pipeline and webhook use cases run without HTTP (scheduled, from a queue), so they ' +
        'must not depend on it. Move what both need (a type, an error) into core or the use case.',
      from: { path: ['^shared/refresh/', '^shared/pipeline/', '^shared/webhooks/'] },
      to: { path: '^shared/api/' },
    },
  ],
  options: {
    // npm packages are recorded as dependencies but not cruised into. They must not be in `exclude`
    // too: an excluded module disappears from the graph, and the AWS SDK and Lambda rules above
    // could never fire.
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^cdk\\.out/', '^dist/', '^console/dist/', '^client/dist/'] },
    // Type-only imports count: a type import from the wrong layer is still a wrong dependency.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts'],
    },
    skipAnalysisNotInRules: true,
  },
};
