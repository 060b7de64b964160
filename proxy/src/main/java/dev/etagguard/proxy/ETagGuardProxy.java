package dev.etagguard.proxy;

import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.etagguard.GuardEngine;
import dev.etagguard.jetty.ETagGuardHandler;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.settings.Option;
import dev.etagguard.settings.Option.Kind;

import org.eclipse.jetty.server.CustomRequestLog;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.RequestLog;
import org.eclipse.jetty.server.RequestLogWriter;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.server.handler.StatisticsHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.jspecify.annotations.Nullable;

/**
 * ETag Guard as a reverse proxy in front of any HTTP service, in any language: Jetty 12's own
 * reverse proxy ({@code ProxyHandler.Reverse}, with Jetty's HTTP client to the upstream: pooled
 * connections, bodies streamed both ways with back-pressure) behind {@link ETagGuardHandler}.
 * The guard's internal GETs (after a write, to learn the new validators) go through the same
 * proxy and client.
 *
 * <p>Configured with the proxy's {@link #options() options} and every option of the guard's
 * ({@link GuardSettings#options()}), by name, all as strings ({@link #fromOptions(Map)}, which the
 * command line {@code java -jar etag-guard-proxy.jar --upstream=URL --guardedPaths=/api/*} uses);
 * or in code with a {@link #builder()}. A guard option is handed to the handler unchanged
 * ({@link ETagGuardHandler#setOption(String, String)}), which checks it when the proxy starts.
 *
 * <p>Proxy behaviour (RFC 9110 section 7.6): {@code Via}, {@code Forwarded} and
 * {@code X-Forwarded-For}/{@code -Proto}/{@code -Host}/{@code -Port} are added; the forwarding
 * fields a client sent itself are dropped unless {@code trustForwarded}; hop-by-hop fields, and
 * those a {@code Connection} field lists, are removed both ways; {@code Host} is passed on or set
 * to the upstream's ({@code preserveHost}). An upstream that cannot be reached, fails or stays
 * silent for {@code upstreamTimeout} gets the client a 502 or 504 with an RFC 9457 problem body;
 * an upstream that is down at start is no reason to refuse to start. On {@link #close()}, requests
 * in progress may finish for {@code stopTimeout}, new ones get 503, then the guard's engine closes
 * (writes still waiting for a permit get 503).
 *
 * <p>Thread-safe once started; the builder is not.
 *
 * @since 0.1
 */
public final class ETagGuardProxy implements AutoCloseable {

  private static final List<Option<Builder>> OPTIONS = List.of(
      Option.of("upstream", Kind.TEXT, "",
          "The service to guard: http://HOST:PORT, optionally with a path prefix. Required.",
          Builder::upstream, b -> b.upstream == null ? "" : b.upstream),
      Option.of("host", Kind.TEXT, "127.0.0.1", "The address the proxy listens on (0.0.0.0 for every interface).",
          Builder::host, b -> b.host),
      Option.of("port", Kind.INTEGER, "8080", "The port the proxy listens on; 0 picks a free one.",
          Builder::port, b -> b.port),
      Option.of("preserveHost", Kind.BOOLEAN, "true",
          "Pass the client's Host field on to the upstream (true), or send the upstream's own (false).",
          Builder::preserveHost, b -> b.preserveHost),
      Option.of("trustForwarded", Kind.BOOLEAN, "false",
          "Keep the Forwarded and X-Forwarded-* fields a client sends (a trusted proxy in front), appending to "
              + "them; by default they are dropped and replaced.",
          Builder::trustForwarded, b -> b.trustForwarded),
      Option.of("upstreamTimeout", Kind.DURATION, "30s",
          "How long the upstream may stay silent (connecting, before or within its answer) before 504 Gateway "
              + "Timeout.",
          Builder::upstreamTimeout, b -> b.upstreamTimeout),
      Option.of("upstreamConnections", Kind.INTEGER, "64", "The most connections the proxy opens to the upstream.",
          Builder::upstreamConnections, b -> b.upstreamConnections),
      Option.of("stopTimeout", Kind.DURATION, "30s",
          "On stop, how long requests in progress may take to finish; new requests get 503 meanwhile.",
          Builder::stopTimeout, b -> b.stopTimeout),
      Option.of("metrics", Kind.BOOLEAN, "false",
          "Answer GET metricsPath with the guard's and the proxy's counts, in the Prometheus text format.",
          Builder::metrics, b -> b.metrics),
      Option.of("metricsPath", Kind.TEXT, "/metrics", "The path of the metrics, when metrics is true.",
          Builder::metricsPath, b -> b.metricsPath),
      Option.of("accessLog", Kind.TEXT, "false",
          "An access log in the NCSA extended format: true for stderr, or the path of a file; false for none.",
          Builder::accessLog, b -> b.accessLog));

  private static final Map<String, Option<Builder>> BY_NAME = byName();

  private final Builder config;
  private @Nullable Server server;
  private @Nullable ServerConnector connector;
  private @Nullable ETagGuardHandler guard;

  private ETagGuardProxy(Builder config) {
    this.config = config;
  }

  /** The proxy's own options, in documentation order; every other option name is the guard's. */
  public static List<Option<Builder>> options() {
    return OPTIONS;
  }

  /** The names of the proxy's own options. */
  public static Set<String> optionNames() {
    return BY_NAME.keySet();
  }

  /** A builder with every proxy option at its default and no guard option set. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A proxy from string options: the proxy's own (see {@link #options()}) and the guard's, by name
   * (blank means default).
   *
   * @throws IllegalArgumentException naming the option, for a malformed proxy option or a missing
   *     {@code upstream}; an unknown or malformed guard option fails {@link #start()}
   */
  public static ETagGuardProxy fromOptions(Map<String, String> options) {
    Builder builder = builder();
    options.forEach((name, value) -> {
      Option<Builder> own = BY_NAME.get(name);
      if (own != null) {
        own.set(builder, value);
      } else {
        builder.guardOption(name, value);
      }
    });
    return builder.build();
  }

  /**
   * Starts listening and returns this proxy. The upstream need not be up: until it is, requests
   * get 502.
   *
   * @throws Exception when the port cannot be bound, or a guard option is unknown or malformed
   *     (an {@link IllegalArgumentException} naming it, possibly as the cause)
   */
  public synchronized ETagGuardProxy start() throws Exception {
    if (server != null) {
      throw new IllegalStateException("already started");
    }
    QueuedThreadPool threads = new QueuedThreadPool();
    threads.setName("etag-guard-proxy");
    Server s = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    ServerConnector c = new ServerConnector(s, new HttpConnectionFactory(http));
    c.setHost(config.host);
    c.setPort(config.port);
    s.addConnector(c);

    UpstreamProxy upstream = new UpstreamProxy(URI.create(config.upstream), config.preserveHost,
        config.trustForwarded, config.upstreamTimeout, config.upstreamConnections);
    ETagGuardHandler g = new ETagGuardHandler();
    config.guardOptions.forEach(g::setOption);
    g.setHandler(upstream);
    Handler front = g;
    if (config.metrics) {
      StatisticsHandler statistics = new StatisticsHandler();
      PrometheusMetrics metrics = new PrometheusMetrics(config.metricsPath, statistics, upstream);
      g.setListener(metrics);
      metrics.setHandler(g);
      statistics.setHandler(metrics);
      front = statistics;
    }
    // Graceful stop: in-flight requests finish (up to stopTimeout), new ones get 503.
    s.setHandler(new GracefulHandler(front));
    s.setStopTimeout(config.stopTimeout.toMillis());
    RequestLog.Writer log = accessLogWriter(config.accessLog);
    if (log != null) {
      s.setRequestLog(new CustomRequestLog(log, CustomRequestLog.EXTENDED_NCSA_FORMAT));
    }
    server = s;
    connector = c;
    guard = g;
    try {
      s.start();
    } catch (Exception e) {
      close();
      throw e;
    }
    return this;
  }

  private static RequestLog.@Nullable Writer accessLogWriter(String accessLog) {
    return switch (accessLog) {
      case "false", "" -> null;
      case "true" -> System.err::println;
      default -> new RequestLogWriter(accessLog);
    };
  }

  /** The port the proxy listens on; after {@link #start()}. */
  public int port() {
    ServerConnector c = connector;
    if (c == null) {
      throw new IllegalStateException("not started");
    }
    return c.getLocalPort();
  }

  /** The proxy's base URI, {@code http://HOST:PORT/}; after {@link #start()}. */
  public URI uri() {
    return URI.create("http://" + config.host + ":" + port() + "/");
  }

  /** The guard's engine, once started. */
  public @Nullable GuardEngine engine() {
    ETagGuardHandler g = guard;
    return g == null ? null : g.getEngine();
  }

  /**
   * Stops: new connections are refused and new requests on open ones get 503, requests in
   * progress may finish for {@code stopTimeout}, then the upstream client and the guard's engine
   * close. Idempotent.
   */
  @Override
  public synchronized void close() {
    Server s = server;
    if (s == null) {
      return;
    }
    try {
      s.stop();
    } catch (Exception e) {
      throw new IllegalStateException("stopping the proxy failed", e);
    } finally {
      server = null;
    }
  }

  @Override
  public String toString() {
    return "ETagGuardProxy{upstream=" + config.upstream + ", host=" + config.host + ", port=" + config.port
        + ", guard options=" + config.guardOptions.keySet() + "}";
  }

  private static Map<String, Option<Builder>> byName() {
    Map<String, Option<Builder>> m = new LinkedHashMap<>();
    for (Option<Builder> option : OPTIONS) {
      m.put(option.name(), option);
    }
    return Collections.unmodifiableMap(m);
  }

  /**
   * The proxy's configuration: its own options (each described in {@link #options()}) and the
   * guard's, by name. Not thread-safe; {@link #build()} copies it.
   *
   * @since 0.1
   */
  public static final class Builder {
    private @Nullable String upstream;
    private String host = "127.0.0.1";
    private int port = 8080;
    private boolean preserveHost = true;
    private boolean trustForwarded;
    private Duration upstreamTimeout = Duration.ofSeconds(30);
    private int upstreamConnections = 64;
    private Duration stopTimeout = Duration.ofSeconds(30);
    private boolean metrics;
    private String metricsPath = "/metrics";
    private String accessLog = "false";
    private final Map<String, String> guardOptions = new LinkedHashMap<>();

    private Builder() {
    }

    private Builder(Builder b) {
      upstream = b.upstream;
      host = b.host;
      port = b.port;
      preserveHost = b.preserveHost;
      trustForwarded = b.trustForwarded;
      upstreamTimeout = b.upstreamTimeout;
      upstreamConnections = b.upstreamConnections;
      stopTimeout = b.stopTimeout;
      metrics = b.metrics;
      metricsPath = b.metricsPath;
      accessLog = b.accessLog;
      guardOptions.putAll(b.guardOptions);
    }

    /** The upstream, {@code http://HOST:PORT} or {@code https://...}, optionally with a path prefix. */
    public Builder upstream(String url) {
      URI uri;
      try {
        uri = new URI(url);
      } catch (java.net.URISyntaxException e) {
        throw new IllegalArgumentException("not a URL: " + e.getMessage());
      }
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
        throw new IllegalArgumentException("expected http://HOST:PORT or https://HOST:PORT");
      }
      if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
        throw new IllegalArgumentException("expected no query or fragment");
      }
      this.upstream = url;
      return this;
    }

    /** The address to listen on. */
    public Builder host(String host) {
      this.host = host;
      return this;
    }

    /** The port to listen on, 0-65535 (0 picks a free one). */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("expected 0-65535");
      }
      this.port = port;
      return this;
    }

    /** Whether the client's {@code Host} goes to the upstream (else the upstream's own). */
    public Builder preserveHost(boolean preserveHost) {
      this.preserveHost = preserveHost;
      return this;
    }

    /** Whether the forwarding fields a client sends are kept (and appended to). */
    public Builder trustForwarded(boolean trustForwarded) {
      this.trustForwarded = trustForwarded;
      return this;
    }

    /** How long the upstream may stay silent before 504. */
    public Builder upstreamTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("expected a positive duration");
      }
      this.upstreamTimeout = timeout;
      return this;
    }

    /** The most connections to the upstream, at least 1. */
    public Builder upstreamConnections(int connections) {
      if (connections < 1) {
        throw new IllegalArgumentException("expected at least 1");
      }
      this.upstreamConnections = connections;
      return this;
    }

    /** How long requests in progress may take to finish on stop. */
    public Builder stopTimeout(Duration timeout) {
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("expected a duration >= 0");
      }
      this.stopTimeout = timeout;
      return this;
    }

    /** Whether {@code metricsPath} answers with the counts. */
    public Builder metrics(boolean metrics) {
      this.metrics = metrics;
      return this;
    }

    /** The path of the metrics. */
    public Builder metricsPath(String path) {
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("expected a path starting with /");
      }
      this.metricsPath = path;
      return this;
    }

    /** {@code false} (none), {@code true} (stderr) or a file path. */
    public Builder accessLog(String accessLog) {
      this.accessLog = accessLog;
      return this;
    }

    /**
     * Sets an option of the guard ({@link GuardSettings#options()}) by name; checked when the
     * proxy starts.
     */
    public Builder guardOption(String name, @Nullable String value) {
      guardOptions.put(name, value == null ? "" : value);
      return this;
    }

    /**
     * The proxy.
     *
     * @throws IllegalArgumentException when {@code upstream} is missing
     */
    public ETagGuardProxy build() {
      if (upstream == null) {
        throw new IllegalArgumentException("ETag Guard proxy option 'upstream' is required, "
            + "e.g. --upstream=http://127.0.0.1:3000");
      }
      return new ETagGuardProxy(new Builder(this));
    }
  }
}
