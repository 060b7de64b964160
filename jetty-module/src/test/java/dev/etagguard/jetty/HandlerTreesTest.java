package dev.etagguard.jetty;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

import dev.etagguard.testing.Permits;
import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.ResourceServlet;

import org.eclipse.jetty.compression.gzip.GzipCompression;
import org.eclipse.jetty.compression.server.CompressionHandler;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.handler.ResourceHandler;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The handler in the trees users build: static files, a servlet context, compression. */
class HandlerTreesTest {

  @Test
  void staticFilesKeepJettysOwnETags(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("hello.txt"), "static hello");
    ResourceHandler files = new ResourceHandler();
    files.setBaseResource(ResourceFactory.root().newResource(dir));
    files.setEtags(true);
    ETagGuardHandler guard = new ETagGuardHandler(GuardSettings.DEFAULTS);
    guard.setHandler(files);
    try (JettyServer server = new JettyServer(guard)) {
      HttpResponse<byte[]> r = get(server.uri("/hello.txt"));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(text(r)).isEqualTo("static hello");
      assertThat(r.headers().allValues("ETag")).hasSize(1);
      String etag = header(r, "ETag");
      assertThat(etag).as("Jetty's own tag, not a generated one").isNotNull().hasSizeLessThan(32);
      assertThat(get(server.uri("/hello.txt"), "If-None-Match", etag).statusCode()).isEqualTo(304);
      HttpResponse<byte[]> part = get(server.uri("/hello.txt"), "Range", "bytes=0-5");
      assertThat(part.statusCode()).isEqualTo(206);
      assertThat(text(part)).isEqualTo("static");
    }
  }

  @Test
  void guardsAServletContext() throws Exception {
    ResourceServlet servlet = new ResourceServlet();
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/app");
    context.addServlet(new ServletHolder(servlet), "/*");
    // Outside the context, the guard sees (and keys on) the full path.
    GuardEngine engine = GuardEngine.create(GuardSettings.builder().guardedPaths("/app/docs/*").build());
    ETagGuardHandler guard = new ETagGuardHandler(engine);
    guard.setHandler(context);
    try (JettyServer server = new JettyServer(guard)) {
      assertThat(put(server.uri("/app/docs/1"), "one").statusCode()).isEqualTo(428);
      assertThat(put(server.uri("/app/docs/1"), "one", "If-None-Match", "*").statusCode()).isEqualTo(201);
      HttpResponse<byte[]> r = get(server.uri("/app/docs/1"));
      assertThat(text(r)).isEqualTo("one");
      String etag = header(r, "ETag");
      assertThat(etag).isNotNull();
      assertThat(put(server.uri("/app/docs/1"), "two", "If-Match", etag).statusCode()).isEqualTo(204);
      assertThat(put(server.uri("/app/docs/1"), "three", "If-Match", etag).statusCode()).isEqualTo(412);
      // A store miss is learned through the servlet context.
      engine.store().invalidate(new dev.etagguard.spi.ResourceKey("/app/docs/1"));
      String current = header(get(server.uri("/app/docs/1")), "ETag");
      engine.store().invalidate(new dev.etagguard.spi.ResourceKey("/app/docs/1"));
      assertThat(put(server.uri("/app/docs/1"), "four", "If-Match", current).statusCode()).isEqualTo(204);
      assertThat(new String(servlet.store.get("/docs/1"), StandardCharsets.UTF_8)).isEqualTo("four");
      // The client can read the response before its write callback has released the permit.
      assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).isZero();
    }
  }

  @Test
  void compressedVariantsHaveTheirOwnETag() throws Exception {
    CoreStore store = new CoreStore();
    String body = "compress me ".repeat(200);
    store.store.put("/doc", body.getBytes(StandardCharsets.UTF_8));
    ETagGuardHandler guard = new ETagGuardHandler(GuardSettings.DEFAULTS);
    guard.setHandler(store);
    CompressionHandler compression = new CompressionHandler();
    compression.putCompression(new GzipCompression());
    compression.setHandler(guard);
    try (JettyServer server = new JettyServer(compression)) {
      HttpResponse<byte[]> identity = get(server.uri("/doc"));
      HttpResponse<byte[]> gzip = get(server.uri("/doc"), "Accept-Encoding", "gzip");
      assertThat(header(gzip, "Content-Encoding")).isEqualTo("gzip");
      try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip.body()))) {
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(body);
      }
      String identityTag = header(identity, "ETag");
      String gzipTag = header(gzip, "ETag");
      assertThat(identityTag).isNotNull();
      assertThat(gzipTag).as("a compressed variant never shares the identity's strong ETag")
          .isNotNull().isNotEqualTo(identityTag);
      assertThat(get(server.uri("/doc"), "Accept-Encoding", "gzip", "If-None-Match", gzipTag).statusCode())
          .isEqualTo(304);
      assertThat(get(server.uri("/doc"), "If-None-Match", identityTag).statusCode()).isEqualTo(304);
      assertThat(get(server.uri("/doc"), "If-None-Match", gzipTag).statusCode())
          .as("the identity representation does not match the gzip tag").isIn(200, 304);
    }
  }
}
