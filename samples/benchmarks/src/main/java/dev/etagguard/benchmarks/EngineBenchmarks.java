package dev.etagguard.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.etagguard.decision.Outcome;
import dev.etagguard.decision.Preconditions;
import dev.etagguard.http.EntityTag;
import dev.etagguard.http.EntityTagCondition;
import dev.etagguard.http.EntityTags;
import dev.etagguard.http.RequestConditions;
import dev.etagguard.http.Validators;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ValidatorStore;
import dev.etagguard.spi.WriteSequencer;
import dev.etagguard.support.Builtins;

import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * JMH micro-benchmarks of the engine's hot paths. Run with
 * {@code java -jar etag-guard-benchmarks.jar -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc}.
 */
public final class EngineBenchmarks {

  private EngineBenchmarks() {
  }

  /** Entity-tag list parsing and RFC 9110 13.2.2 evaluation. */
  @State(Scope.Benchmark)
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public static class Conditions {
    String list = "\"xyzzy\", W/\"r2d2xxxx\", \"c3piozzzz\", \"k3mCJ8d0AuqJqzyrmkUeRmh7Dh-Y7dQ1\"";
    String single = "\"k3mCJ8d0AuqJqzyrmkUeRmh7Dh-Y7dQ1\"";
    @Nullable RequestConditions ifNoneMatch;
    @Nullable RequestConditions ifMatchAndDate;
    Validators current = Validators.of(EntityTag.strong("k3mCJ8d0AuqJqzyrmkUeRmh7Dh-Y7dQ1"),
        Instant.parse("2026-01-01T00:00:00Z"));

    @Setup
    public void setup() {
      Map<String, List<String>> inm = Map.of("if-none-match", List.of(single));
      ifNoneMatch = RequestConditions.from(name -> inm.getOrDefault(name.toLowerCase(java.util.Locale.ROOT), List.of()));
      Map<String, List<String>> im = Map.of("if-match", List.of(list),
          "if-modified-since", List.of("Thu, 01 Jan 2026 00:00:00 GMT"));
      ifMatchAndDate = RequestConditions.from(name -> im.getOrDefault(name.toLowerCase(java.util.Locale.ROOT), List.of()));
    }

    @Benchmark
    public @Nullable EntityTagCondition parseList() {
      return EntityTags.parse(list);
    }

    @Benchmark
    public @Nullable EntityTagCondition parseSingle() {
      return EntityTags.parse(single);
    }

    @Benchmark
    public Outcome evaluateIfNoneMatchGet() {
      return Preconditions.evaluate("GET", java.util.Objects.requireNonNull(ifNoneMatch), current);
    }

    @Benchmark
    public Outcome evaluateIfMatchPut() {
      return Preconditions.evaluate("PUT", java.util.Objects.requireNonNull(ifMatchAndDate), current);
    }
  }

  /** A GET of {@code path} with the given header fields (names as the map compares them), as an adapter presents it. */
  record Get(String path, Map<String, List<String>> fields) implements dev.etagguard.spi.RequestView {
    @Override
    public String method() {
      return "GET";
    }

    @Override
    public @Nullable String query() {
      return null;
    }

    @Override
    public List<String> headers(String name) {
      return fields.getOrDefault(name, List.of());
    }
  }

  /**
   * A GET's body through the engine's body buffer, written in 8 KiB chunks with its length
   * declared, then tagged: with the digest cache (option {@code digestCacheSize}) holding the
   * same body, so it is compared and neither copied nor hashed ({@code cached}), and with the
   * cache off, so it is copied and hashed ({@code hashed}).
   */
  @State(Scope.Benchmark)
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public static class BodyTag {
    @Param({"1024", "65536", "1048576"})
    public int size;

    byte[] body = new byte[0];
    final dev.etagguard.GuardEngine cached = dev.etagguard.GuardEngine.create(dev.etagguard.settings.GuardSettings.DEFAULTS);
    final dev.etagguard.GuardEngine uncached = dev.etagguard.GuardEngine.create(
        dev.etagguard.settings.GuardSettings.builder().digestCacheSize(0).build());
    final dev.etagguard.spi.RequestView get = new Get("/articles/body", Map.of());

    @Setup
    public void setup() {
      body = new byte[size];
      new Random(42).nextBytes(body);
      tag(cached); // the body the cache then holds
    }

    /** The handler writes the body in 8 KiB pieces into the buffer the flow gives it. */
    final ReadHost host = new ReadHost(buffer -> {
      buffer.expectLength(body.length);
      for (int off = 0; off < body.length; off += 8192) {
        buffer.append(body, off, Math.min(8192, body.length - off));
      }
      return ReadHost.captured(body.length, buffer.finishDigest());
    });

    private @Nullable EntityTag tag(dev.etagguard.GuardEngine engine) {
      dev.etagguard.Exchange.admit(engine, get).run(host).join();
      return host.captured == null ? null : host.captured.digest();
    }

    @Benchmark
    public @Nullable EntityTag cached() {
      return tag(cached);
    }

    @Benchmark
    public @Nullable EntityTag hashed() {
      return tag(uncached);
    }
  }

  /** The built-in generator (SHA-256/192) over whole bodies; run with {@code -prof gc}. */
  @State(Scope.Benchmark)
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public static class Digest {
    @Param({"1024", "65536", "1048576"})
    public int size;

    byte[] body = new byte[0];
    final EntityTagGenerator generator = Builtins.sha256Generator();

    @Setup
    public void setup() {
      body = new byte[size];
      new Random(42).nextBytes(body);
    }

    @Benchmark
    public EntityTag sha256() {
      EntityTagGenerator.Digest d = generator.start();
      d.update(body, 0, body.length);
      return d.finish();
    }

    /** The capture's cost besides the digest: holding a body written in 8 KiB chunks, length unknown. */
    @Benchmark
    public long holdInChunks() {
      dev.etagguard.BodyBuffer buffer = new dev.etagguard.BodyBuffer(4 << 20, true, null);
      for (int off = 0; off < body.length; off += 8192) {
        buffer.append(body, off, Math.min(8192, body.length - off));
      }
      return buffer.count();
    }

    /** The same, when the handler declared Content-Length: one array of the body's size. */
    @Benchmark
    public long holdPresized() {
      dev.etagguard.BodyBuffer buffer = new dev.etagguard.BodyBuffer(4 << 20, true, null);
      buffer.expectLength(body.length);
      for (int off = 0; off < body.length; off += 8192) {
        buffer.append(body, off, Math.min(8192, body.length - off));
      }
      return buffer.count();
    }
  }

  /** A permit per key: acquire + release, uncontended and with 2/4/8 threads. */
  @State(Scope.Benchmark)
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public static class Permits {
    final WriteSequencer sequencer = Builtins.localSequencer(1024);
    final ResourceKey shared = new ResourceKey("/articles/shared");
    final AtomicInteger next = new AtomicInteger();
    static final Duration WAIT = Duration.ofSeconds(30);

    /** Each thread's own key. */
    @State(Scope.Thread)
    public static class OwnKey {
      @Nullable ResourceKey key;

      @Setup(Level.Trial)
      public void setup(Permits permits) {
        key = new ResourceKey("/articles/" + permits.next.incrementAndGet());
      }
    }

    private void cycle(ResourceKey key) {
      sequencer.acquire(key, WAIT).join().release();
    }

    @Benchmark
    @Threads(1)
    public void uncontended(OwnKey own) {
      cycle(java.util.Objects.requireNonNull(own.key));
    }

    @Benchmark
    @Threads(2)
    public void oneKey2() {
      cycle(shared);
    }

    @Benchmark
    @Threads(4)
    public void oneKey4() {
      cycle(shared);
    }

    @Benchmark
    @Threads(8)
    public void oneKey8() {
      cycle(shared);
    }

    @Benchmark
    @Threads(2)
    public void distinctKeys2(OwnKey own) {
      cycle(java.util.Objects.requireNonNull(own.key));
    }

    @Benchmark
    @Threads(4)
    public void distinctKeys4(OwnKey own) {
      cycle(java.util.Objects.requireNonNull(own.key));
    }

    @Benchmark
    @Threads(8)
    public void distinctKeys8(OwnKey own) {
      cycle(java.util.Objects.requireNonNull(own.key));
    }
  }

  /** The built-in validator store (Caffeine). */
  @State(Scope.Benchmark)
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public static class Store {
    final ValidatorStore store = Builtins.caffeineStore(10_000);
    final ResourceKey[] keys = new ResourceKey[1024];
    final Validators validators = Validators.of(EntityTag.strong("k3mCJ8d0AuqJqzyrmkUeRmh7Dh-Y7dQ1"),
        Instant.parse("2026-01-01T00:00:00Z"));
    int i;

    @Setup
    public void setup() {
      for (int k = 0; k < keys.length; k++) {
        keys[k] = new ResourceKey("/articles/" + k);
        store.put(keys[k], validators);
      }
    }

    @Benchmark
    public @Nullable Validators get() {
      return store.get(keys[i++ & 1023]);
    }

    @Benchmark
    public void put() {
      store.put(keys[i++ & 1023], validators);
    }
  }

  /**
   * The engine's whole per-request work for a guarded GET, without I/O: the flow
   * ({@link dev.etagguard.Exchange}) of a request with five ordinary headers and no conditional
   * one, through a host whose handler answers 200 with a generated tag (the digest is given).
   */
  @State(Scope.Benchmark)
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public static class ReadPath {
    final dev.etagguard.GuardEngine engine = dev.etagguard.GuardEngine.create(
        dev.etagguard.settings.GuardSettings.builder().guardedPaths("/articles/*").build());
    final Map<String, List<String>> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);

    {
      headers.put("Host", List.of("127.0.0.1:8080"));
      headers.put("User-Agent", List.of("bench"));
      headers.put("Accept", List.of("*/*"));
      headers.put("Connection", List.of("keep-alive"));
      headers.put("Accept-Encoding", List.of("identity"));
    }

    final dev.etagguard.spi.RequestView request = new Get("/articles/k1", headers);
    final EntityTag digest = EntityTag.strong("k3mCJ8d0AuqJqzyrmkUeRmh7Dh-Y7dQ1");
    final dev.etagguard.Exchange.Captured response = ReadHost.captured(1024, digest);
    final ReadHost host = new ReadHost(buffer -> response);

    @Benchmark
    public dev.etagguard.ReadDecision.@Nullable Action admitAndComplete() {
      dev.etagguard.Exchange exchange = dev.etagguard.Exchange.admit(engine, request);
      exchange.run(host).join();
      return host.action;
    }
  }

  /**
   * A host for reads without a server: its handler fills (or ignores) the buffer the flow gives
   * it and answers a held 200; the decision is recorded, nothing is written.
   */
  static final class ReadHost implements dev.etagguard.Exchange.Host {
    private final java.util.function.Function<dev.etagguard.BodyBuffer, dev.etagguard.Exchange.Captured> handler;
    dev.etagguard.Exchange.@Nullable Captured captured;
    dev.etagguard.ReadDecision.@Nullable Action action;

    ReadHost(java.util.function.Function<dev.etagguard.BodyBuffer, dev.etagguard.Exchange.Captured> handler) {
      this.handler = handler;
    }

    /** A held 200 {@code application/json} response of {@code length} bytes whose digest is {@code digest}. */
    static dev.etagguard.Exchange.Captured captured(long length, @Nullable EntityTag digest) {
      return new dev.etagguard.Exchange.Captured() {
        @Override
        public int status() {
          return 200;
        }

        @Override
        public @Nullable String header(String name) {
          return "Content-Type".equalsIgnoreCase(name) ? "application/json" : null;
        }

        @Override
        public boolean held() {
          return true;
        }

        @Override
        public long length() {
          return length;
        }

        @Override
        public @Nullable EntityTag digest() {
          return digest;
        }
      };
    }

    @Override
    public java.util.concurrent.CompletionStage<dev.etagguard.Exchange.Captured> read(java.util.Set<String> hidden,
        dev.etagguard.BodyBuffer body, java.util.function.Function<dev.etagguard.spi.ResponseView,
        dev.etagguard.ReadDecision> spill) {
      captured = handler.apply(body);
      return java.util.concurrent.CompletableFuture.completedFuture(captured);
    }

    @Override
    public java.util.concurrent.CompletionStage<Void> sendRead(dev.etagguard.ReadDecision decision,
        dev.etagguard.Exchange.@Nullable Captured response) {
      action = decision.action();
      return java.util.concurrent.CompletableFuture.completedFuture(null);
    }

    @Override
    public <T> java.util.concurrent.CompletionStage<T> await(java.util.concurrent.CompletableFuture<T> permit) {
      return permit;
    }

    @Override
    public java.util.concurrent.CompletionStage<Void> receiveContent() {
      throw new UnsupportedOperationException("reads only");
    }

    @Override
    public java.util.concurrent.CompletionStage<Void> contentFailed(dev.etagguard.Answer incomplete, Throwable failure) {
      throw new UnsupportedOperationException("reads only");
    }

    @Override
    public java.io.InputStream content() {
      throw new UnsupportedOperationException("reads only");
    }

    @Override
    public java.util.concurrent.CompletionStage<Void> answer(dev.etagguard.Answer answer) {
      throw new UnsupportedOperationException("no answer on this path");
    }

    @Override
    public java.util.concurrent.CompletionStage<Void> finishStreamed(dev.etagguard.Exchange.Captured response) {
      throw new UnsupportedOperationException("held bodies only");
    }

    @Override
    public java.util.concurrent.CompletionStage<dev.etagguard.Exchange.Captured> write(dev.etagguard.BodyBuffer body,
        dev.etagguard.spi.EntityTagGenerator.@Nullable Digest contentDigest, java.util.OptionalLong fencingToken) {
      throw new UnsupportedOperationException("reads only");
    }

    @Override
    public java.util.concurrent.CompletionStage<Void> sendWrite(dev.etagguard.Exchange.Captured response,
        Map<String, String> fields, dev.etagguard.@Nullable Answer failure) {
      throw new UnsupportedOperationException("reads only");
    }

    @Override
    public java.util.concurrent.CompletionStage<dev.etagguard.Exchange.Captured> internalGet(
        java.util.Set<String> keyParameters, dev.etagguard.BodyBuffer body) {
      throw new UnsupportedOperationException("reads only");
    }
  }
}
