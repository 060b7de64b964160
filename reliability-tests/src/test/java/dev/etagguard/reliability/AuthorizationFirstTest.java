package dev.etagguard.reliability;

import static dev.etagguard.testing.Http.delete;
import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.ResourceServlet;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * RFC 9110 13.2.1: preconditions are ignored where the response without them would not be 2xx or
 * 412, so a client that the container or the application refuses learns nothing from the guard:
 * no validator of a representation it cannot read, and no oracle (a 412 for a wrong guess where a
 * right guess gets the application's 403). On every adapter: the container's own security
 * constraint (BASIC) decides before the guard, and a handler that authorizes inside itself is
 * asked, as this client, before the guard refuses a write.
 */
class AuthorizationFirstTest {

  private static final String BOB = "Basic "
      + Base64.getEncoder().encodeToString((GuardedServer.USER + ":" + GuardedServer.PASSWORD).getBytes(StandardCharsets.UTF_8));

  /** Defect: behind the valve and the Jetty handler, an anonymous client got 412 with the ETag, and 304 on a right guess. */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void theContainersRefusalComesFirst(GuardedServer.Adapter adapter) throws Exception {
    GuardSettings settings = GuardSettings.builder().guardedPaths("/secure/*").authoritativePaths("/secure/*").build();
    try (GuardedServer server = GuardedServer.start(adapter, GuardEngine.create(settings), new ResourceServlet(), Map.of(),
        false, null, "/secure/*")) {
      URI doc = server.uri("/secure/a");
      assertThat(put(doc, "salary=100000", "If-None-Match", "*", "Authorization", BOB).statusCode()).isEqualTo(201);
      String tag = header(get(doc, "Authorization", BOB), "ETag");
      assertThat(tag).isNotNull();

      for (String[] request : new String[][] {{"PUT", "If-Match", "\"wrong\""}, {"PUT", "If-Match", tag},
          {"PUT", "If-None-Match", "*"}, {"DELETE", "If-Match", "\"wrong\""}, {"GET", "If-None-Match", tag},
          {"GET", "If-None-Match", "\"wrong\""}, {"GET", "If-Match", "\"wrong\""}}) {
        HttpResponse<byte[]> anonymous = switch (request[0]) {
          case "PUT" -> put(doc, "salary=1", request[1], request[2]);
          case "DELETE" -> delete(doc, request[1], request[2]);
          default -> get(doc, request[1], request[2]);
        };
        assertThat(anonymous.statusCode()).as("anonymous %s %s: %s", request[0], request[1], request[2]).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("ETag")).as("no validator for %s", (Object) request).isEmpty();
      }
      HttpResponse<byte[]> stale = put(doc, "salary=1", "If-Match", "\"wrong\"", "Authorization", BOB);
      assertThat(stale.statusCode()).as("the user it lets in").isEqualTo(412);
      assertThat(header(stale, "ETag")).isEqualTo(tag);
      assertThat(get(doc, "If-None-Match", tag, "Authorization", BOB).statusCode()).isEqualTo(304);
      assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, java.time.Duration.ofSeconds(10))).isZero();
    }
  }

  /** Answers 403 to every request without {@code X-User: owner}; else the resource servlet. */
  static final class OwnerServlet extends ResourceServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      if (!"owner".equals(req.getHeader("X-User"))) {
        resp.sendError(403);
        return;
      }
      super.service(req, resp);
    }
  }

  /**
   * Defect: a handler that authorizes inside itself answered 403 to a right guess, while the guard
   * answered 412 with the ETag (an unsalted digest of a body the client may not read) to a wrong
   * one, and If-None-Match: * told which resources exist.
   */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void theApplicationsRefusalComesFirst(GuardedServer.Adapter adapter) throws Exception {
    GuardSettings settings = GuardSettings.builder().guardedPaths("/p/*").build();
    try (GuardedServer server = GuardedServer.start(adapter, settings, new OwnerServlet())) {
      URI doc = server.uri("/p/a");
      assertThat(put(doc, "salary=100000", "If-None-Match", "*", "X-User", "owner").statusCode()).isEqualTo(201);
      String tag = header(get(doc, "X-User", "owner"), "ETag");
      assertThat(tag).isNotNull();

      for (String user : new String[] {"eve", null}) {
        String[] who = user == null ? new String[0] : new String[] {"X-User", user};
        for (String[] precondition : new String[][] {{"If-Match", "\"wrong\""}, {"If-Match", tag},
            {"If-None-Match", "*"}, {"If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"}}) {
          for (URI target : new URI[] {doc, server.uri("/p/missing")}) {
            HttpResponse<byte[]> refused = put(target, "salary=1", concat(precondition, who));
            assertThat(refused.statusCode()).as("%s PUT %s %s", user, target.getPath(), precondition[0] + ": "
                + precondition[1]).isEqualTo(403);
            assertThat(refused.headers().firstValue("ETag")).isEmpty();
          }
        }
        HttpResponse<byte[]> deleted = delete(doc, concat(new String[] {"If-Match", "\"wrong\""}, who));
        assertThat(deleted.statusCode()).isEqualTo(403);
        assertThat(get(doc, concat(new String[] {"If-None-Match", tag}, who)).statusCode()).isEqualTo(403);
      }
      HttpResponse<byte[]> stale = put(doc, "salary=1", "If-Match", "\"wrong\"", "X-User", "owner");
      assertThat(stale.statusCode()).as("the owner").isEqualTo(412);
      assertThat(header(stale, "ETag")).isEqualTo(tag);
      assertThat(put(doc, "salary=2", "If-Match", tag, "X-User", "owner").statusCode()).isEqualTo(204);
      assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, java.time.Duration.ofSeconds(10))).isZero();
    }
  }

  /**
   * Serves what a lagging replica would: GET answers the first version ever written (with its
   * own ETag), while PUT stores a new version and states its ETag, and {@code /hidden/} answers
   * 404 to anyone but the owner.
   */
  static final class LaggingServlet extends jakarta.servlet.http.HttpServlet {
    private static final long serialVersionUID = 1L;
    final transient Map<String, java.util.List<String>> versions = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      java.util.List<String> all = versions.get(req.getPathInfo());
      if (all == null || req.getPathInfo().startsWith("/hidden/") && !"owner".equals(req.getHeader("X-User"))) {
        resp.sendError(404);
        return;
      }
      resp.setHeader("ETag", "\"v1\"");
      resp.getOutputStream().write(all.get(0).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    protected void doPut(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      String body = new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      java.util.List<String> all = versions.computeIfAbsent(req.getPathInfo(),
          k -> java.util.Collections.synchronizedList(new java.util.ArrayList<>()));
      all.add(body);
      resp.setHeader("ETag", "\"v" + all.size() + "\"");
      resp.setStatus(all.size() == 1 ? 201 : 204);
    }
  }

  /**
   * The internal GET that confirms a failing precondition only asks whether this client may read:
   * the validators the guard recorded stay the arbiter, even where the application's GET lags
   * behind them, and an answer that hides the resource from the client (404) gets a 412 without
   * validators.
   */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void theConfirmingGetNeverOverridesTheStore(GuardedServer.Adapter adapter) throws Exception {
    LaggingServlet servlet = new LaggingServlet();
    try (GuardedServer server = GuardedServer.start(adapter, GuardSettings.builder().guardedPaths("/*").build(),
        servlet)) {
      for (String path : new String[] {"/l/a", "/hidden/a"}) {
        URI doc = server.uri(path);
        assertThat(put(doc, "a", "If-None-Match", "*").statusCode()).isEqualTo(201);
        assertThat(put(doc, "b", "If-Match", "\"v1\"").statusCode()).isEqualTo(204);
        HttpResponse<byte[]> stale = put(doc, "c", "If-Match", "\"v1\"", "X-User", "eve");
        assertThat(stale.statusCode()).as("%s: a stale write while the application's GET lags", path).isEqualTo(412);
        assertThat(servlet.versions.get(path)).containsExactly("a", "b");
        if (path.startsWith("/hidden/")) {
          assertThat(stale.headers().firstValue("ETag")).as("hidden from this client").isEmpty();
          assertThat(new String(stale.body(), StandardCharsets.UTF_8)).doesNotContain("exist");
        } else {
          assertThat(header(stale, "ETag")).isEqualTo("\"v2\"");
        }
        assertThat(put(doc, "d", "If-Match", "\"v2\"").statusCode()).isEqualTo(204);
      }
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
