/** The shapes the benchmark passes around: endpoints under test and result rows. */

/** A server under test: started here (with its pid) or given by URL. */
export interface Endpoint {
  name: string;
  url: string;
  pid: number | null;
  /** Data directory, when this script started the server (listing fills it directly). */
  dataDir?: string;
  stop(): Promise<void>;
  /** Starts a new process of the same server, where this script can (the caller stops this one). */
  fresh?: () => Promise<Endpoint>;
}

/** One measured row of the report. */
export interface Result {
  endpoint: string;
  scenario: string;
  ops: number;
  seconds: number;
  opsPerSec: number;
  mbPerSec: number;
  p50ms: number | null;
  p99ms: number | null;
  errors: number;
  serverCpuUsPerOp: number | null;
  serverPeakRssMiB: number | null;
  loadCpuSec: number | null;
  /** Share of the machine's CPU time the hypervisor took meanwhile (a noisy neighbour shows here). */
  stealPercent: number | null;
}
