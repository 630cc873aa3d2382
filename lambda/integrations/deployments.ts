/**
 * The deployment system a rollout talks to (Argo CD, ECS, Kubernetes, your
 * own API). `rollout_service` only needs these two calls; replace
 * `simulatedDeployments()` with a client of the real thing.
 */
interface DeploymentApi {
  /** Starts rolling out `version`; answers at once with the deployment's id and page. */
  start(request: { service: string; version: string; environment: string }): Promise<{ id: string; url: string }>;
  /** Where the rollout stands. */
  status(id: string): Promise<{ state: 'progressing' | 'healthy' | 'failed'; ready: number; desired: number }>;
}

interface SimulationOptions {
  /** How long a rollout takes to become healthy (default 4 minutes). */
  rolloutMs?: number;
  /** Replicas a rollout brings up, one after the other (default 3). */
  desired?: number;
  /** Status checks after which a rollout is healthy however little time passed (default 8: every 30 s for 4 minutes). */
  checksToHealthy?: number;
  now?: () => number;
}

/**
 * A stand-in deployment system for the demo and the tests: a rollout brings
 * its replicas up one by one and is healthy `rolloutMs` after it started (the
 * deployment id carries the start time, so every container and every replay
 * answers alike). Where the clock does not move, because the durable SDK's
 * test clock skips the waits between checks (tests, `npm run invoke --
 * --skip-waits`), the status checks this process made count as progress too.
 */
const simulatedDeployments = (options: SimulationOptions = {}): DeploymentApi => {
  const rolloutMs = options.rolloutMs ?? 4 * 60_000;
  const desired = options.desired ?? 3;
  const checksToHealthy = options.checksToHealthy ?? 8;
  const checks = new Map<string, number>();
  // Read at each call: the durable SDK's skipped waits (tests, npm run invoke -- --skip-waits) move the clock.
  const now = options.now ?? (() => Date.now());
  return {
    async start({ service, version, environment }) {
      const id = `${service}-${environment}-${version.replace(/[^A-Za-z0-9]/g, '_')}-${now().toString(36)}`;
      return { id, url: `https://deployments.example.com/${service}/${environment}/${encodeURIComponent(id)}` };
    },
    async status(id) {
      const startedAt = Number.parseInt(id.slice(id.lastIndexOf('-') + 1), 36);
      if (!Number.isFinite(startedAt)) return { state: 'failed', ready: 0, desired };
      const checked = (checks.get(id) ?? 0) + 1;
      checks.set(id, checked);
      const progress = Math.max((now() - startedAt) / rolloutMs, checked / checksToHealthy);
      const ready = Math.min(desired, Math.floor(progress * desired));
      return { state: ready >= desired ? 'healthy' : 'progressing', ready, desired };
    },
  };
};

export type { DeploymentApi, SimulationOptions };
export { simulatedDeployments };
