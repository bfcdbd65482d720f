import { credentials } from '@grpc/grpc-js';
import { healthV1 } from '@portico/contracts';
import { grpcStatusName, isGrpcError } from '@portico/errors';
import { unaryCall } from '@portico/grpc';
import type { ReadinessCheck } from '@portico/health';

const PROBE_DEADLINE_MS = 1_000;

/**
 * Readiness of one gRPC backend as its own grpc.health.v1 reports it (a draining instance says NOT_SERVING).
 * The reason is a status name, never the connection error: readiness is public and addresses are not.
 */
export function grpcReadiness(name: string, address: string, serviceName: string): ReadinessCheck & { close(): void } {
  const client = new healthV1.HealthClient(address, credentials.createInsecure());
  return {
    name,
    async probe() {
      const { status } = await unaryCall(client.check.bind(client), { service: serviceName }, { deadlineMs: PROBE_DEADLINE_MS }).catch(
        (error: unknown) => {
          throw new Error(isGrpcError(error) ? `health check failed: ${grpcStatusName(error.code)}` : 'health check failed');
        },
      );
      if (status !== healthV1.HealthCheckResponse_ServingStatus.SERVING) {
        throw new Error(`reports ${healthV1.healthCheckResponse_ServingStatusToJSON(status).toLowerCase()}`);
      }
    },
    close: () => client.close(),
  };
}
