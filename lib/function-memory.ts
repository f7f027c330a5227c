import type { FunctionName } from './function-bundling.ts';

/**
 * Memory of each function, in MB. Lambda gives a function CPU in proportion to its memory
 * (a whole vCPU at 1,769 MB), and bills memory x duration.
 *
 * Measured with `npx node bench/lambda-footprint.ts` (each API function's deployed bundle in its
 * own Node 24 process, against DynamoDB Local and an S3 emulator; README, "Memory sizes"):
 * resident memory is 126-129 MB once the bundle and the AWS SDK are loaded and 150-200 MB
 * at its peak, with 27-28 MB of live heap; warm requests take 4.8-6.5 ms of CPU (single
 * send), 6.2-6.6 ms (batch of 32), about 5.5 ms (receive or ack of 32) and 1.6-2.1 ms
 * (admin reads). Two runs on a shared 2-core machine.
 *
 * - 128 MB is below the resident memory after init: no function goes there.
 * - 256 MB leaves room for the peak and runs those requests in an estimated 11-46 ms of CPU
 *   at its 14% of a vCPU (this machine's core taken as one vCPU), next to DynamoDB round
 *   trips. `consume-pull` spends most of its time waiting in long-polls, where every MB is
 *   billed for nothing: it stays at 256.
 * - More memory buys shorter cold starts (100-250 ms of CPU here for import and first
 *   request, so roughly 0.7-1.7 s at 256 MB and half that at 512 MB, an estimate: Lambda
 *   itself was not measured) at a higher price per request; raise `send` with the
 *   `memorySize` prop when producer latency after scale-out matters more than cost.
 *
 * The background functions were not measured; they run the same store code with bounded
 * batches (push-deliver bounds bodies in flight to 48 MiB for 256 MB), so they share the size.
 */
export const FUNCTION_MEMORY_MB: Record<FunctionName, number> = {
  send: 256,
  'consume-pull': 256,
  admin: 256,
  'retention-sweep': 256,
  'backlog-metrics': 256,
  'push-deliver': 256,
  'push-stream': 256,
  'lease-expiry': 256,
  'timer-release': 256,
  'transaction-commit': 256,
  'transaction-check-back': 256,
  // Reads three small files once per instance and returns them: the smallest size does.
  console: 128,
};
