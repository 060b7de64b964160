package dev.etagguard.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Function;
import java.util.stream.Stream;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.testing.Wire;

import org.eclipse.jetty.compression.gzip.GzipCompression;
import org.eclipse.jetty.compression.server.CompressionHandler;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.ResourceHandler;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The handler in front of Jetty's own static content: the ee11 and ee10 {@code DefaultServlet}
 * (which write through the core response, not the servlet output stream) and the core
 * {@code ResourceHandler}, with and without a {@code CompressionHandler} outside the guard. Every
 * answer is read off the socket to the end, so a wrong length or bytes leaked before an error
 * page fail the test.
 */
class JettyStaticContentTest {

  /** Jetty's static content handlers, each at context path {@code /static} over a directory. */
  enum Tree {
    EE11_DEFAULT_SERVLET(dir -> {
      var context = new org.eclipse.jetty.ee11.servlet.ServletContextHandler("/static");
      context.setBaseResourceAsPath(dir);
      context.addServlet(org.eclipse.jetty.ee11.servlet.DefaultServlet.class, "/");
      return context;
    }),
    EE10_DEFAULT_SERVLET(dir -> {
      var context = new org.eclipse.jetty.ee10.servlet.ServletContextHandler("/static");
      context.setBaseResourceAsPath(dir);
      context.addServlet(org.eclipse.jetty.ee10.servlet.DefaultServlet.class, "/");
      return context;
    }),
    RESOURCE_HANDLER(dir -> {
      ResourceHandler files = new ResourceHandler();
      files.setBaseResource(ResourceFactory.root().newResource(dir));
      return new ContextHandler(files, "/static");
    });

    private final Function<Path, Handler> build;

    Tree(Function<Path, Handler> build) {
      this.build = build;
    }
  }

  private static final byte[] SMALL = "hello world\n".getBytes(StandardCharsets.US_ASCII);
  /** Larger than the default maxBufferSize (1 MiB): streamed, not held. */
  private static final byte[] LARGE = large(2 * 1024 * 1024);
  /** Held, and large enough to be compressed. */
  private static final byte[] MEDIUM = Arrays.copyOf(LARGE, 16 * 1024);

  private JettyServer server;
  private GuardEngine engine;

  private static byte[] large(int size) {
    byte[] bytes = new byte[size];
    StringBuilder line = new StringBuilder();
    int i = 0;
    for (int n = 0; i < size; n++) {
      line.setLength(0);
      line.append("line ").append(n).append(' ').append(Integer.toHexString(n * 31))
          .append('\n');
      for (int k = 0; k < line.length() && i < size; k++) {
        bytes[i++] = (byte) line.charAt(k);
      }
    }
    return bytes;
  }

  static Stream<Arguments> trees() {
    return Stream.of(Tree.values()).flatMap(t -> Stream.of(Arguments.of(t, false), Arguments.of(t, true)));
  }

  private void start(Path dir, Tree tree, boolean compression, GuardSettings settings) throws Exception {
    Files.write(dir.resolve("small.txt"), SMALL);
    Files.write(dir.resolve("medium.txt"), MEDIUM);
    Files.write(dir.resolve("large.txt"), LARGE);
    engine = GuardEngine.create(settings);
    ETagGuardHandler guard = new ETagGuardHandler(engine);
    guard.setHandler(tree.build.apply(dir));
    Handler root = guard;
    if (compression) {
      CompressionHandler gzip = new CompressionHandler();
      gzip.putCompression(new GzipCompression());
      gzip.setHandler(guard);
      root = gzip;
    }
    server = new JettyServer(root);
  }

  private void start(Path dir, Tree tree, boolean compression) throws Exception {
    start(dir, tree, compression, GuardSettings.DEFAULTS);
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (engine != null) {
      engine.close();
    }
  }

  private URI uri(String file) {
    return server.uri("/static/" + file);
  }

  /** A GET, asking for gzip when the tree compresses. */
  private static Wire.Response get(URI uri, boolean gzip, String... headers) throws Exception {
    String[] all = headers;
    if (gzip) {
      all = Arrays.copyOf(headers, headers.length + 2);
      all[headers.length] = "Accept-Encoding";
      all[headers.length + 1] = "gzip";
    }
    return Wire.exchange("GET", uri, all);
  }

  @ParameterizedTest(name = "{0}, compression {1}")
  @MethodSource("trees")
  void heldFilesAreTagged(Tree tree, boolean compression, @TempDir Path dir) throws Exception {
    start(dir, tree, compression);
    Wire.Response small = get(uri("small.txt"), compression);
    assertThat(small.status()).as(small.headerLines().toString()).isEqualTo(200);
    assertThat(small.decodedBody()).isEqualTo(SMALL);
    assertThat(small.headers("ETag")).as("tagged once").hasSize(1);
    if (small.header("Content-Encoding") == null) {
      assertThat(small.header("Content-Length")).isEqualTo("12");
    }
    Wire.Response medium = get(uri("medium.txt"), compression);
    assertThat(medium.status()).as(medium.headerLines().toString()).isEqualTo(200);
    assertThat(medium.header("Content-Encoding")).isEqualTo(compression ? "gzip" : null);
    assertThat(medium.decodedBody()).isEqualTo(MEDIUM);
    assertThat(medium.headers("ETag")).as("tagged once").hasSize(1);
  }

  @ParameterizedTest(name = "{0}, compression {1}")
  @MethodSource("trees")
  void largeFileStreams(Tree tree, boolean compression, @TempDir Path dir) throws Exception {
    start(dir, tree, compression);
    Wire.Response r = get(uri("large.txt"), compression);
    assertThat(r.status()).as(r.headerLines().toString()).isEqualTo(200);
    assertThat(r.header("Content-Encoding")).isEqualTo(compression ? "gzip" : null);
    assertThat(r.decodedBody()).isEqualTo(LARGE);
    if (r.header("Content-Encoding") == null) {
      assertThat(r.header("Content-Length")).isEqualTo(String.valueOf(LARGE.length));
    }
  }

  @ParameterizedTest(name = "{0}, compression {1}")
  @MethodSource("trees")
  void headAnswersAsGetWould(Tree tree, boolean compression, @TempDir Path dir) throws Exception {
    start(dir, tree, compression);
    for (String file : new String[] {"small.txt", "large.txt"}) {
      Wire.Response get = Wire.exchange("GET", uri(file));
      Wire.Response head = Wire.exchange("HEAD", uri(file));
      assertThat(head.status()).as(file + " " + head.headerLines()).isEqualTo(200);
      assertThat(head.body()).isEmpty();
      assertThat(head.header("Content-Length")).as(file).isEqualTo(get.header("Content-Length"))
          .isEqualTo(String.valueOf(file.startsWith("small") ? SMALL.length : LARGE.length));
      assertThat(head.header("ETag")).as(file).isEqualTo(get.header("ETag"));
    }
    Wire.Response small = Wire.exchange("HEAD", uri("small.txt"));
    assertThat(small.header("ETag")).isNotNull();
  }

  @ParameterizedTest(name = "{0}, compression {1}")
  @MethodSource("trees")
  void rangesAreExact(Tree tree, boolean compression, @TempDir Path dir) throws Exception {
    start(dir, tree, compression);
    String etag = Wire.exchange("GET", uri("small.txt")).header("ETag");
    Wire.Response small = Wire.exchange("GET", uri("small.txt"), "Range", "bytes=2-6");
    assertThat(small.status()).as(small.headerLines().toString()).isEqualTo(206);
    assertThat(small.body()).isEqualTo(Arrays.copyOfRange(SMALL, 2, 7));
    assertThat(small.header("Content-Range")).isEqualTo("bytes 2-6/12");
    assertThat(small.header("ETag")).as("the whole representation's tag (RFC 9110 15.3.7)").isNotNull()
        .isEqualTo(etag);

    Wire.Response large = Wire.exchange("GET", uri("large.txt"), "Range", "bytes=1000-1999");
    assertThat(large.status()).as(large.headerLines().toString()).isEqualTo(206);
    assertThat(large.body()).isEqualTo(Arrays.copyOfRange(LARGE, 1000, 2000));
    assertThat(large.header("Content-Range")).isEqualTo("bytes 1000-1999/" + LARGE.length);

    Wire.Response tail = Wire.exchange("GET", uri("large.txt"), "Range", "bytes=-10");
    assertThat(tail.status()).as(tail.headerLines().toString()).isEqualTo(206);
    assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(LARGE, LARGE.length - 10, LARGE.length));
  }

  @ParameterizedTest(name = "{0}, compression {1}")
  @MethodSource("trees")
  void ifRangeHoldsOnlyOnTheCurrentValidator(Tree tree, boolean compression, @TempDir Path dir) throws Exception {
    start(dir, tree, compression);
    String etag = Wire.exchange("GET", uri("small.txt")).header("ETag");
    Wire.Response current = Wire.exchange("GET", uri("small.txt"), "Range", "bytes=0-4", "If-Range", etag);
    assertThat(current.status()).as(current.headerLines().toString()).isEqualTo(206);
    assertThat(current.body()).isEqualTo(Arrays.copyOfRange(SMALL, 0, 5));
    assertThat(current.header("ETag")).isEqualTo(etag);

    Wire.Response stale = Wire.exchange("GET", uri("small.txt"), "Range", "bytes=0-4", "If-Range", "\"stale\"");
    assertThat(stale.status()).as(stale.headerLines().toString()).isEqualTo(200);
    assertThat(stale.body()).isEqualTo(SMALL);

    // Too large to tag: the guard knows no validator of it, so If-Range and Range go to the handler.
    String lastModified = Wire.exchange("HEAD", uri("large.txt")).header("Last-Modified");
    assertThat(lastModified).isNotNull();
    Wire.Response large = Wire.exchange("GET", uri("large.txt"), "Range", "bytes=100-199", "If-Range", lastModified);
    assertThat(large.status()).as(large.headerLines().toString()).isEqualTo(206);
    assertThat(large.body()).isEqualTo(Arrays.copyOfRange(LARGE, 100, 200));
  }

  @ParameterizedTest(name = "{0}, compression {1}")
  @MethodSource("trees")
  void conditionalGetIsNotModified(Tree tree, boolean compression, @TempDir Path dir) throws Exception {
    start(dir, tree, compression);
    for (String file : new String[] {"small.txt", "medium.txt"}) {
      Wire.Response first = get(uri(file), compression);
      String etag = first.header("ETag");
      assertThat(etag).as(file + " " + first.headerLines()).isNotNull();
      Wire.Response again = get(uri(file), compression, "If-None-Match", etag);
      assertThat(again.status()).as(file + " " + again.headerLines()).isEqualTo(304);
      assertThat(again.body()).isEmpty();
      assertThat(again.header("ETag")).isEqualTo(etag);
      Wire.Response other = get(uri(file), compression, "If-None-Match", "\"other\"");
      assertThat(other.status()).isEqualTo(200);
      assertThat(other.decodedBody()).isEqualTo(Files.readAllBytes(dir.resolve(file)));
    }
  }

  @ParameterizedTest(name = "{0}, compression {1}")
  @MethodSource("trees")
  void writesLearnTheCurrentStateThroughTheStaticHandler(Tree tree, boolean compression, @TempDir Path dir)
      throws Exception {
    start(dir, tree, compression, GuardSettings.builder().guardedPaths("/static/*").build());
    String etag = Wire.exchange("GET", uri("small.txt")).header("ETag");
    assertThat(etag).isNotNull();
    ResourceKey key = new ResourceKey("/static/small.txt");
    engine.store().invalidate(key);
    // The store does not know the file: the guard learns its tag with an internal GET.
    Wire.Response stale = Wire.exchange("PUT", uri("small.txt"), "If-Match", "\"stale\"", "Content-Length", "0");
    assertThat(stale.status()).as(stale.headerLines().toString()).isEqualTo(412);
    engine.store().invalidate(key);
    Wire.Response current = Wire.exchange("PUT", uri("small.txt"), "If-Match", etag, "Content-Length", "0");
    assertThat(current.status()).as("the precondition holds; the static handler refuses the PUT itself "
        + current.headerLines()).isIn(404, 405);
    assertThat(Files.readAllBytes(dir.resolve("small.txt"))).isEqualTo(SMALL);
  }
}
