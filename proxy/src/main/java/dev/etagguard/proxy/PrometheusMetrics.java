package dev.etagguard.proxy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import dev.etagguard.spi.GuardListener;
import dev.etagguard.spi.ResourceKey;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.StatisticsHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The proxy's counts in the Prometheus text exposition format (version 0.0.4), answered to
 * {@code GET} on one path: what the guard decided (through its {@link GuardListener}), what the
 * proxy served (Jetty's {@link StatisticsHandler}) and how often the upstream failed. Every other
 * request goes on. Thread-safe: counters are {@link LongAdder}s.
 */
final class PrometheusMetrics extends Handler.Wrapper implements GuardListener {

  private final String path;
  private final StatisticsHandler statistics;
  private final UpstreamProxy upstream;
  private final Map<Decision, LongAdder> decisions = new EnumMap<>(Decision.class);
  private final LongAdder notModified = new LongAdder();
  private final LongAdder bytesNotSent = new LongAdder();
  private final LongAdder lostUpdatesPrevented = new LongAdder();
  private final LongAdder retriesRecognized = new LongAdder();
  private final LongAdder permitsGranted = new LongAdder();
  private final LongAdder permitWaitNanos = new LongAdder();
  private final LongAdder permitsUnavailable = new LongAdder();

  PrometheusMetrics(String path, StatisticsHandler statistics, UpstreamProxy upstream) {
    this.path = path;
    this.statistics = statistics;
    this.upstream = upstream;
    for (Decision d : Decision.values()) {
      decisions.put(d, new LongAdder());
    }
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    if (!path.equals(Request.getPathInContext(request))) {
      return super.handle(request, response, callback);
    }
    if (!"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod())) {
      response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
      Response.writeError(request, response, callback, 405);
      return true;
    }
    byte[] text = exposition().getBytes(StandardCharsets.UTF_8);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, text.length);
    response.write(true, "HEAD".equals(request.getMethod()) ? null : ByteBuffer.wrap(text), callback);
    return true;
  }

  /** The current counts, in the text format. */
  String exposition() {
    StringBuilder out = new StringBuilder(2048);
    help(out, "etagguard_decisions_total", "counter", "Requests by what the guard did with them.");
    for (Map.Entry<Decision, LongAdder> e : decisions.entrySet()) {
      sample(out, "etagguard_decisions_total{decision=\"" + e.getKey().name().toLowerCase(Locale.ROOT) + "\"}",
          e.getValue().sum());
    }
    counter(out, "etagguard_lost_updates_prevented_total", "Stale writes refused with 412.",
        lostUpdatesPrevented.sum());
    counter(out, "etagguard_not_modified_total", "Reads answered 304 Not Modified.", notModified.sum());
    counter(out, "etagguard_not_modified_bytes_total", "Body bytes the 304 answers did not send.",
        bytesNotSent.sum());
    counter(out, "etagguard_retries_recognized_total", "Repeated writes answered as the write that succeeded.",
        retriesRecognized.sum());
    counter(out, "etagguard_permits_granted_total", "Permits granted.", permitsGranted.sum());
    counter(out, "etagguard_permit_wait_seconds_total", "Time spent waiting for the granted permits.",
        permitWaitNanos.sum() / 1e9);
    counter(out, "etagguard_permits_unavailable_total", "Permits given up on (timeout, full queue, request gone).",
        permitsUnavailable.sum());
    help(out, "etagguard_proxy_responses_total", "counter", "Responses the proxy sent, by status class.");
    sample(out, "etagguard_proxy_responses_total{code=\"1xx\"}", statistics.getResponses1xx());
    sample(out, "etagguard_proxy_responses_total{code=\"2xx\"}", statistics.getResponses2xx());
    sample(out, "etagguard_proxy_responses_total{code=\"3xx\"}", statistics.getResponses3xx());
    sample(out, "etagguard_proxy_responses_total{code=\"4xx\"}", statistics.getResponses4xx());
    sample(out, "etagguard_proxy_responses_total{code=\"5xx\"}", statistics.getResponses5xx());
    counter(out, "etagguard_proxy_requests_total", "Requests the proxy received.", statistics.getRequestTotal());
    help(out, "etagguard_proxy_requests_active", "gauge", "Requests in progress.");
    sample(out, "etagguard_proxy_requests_active", statistics.getRequestsActive());
    counter(out, "etagguard_proxy_failures_total", "Requests that ended in a failure (a side gone, a cut answer).",
        statistics.getFailures());
    counter(out, "etagguard_proxy_bytes_read_total", "Request body bytes received from clients.",
        statistics.getBytesRead());
    counter(out, "etagguard_proxy_bytes_written_total", "Response body bytes sent to clients.",
        statistics.getBytesWritten());
    help(out, "etagguard_proxy_upstream_errors_total", "counter",
        "Upstream failures answered by the proxy: 502 (unreachable, failed) and 504 (timed out).");
    sample(out, "etagguard_proxy_upstream_errors_total{code=\"502\"}", upstream.badGateway.sum());
    sample(out, "etagguard_proxy_upstream_errors_total{code=\"504\"}", upstream.gatewayTimeout.sum());
    return out.toString();
  }

  private static void counter(StringBuilder out, String name, String help, double value) {
    help(out, name, "counter", help);
    sample(out, name, value);
  }

  private static void help(StringBuilder out, String name, String type, String help) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static void sample(StringBuilder out, String series, double value) {
    out.append(series).append(' ');
    if (value == Math.rint(value) && !Double.isInfinite(value)) {
      out.append((long) value);
    } else {
      out.append(value);
    }
    out.append('\n');
  }

  @Override
  public void onDecision(ResourceKey key, String method, Decision decision) {
    decisions.get(decision).increment();
  }

  @Override
  public void onPermitGranted(ResourceKey key, long waitNanos) {
    permitsGranted.increment();
    permitWaitNanos.add(waitNanos);
  }

  @Override
  public void onPermitUnavailable(ResourceKey key, long waitNanos) {
    permitsUnavailable.increment();
  }

  @Override
  public void onNotModified(ResourceKey key, String method, long bytesNotSent) {
    notModified.increment();
    this.bytesNotSent.add(Math.max(0, bytesNotSent));
  }

  @Override
  public void onLostUpdatePrevented(ResourceKey key, String method) {
    lostUpdatesPrevented.increment();
  }

  @Override
  public void onRetryRecognized(ResourceKey key, String method) {
    retriesRecognized.increment();
  }
}
