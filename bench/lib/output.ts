/**
 * The bench's own output, and the service's. The functions log JSON lines (Powertools) and EMF
 * metrics to stdout as they do on Lambda, where CloudWatch ingests (and bills) every byte. While a
 * phase runs, stdout is captured: bytes are counted (for the log-cost line) and dropped, so the
 * terminal shows only the bench's progress (stderr) and the final table (the real stdout).
 */
const realStdoutWrite = process.stdout.write.bind(process.stdout);
let capturedBytes = 0;
let capturing = false;

/** Prints to the real stdout, also while capturing. */
export function out(text = ''): void {
  realStdoutWrite(`${text}\n`);
}

/** Progress lines go to stderr (not part of the table). */
export function progress(text: string): void {
  process.stderr.write(`[bench] ${text}\n`);
}

export function startCapture(): void {
  if (capturing) return;
  capturing = true;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    capturedBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk, 'utf8') : chunk.length;
    const callback = rest.find((r): r is () => void => typeof r === 'function');
    callback?.();
    return true;
  }) as typeof process.stdout.write;
}

export function stopCapture(): void {
  if (!capturing) return;
  capturing = false;
  process.stdout.write = realStdoutWrite as typeof process.stdout.write;
}

/** Bytes the service wrote to stdout since the last reset. */
export function capturedStdoutBytes(): number {
  return capturedBytes;
}

export function resetCaptured(): void {
  capturedBytes = 0;
}
