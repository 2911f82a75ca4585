/**
 * Stands in for `@smithy/core/event-streams` in the Lambda bundles (an esbuild alias, see
 * aliases.ts). The SDK loads that module, ≈15 KB of each bundle, only for operations that stream
 * events (Bedrock, Transcribe, S3 Select, …); the service calls DynamoDB, KMS and SQS, which have
 * none. Should a future call need it, it fails loudly here instead of silently misbehaving.
 */
function unavailable(): never {
  throw new Error(
    'AWS SDK event streams are left out of this bundle (infra/bundle/aliases.ts); remove the alias to use them',
  );
}

export class EventStreamSerde {
  constructor() {
    unavailable();
  }
}

export const eventStreamSerdeProvider = (): never => unavailable();
