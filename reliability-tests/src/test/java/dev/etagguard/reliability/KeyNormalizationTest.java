package dev.etagguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.spi.GuardListener;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.testing.ResourceServlet;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Property 7 of docs/guarantees.md: every spelling of a request target that the container serves
 * as one resource gets one resource key, hence one permit and one validator, and spellings the
 * container serves as different resources get different keys. Request targets go over raw sockets
 * byte for byte (the JDK client would normalize some). Which resource a spelling reaches is what
 * the servlet itself sees (servlet path plus path info), never assumed; spellings the container
 * refuses (400 for {@code //} on Jetty, encoded slashes, bad escapes, ...) are counted and skipped.
 */
class KeyNormalizationTest {

  /** Resources, each written to by its canonical request target. */
  private static final List<String> CANONICAL = List.of("/k/abc", "/k/a!b", "/k/a@b", "/k/caf%C3%A9", "/k/a%20b",
      "/k/a+b", "/k/~u", "/k/a%3Bb", "/k/abc/", "/k/abc.", "/k/a%25b", "/k/A$b", "/k/a'(b)*,=&");

  /** Other spellings, each of some resource above, or of another one the servlet will name. */
  private static final List<String> SPELLINGS = List.of(
      "//k/abc", "/k//abc", "/k/./abc", "/./k/abc", "/k/x/../abc", "/x/../k/abc", "/k/x/y/../../abc", "/../k/abc",
      "/k/%61bc", "/%6B/abc", "/%6b/abc", "/k/%61%62%63", "/k;jsessionid=123/abc", "/k/abc;jsessionid=ABC",
      "/k/abc;a=b;c=d", "/k/abc/.", "/k/abc/./", "/k/abc/x/..", "/k/abc/x/../", "/k/abc.;x", "/k/abc%2e", "/k/abc..",
      "/k/%2e/abc", "/k/x/%2e%2e/abc", "/k/x/%2E%2E/abc", "/k/x/.%2e/abc", "/k/..;/k/abc", "/k/x/..;/abc",
      "/k/.;x/abc", "/k%2fabc", "/k%2Fabc", "/k/%7eu", "/k/%7Eu", "/k/a%21b", "/k/a%21%62", "/k/a%40b",
      "/k/caf%c3%a9", "/k/caf\u00c3\u00a9", "/k/a+b", "/k/a%2Bb", "/k/a%2bb", "/k/a%3bb", "/k/a%25b", "/k/%41%24b",
      "/k/a%27%28b%29%2A%2C%3D%26", "http://127.0.0.1/k/abc", "http://127.0.0.1/k/./a%21b", "/K/abc", "/k\\abc",
      "/k/abc#f", "/k/a%2", "/k/a%zz", "/k/abc%00", "/k/abc%20", "/k/abc%09", "/k/abc/%2e", "/k/abc/%2e%2e");

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void oneResourceOneKeyAndAStaleTagFromAnySpellingFails(GuardedServer.Adapter adapter) throws Exception {
    KeyRecorder keys = new KeyRecorder();
    NamingServlet servlet = new NamingServlet();
    GuardEngine engine = GuardEngine.builder(GuardSettings.builder().guardedPaths("/k/*").build()).listener(keys).build();
    try (GuardedServer server = GuardedServer.start(adapter, engine, servlet, Map.of())) {
      int port = server.port();
      List<String> created = new ArrayList<>();
      for (String target : CANONICAL) {
        RawHttp.Response r = RawHttp.exchange(port, "PUT", target, fields("If-None-Match", "*"), bytes(target));
        if (r.status() == 201) {
          created.add(target);
        } else {
          assertThat(r.status()).as("%s refused by the container, not by the guard", target).isEqualTo(400);
        }
      }
      // Which resource each spelling reaches, and under which key.
      Map<String, Set<String>> keysByResource = new TreeMap<>();
      Map<String, String> resourceBySpelling = new LinkedHashMap<>();
      List<String> refused = new ArrayList<>();
      for (String target : concat(created, SPELLINGS)) {
        keys.last = null;
        RawHttp.Response r = RawHttp.exchange(port, "GET", target, List.of(), null);
        String resource = r.header(NamingServlet.RESOURCE_HEADER);
        if (resource == null) {
          assertThat(r.status()).as("%s: the container refuses it", target).isBetween(400, 499);
          refused.add(target);
          continue;
        }
        if (r.status() == 404) {
          continue; // a resource that does not exist (e.g. /K/abc): not a spelling of one above
        }
        assertThat(r.status()).as("GET %s", target).isEqualTo(200);
        String key = Permitted.settle(keys);
        assertThat(key).as("%s reached the servlet, so the guard keyed it", target).isNotNull();
        keysByResource.computeIfAbsent(resource, k -> new LinkedHashSet<>()).add(key);
        resourceBySpelling.put(target, resource);
      }
      Map<String, String> keyOfResource = new TreeMap<>();
      keysByResource.forEach((resource, set) -> {
        assertThat(set).as("keys of resource '%s' (%s)", resource, adapter).hasSize(1);
        keyOfResource.put(resource, set.iterator().next());
      });
      assertThat(new LinkedHashSet<>(keyOfResource.values())).as("different resources, different keys: %s",
          keyOfResource).hasSameSizeAs(keyOfResource.keySet());

      // Behaviour: a tag learned through one spelling is stale for every other spelling after a write.
      int checked = 0;
      for (Map.Entry<String, String> e : resourceBySpelling.entrySet()) {
        String spelling = e.getKey();
        String canonical = created.stream().filter(c -> e.getValue().equals(resourceBySpelling.get(c)))
            .findFirst().orElse(null);
        if (canonical == null || canonical.equals(spelling)) {
          continue;
        }
        if (checked % 2 == 0) {
          staleTagFails(port, spelling, canonical);
        } else {
          staleTagFails(port, canonical, spelling);
        }
        assertThat(RawHttp.exchange(port, "PUT", spelling, List.of(), bytes("unconditional")).status())
            .as("%s is guarded like %s", spelling, canonical).isEqualTo(428);
        checked++;
      }
      assertThat(checked).as("spellings checked against a stale tag").isGreaterThan(20);
      System.out.printf("KeyNormalizationTest %s: %d resources, %d spellings served (%d checked with stale tags), "
          + "%d refused by the container: %s%n", adapter, keyOfResource.size(), resourceBySpelling.size(), checked,
          refused.size(), refused);
    }
  }

  /** Reads through {@code reader}, writes through {@code writer}, then a write from the old tag through {@code reader} must fail. */
  private static void staleTagFails(int port, String reader, String writer) throws IOException {
    RawHttp.Response read = RawHttp.exchange(port, "GET", reader, List.of(), null);
    assertThat(read.status()).as("GET %s", reader).isEqualTo(200);
    String stale = read.header("ETag");
    assertThat(stale).as("GET %s has an ETag", reader).isNotNull();
    RawHttp.Response write = RawHttp.exchange(port, "PUT", writer, fields("If-Match", stale),
        bytes(writer + " after " + reader + " " + System.nanoTime()));
    assertThat(write.status()).as("PUT %s with the tag read through %s", writer, reader).isIn(200, 204);
    RawHttp.Response lost = RawHttp.exchange(port, "PUT", reader, fields("If-Match", stale), bytes("lost"));
    assertThat(lost.status()).as("PUT %s with the tag %s is stale since the write through %s", reader, stale, writer)
        .isEqualTo(412);
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void noUpdateIsLostWhenClientsMixSpellings(GuardedServer.Adapter adapter) throws Exception {
    NamingServlet servlet = new NamingServlet();
    try (GuardedServer server = GuardedServer.start(adapter, GuardEngine.create(GuardSettings.builder()
        .guardedPaths("/k/*").build()), servlet, Map.of())) {
      int port = server.port();
      String resource = "/k/count!er";
      assertThat(RawHttp.exchange(port, "PUT", "/k/count!er", fields("If-None-Match", "*"), bytes("0")).status())
          .isEqualTo(201);
      List<String> spellings = new ArrayList<>();
      for (String s : List.of("/k/count!er", "/k/count%21er", "/k/./count%21er", "/k/x/../count!er", "/%6B/c%6Funt!er",
          "/k;jsessionid=1/count!er", "/k/count!er;v=2", "//k/count!er", "/k/%2e/count!er", "/k/count!er/.",
          "http://127.0.0.1/k/count%21er", "/k/count%21er/x/..")) {
        if (NamingServlet.name(resource).equals(
            RawHttp.exchange(port, "GET", s, List.of(), null).header(NamingServlet.RESOURCE_HEADER))) {
          spellings.add(s);
        }
      }
      assertThat(spellings).hasSizeGreaterThan(7);
      int clients = 6;
      int incrementsEach = 8;
      AtomicInteger conflicts = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
          Random rnd = new Random(c);
          // Each client has its own session: identical writes from clients nothing tells apart
          // would be one request (retryRecognition answers the repeat as the first).
          String session = "client=" + c;
          futures.add(pool.submit(() -> {
            for (int done = 0; done < incrementsEach; ) {
              RawHttp.Response read = RawHttp.exchange(port, "GET", spellings.get(rnd.nextInt(spellings.size())),
                  List.of(), null);
              assertThat(read.status()).isEqualTo(200);
              int value = Integer.parseInt(read.text());
              RawHttp.Response write = RawHttp.exchange(port, "PUT", spellings.get(rnd.nextInt(spellings.size())),
                  fields("If-Match", read.header("ETag"), "Cookie", session), bytes(Integer.toString(value + 1)));
              if (write.status() == 204 || write.status() == 200) {
                done++;
              } else {
                assertThat(write.status()).as("a losing write is refused").isEqualTo(412);
                conflicts.incrementAndGet();
              }
            }
            return null;
          }));
        }
        for (Future<?> f : futures) {
          f.get(120, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(new String(servlet.store.get(resource), java.nio.charset.StandardCharsets.UTF_8))
          .as("final value after %d refused stale writes through %d spellings", conflicts.get(), spellings.size())
          .isEqualTo(Integer.toString(clients * incrementsEach));
      System.out.printf("KeyNormalizationTest %s: drill over %d spellings, %d increments, %d stale writes refused%n",
          adapter, spellings.size(), clients * incrementsEach, conflicts.get());
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  static List<RawHttp.Field> fields(String name, String value) {
    return List.of(new RawHttp.Field(name, value));
  }

  static List<RawHttp.Field> fields(String name, String value, String name2, String value2) {
    return List.of(new RawHttp.Field(name, value), new RawHttp.Field(name2, value2));
  }

  static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The servlet store of the test-jar that names, in a response header, the resource it served. */
  static final class NamingServlet extends ResourceServlet {
    private static final long serialVersionUID = 1L;
    static final String RESOURCE_HEADER = "X-Resource";

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      String path = req.getPathInfo() == null ? req.getServletPath() : req.getServletPath() + req.getPathInfo();
      resp.setHeader(RESOURCE_HEADER, name(path));
      super.service(req, resp);
    }

    /** The header value naming a resource: its decoded path, form-encoded to be ASCII. */
    static String name(String path) {
      return java.net.URLEncoder.encode(path, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** The key of the last guarded request's decision. */
  static final class KeyRecorder implements GuardListener {
    volatile String last;

    @Override
    public void onDecision(ResourceKey key, String method, Decision decision) {
      if (decision != Decision.PASSED_THROUGH) {
        last = key.value();
      }
    }
  }

  /** Waits (bounded) for a decision the server thread may record just after the client read the response. */
  private static final class Permitted {
    static String settle(KeyRecorder keys) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (keys.last == null && System.nanoTime() < deadline) {
        Thread.sleep(2);
      }
      return keys.last;
    }
  }
}
