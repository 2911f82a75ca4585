import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { moveMessages, summarize } from '../../../infra/local/control';

const sqs = mockClient(SQSClient);
const client = new SQSClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});

describe('the local DLQ redrive (infra/local/control.ts)', () => {
  afterEach(() => sqs.reset());

  it('deletes from the DLQ only what the source queue accepted, attributes kept', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { MessageId: 'a', ReceiptHandle: 'rh-a', Body: 'one' },
          {
            MessageId: 'b',
            ReceiptHandle: 'rh-b',
            Body: 'two',
            MessageAttributes: { kind: { DataType: 'String', StringValue: 'x' } },
          },
          { MessageId: 'c', ReceiptHandle: 'rh-c', Body: 'three' },
        ],
      })
      .resolves({ Messages: [] });
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [
        { Id: '0', MessageId: 'n0', MD5OfMessageBody: '' },
        { Id: '2', MessageId: 'n2', MD5OfMessageBody: '' },
      ],
      Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
    });
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const result = await moveMessages(client, 'dlq-url', 'source-url');
    expect(result).toEqual({ moved: 2, failed: 1 });
    const sent = sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input;
    expect(sent?.QueueUrl).toBe('source-url');
    expect(sent?.Entries?.[1]).toEqual({
      Id: '1',
      MessageBody: 'two',
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'x' } },
    });
    const deleted = sqs.commandCalls(DeleteMessageBatchCommand);
    expect(deleted).toHaveLength(1);
    expect(deleted[0]?.args[0].input).toEqual({
      QueueUrl: 'dlq-url',
      Entries: [
        { Id: '0', ReceiptHandle: 'rh-a' },
        { Id: '2', ReceiptHandle: 'rh-c' },
      ],
    });
  });

  it('summarizes dead letters by their identifiers only', () => {
    expect(
      summarize({
        messageId: 'm1',
        approximateReceiveCount: 24,
        body: JSON.stringify({
          id: 'evt_1',
          body: {
            type: 'connection.recovered',
            data: { integration_id: 'crm', connection_id: 'u1', extra: 'x' },
          },
        }),
      }),
    ).toEqual({
      message_id: 'm1',
      receive_count: 24,
      integration_id: 'crm',
      connection_id: 'u1',
      event_type: 'connection.recovered',
      event_id: 'evt_1',
      parseable: true,
    });
    expect(summarize({ messageId: 'm2', approximateReceiveCount: 5, body: 'poison' })).toMatchObject({
      integration_id: null,
      parseable: false,
    });
  });
});
