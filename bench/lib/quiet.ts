/**
 * Imported first by bench/run.ts: hides the AWS SDK's one-time notice that its future versions
 * need Node 22 (the project runs on Node 20 too), keeps every other warning.
 */
const listeners = process.listeners('warning');
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'NodeVersionSupportWarning' || warning.message.includes('NodeVersionSupportWarning'))
    return;
  for (const listener of listeners) listener(warning);
});
