package dev.etagguard.proxy;

import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

import dev.etagguard.problem.Problem;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;

/**
 * Jetty's reverse proxy to one upstream, with what a guarding edge proxy adds to it: the
 * {@code X-Forwarded-*} fields beside Jetty's {@code Forwarded} and {@code Via}, a client's own
 * forwarding fields dropped unless trusted, the fields a response's {@code Connection} lists
 * removed (RFC 9110 7.6.1; Jetty removes the request's), and upstream failures answered 502 or
 * 504 with an RFC 9457 problem body. Thread-safe once started.
 */
final class UpstreamProxy extends ProxyHandler.Reverse {

  /**
   * The forwarding fields a client may not set for itself unless {@code trustForwarded}: those the
   * proxy sets, and those frameworks behind proxies read for the client's address, scheme or path
   * prefix (Spring's {@code ForwardedHeaderFilter}: {@code X-Forwarded-Prefix}; Tomcat's
   * {@code RemoteIpValve}: {@code X-Forwarded-By}).
   */
  private static final Set<String> FORWARDING_FIELDS = Set.of("forwarded", "x-forwarded-for", "x-forwarded-proto",
      "x-forwarded-host", "x-forwarded-port", "x-forwarded-prefix", "x-forwarded-server", "x-forwarded-ssl",
      "x-forwarded-by", "x-forwarded-uri", "x-real-ip", "x-client-ip", "true-client-ip");

  private final boolean trustForwarded;
  private final Duration timeout;
  private final int maxConnections;
  /** Answers 502: the upstream could not be reached, or failed mid-response. */
  final LongAdder badGateway = new LongAdder();
  /** Answers 504: the upstream did not answer in time. */
  final LongAdder gatewayTimeout = new LongAdder();

  UpstreamProxy(URI upstream, boolean preserveHost, boolean trustForwarded, Duration timeout, int maxConnections) {
    super(request -> rewrite(upstream, request));
    this.trustForwarded = trustForwarded;
    this.timeout = timeout;
    this.maxConnections = maxConnections;
    if (!preserveHost) {
      setProxyToServerHost(upstream.getPort() < 0 ? upstream.getHost() : upstream.getHost() + ":" + upstream.getPort());
    }
  }

  /** The upstream's scheme and authority, its path prefix, then the request's path and query. */
  private static HttpURI rewrite(URI upstream, Request request) {
    HttpURI uri = request.getHttpURI();
    String base = upstream.getRawPath() == null ? "" : upstream.getRawPath();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    return HttpURI.build(upstream.resolve("/")).path(base + uri.getPath()).query(uri.getQuery());
  }

  @Override
  protected void configureHttpClient(HttpClient client) {
    super.configureHttpClient(client);
    client.setMaxConnectionsPerDestination(maxConnections);
    client.setIdleTimeout(timeout.toMillis());
    client.setConnectTimeout(Math.min(timeout.toMillis(), 15_000));
    // The upstream's fields go to the client as they came: no User-Agent of the proxy's own.
    client.setUserAgentField(null);
  }

  @Override
  protected org.eclipse.jetty.client.Request newProxyToServerRequest(Request clientToProxyRequest, HttpURI newHttpURI) {
    // Silent for longer than the timeout (no byte of the answer, or a stall inside it): 504.
    return super.newProxyToServerRequest(clientToProxyRequest, newHttpURI)
        .idleTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  protected void copyRequestHeaders(Request clientToProxyRequest, org.eclipse.jetty.client.Request proxyToServerRequest) {
    super.copyRequestHeaders(clientToProxyRequest, proxyToServerRequest);
    if (!trustForwarded) {
      // The proxy is the edge: what a client claims about earlier hops is not passed on.
      proxyToServerRequest.headers(headers -> FORWARDING_FIELDS.forEach(headers::remove));
    }
  }

  @Override
  protected void addProxyHeaders(Request clientToProxyRequest, org.eclipse.jetty.client.Request proxyToServerRequest) {
    super.addProxyHeaders(clientToProxyRequest, proxyToServerRequest);
    String remote = Request.getRemoteAddr(clientToProxyRequest);
    String host = clientToProxyRequest.getHeaders().get(HttpHeader.HOST);
    String scheme = clientToProxyRequest.isSecure() ? "https" : "http";
    proxyToServerRequest.headers(headers -> {
      String earlier = headers.get(HttpHeader.X_FORWARDED_FOR);
      headers.put(HttpHeader.X_FORWARDED_FOR, earlier == null || earlier.isBlank() ? remote : earlier + ", " + remote);
      headers.put(HttpHeader.X_FORWARDED_PROTO, scheme);
      if (host != null) {
        headers.put(HttpHeader.X_FORWARDED_HOST, host);
      }
      headers.put(HttpHeader.X_FORWARDED_PORT, Integer.toString(Request.getLocalPort(clientToProxyRequest)));
    });
  }

  @Override
  protected org.eclipse.jetty.client.Response.CompleteListener newServerToProxyResponseListener(
      Request clientToProxyRequest, org.eclipse.jetty.client.Request proxyToServerRequest,
      Response proxyToClientResponse, Callback proxyToClientCallback) {
    return new ProxyResponseListener(clientToProxyRequest, proxyToServerRequest, proxyToClientResponse,
        proxyToClientCallback) {
      @Override
      public void onHeaders(org.eclipse.jetty.client.Response serverToProxyResponse) {
        super.onHeaders(serverToProxyResponse);
        // Jetty drops the response's fixed hop-by-hop fields; the ones its Connection names go too.
        Set<String> listed = connectionOptions(serverToProxyResponse.getHeaders().getValuesList(HttpHeader.CONNECTION));
        if (!listed.isEmpty()) {
          listed.forEach(proxyToClientResponse.getHeaders()::remove);
        }
      }
    };
  }

  /** The field names a {@code Connection} field lists, lower case. */
  static Set<String> connectionOptions(List<String> connection) {
    Set<String> names = new HashSet<>();
    for (String value : connection) {
      for (String name : value.split(",")) {
        if (!name.isBlank()) {
          names.add(name.strip().toLowerCase(Locale.ROOT));
        }
      }
    }
    return names;
  }

  @Override
  protected void onServerToProxyResponseFailure(Request clientToProxyRequest,
      org.eclipse.jetty.client.Request proxyToServerRequest,
      org.eclipse.jetty.client.@Nullable Response serverToProxyResponse, Response proxyToClientResponse,
      Callback proxyToClientCallback, Throwable failure) {
    if (proxyToClientResponse.isCommitted()) {
      // Part of the answer is out: the client must see it cut short, never a complete-looking body.
      proxyToClientCallback.failed(failure);
      return;
    }
    boolean timeout = failure instanceof TimeoutException || failure.getCause() instanceof TimeoutException;
    (timeout ? gatewayTimeout : badGateway).increment();
    Problem problem = timeout
        ? Problem.of("upstream-timeout", "Upstream timeout", 504,
            "The upstream service did not answer in time.", null)
        : Problem.of("upstream-unavailable", "Upstream unavailable", 502,
            "The upstream service could not be reached or failed while answering.", null);
    proxyToClientResponse.reset();
    proxyToClientResponse.setStatus(problem.status());
    proxyToClientResponse.getHeaders().put(HttpHeader.CONTENT_TYPE, Problem.MEDIA_TYPE);
    proxyToClientResponse.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    proxyToClientResponse.write(true, ByteBuffer.wrap(problem.toJson()), Callback.from(
        proxyToClientCallback::succeeded, proxyToClientCallback::failed));
  }

  @Override
  public String toString() {
    return "UpstreamProxy{timeout=" + timeout + ", maxConnections=" + maxConnections + "}";
  }
}
