/** Makes a received message visible again after a delay (SQS ChangeMessageVisibility). */
export interface Redelivery {
  /** @throws ServiceError `queue_unavailable` */
  after(receiptHandle: string, seconds: number): Promise<void>;
}
