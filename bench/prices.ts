/**
 * AWS list prices the benchmark turns counted usage into dollars with. The ONLY place prices live.
 *
 * Region: us-east-1 (N. Virginia). Currency: USD. No free tier, no savings plans, no reserved
 * capacity: the marginal price of one more request at moderate volume.
 *
 * Date: 2026-11-26 (this file's last review). The figures are the public list prices as the author
 * knows them; they have been stable since the DynamoDB on-demand reduction of 1 November 2024. They
 * were NOT fetched from AWS at run time (the bench is offline): check them against the pricing
 * pages below before quoting a number, and update `PRICES_DATE` when you do.
 *
 * Sources (public pricing pages):
 * - DynamoDB: https://aws.amazon.com/dynamodb/pricing/on-demand/ and .../provisioned/
 *   On-demand, Standard table class, after the 50 % reduction of Nov 2024: $0.625 per million write
 *   request units, $0.125 per million read request units. Provisioned: $0.00065 per WCU-hour,
 *   $0.00013 per RCU-hour. A write unit covers 1 KB of item (the larger of old and new item for an
 *   update, also for a write whose condition fails); a strongly consistent read unit covers 4 KB,
 *   an eventually consistent one 8 KB (0.5 unit per 4 KB). Writes to a GSI are billed like table
 *   writes (an update that changes an index key = delete + put = 2 index writes).
 * - SQS: https://aws.amazon.com/sqs/pricing/ — standard queue $0.40 per million requests after the
 *   first million per month; a batch of up to 10 messages is one request (per 64 KB chunk).
 * - KMS: https://aws.amazon.com/kms/pricing/ — $0.03 per 10,000 requests (symmetric
 *   GenerateDataKey / Decrypt), plus $1 per key-month (fixed, not per refresh).
 * - Lambda: https://aws.amazon.com/lambda/pricing/ — arm64 $0.0000133334 per GB-second (first 7.5
 *   billion GB-s per month; lower tiers beyond), $0.20 per million requests; duration is billed per
 *   1 ms.
 * - API Gateway: https://aws.amazon.com/api-gateway/pricing/ — HTTP API $1.00 per million requests
 *   (first 300 million per month; $0.90 beyond), per 512 KB of request/response.
 * - CloudWatch Logs: https://aws.amazon.com/cloudwatch/pricing/ — $0.50 per GB ingested (standard
 *   log class). Shown as an extra line; not part of the cost targets.
 *
 * Uncertainty: the Lambda GB-s price is the arm64 first tier (x86 is $0.0000166667); the API
 * Gateway price is the first-300M tier; KMS symmetric request price is the common one (some
 * asymmetric/HMAC operations cost more but the service uses none).
 */
export const PRICES_DATE = '2026-11-26';
export const PRICES_REGION = 'us-east-1';

export const PRICES = {
  dynamodb: {
    /** On-demand, per write request unit (1 KB). */
    writeRequestUnit: 0.625 / 1e6,
    /** On-demand, per read request unit (4 KB strongly consistent; 0.5 for eventually consistent). */
    readRequestUnit: 0.125 / 1e6,
    /** Provisioned, per WCU-hour (one write per second for an hour, at 100 % utilisation). */
    wcuHour: 0.00065,
    /** Provisioned, per RCU-hour. */
    rcuHour: 0.00013,
  },
  sqs: {
    /** Standard queue, per request (a batch of up to 10 messages is one request). */
    request: 0.4 / 1e6,
  },
  kms: {
    /** Symmetric GenerateDataKey / Decrypt. */
    request: 0.03 / 10_000,
  },
  lambda: {
    /** arm64, first tier. */
    gbSecond: 0.0000133334,
    request: 0.2 / 1e6,
  },
  apiGateway: {
    /** HTTP API, first 300 million requests per month. */
    httpRequest: 1.0 / 1e6,
  },
  cloudwatchLogs: {
    /** Standard log class ingestion. */
    ingestedByte: 0.5 / 1024 ** 3,
  },
} as const;
