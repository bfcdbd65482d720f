import { InterceptingCall, status, type Interceptor } from '@grpc/grpc-js';
import type { Metrics } from '@portico/observability';
import { grpcStatusName } from '@portico/errors';

/** Times every call made through a client and records it as `upstream_request_duration_seconds`. */
export function upstreamMetricsInterceptor(metrics: Metrics, upstream: string): Interceptor {
  return (options, nextCall) => {
    const stopTimer = metrics.upstreamDuration.startTimer({ upstream });
    return new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        next(metadata, {
          onReceiveStatus(received, nextStatus) {
            stopTimer({ outcome: received.code === status.OK ? 'ok' : grpcStatusName(received.code) });
            nextStatus(received);
          },
        });
      },
    });
  };
}
