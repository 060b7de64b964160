package dev.etagguard.spring;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * A controller that authorizes inside itself (403 for anyone but the owner): the guard asks it, as
 * the client, before refusing a write on a failing precondition, so another client gets the
 * controller's 403 and never a 412 with the ETag of a representation it may not read.
 */
@SpringBootTest(classes = OwnerOnlyTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"server.address=127.0.0.1", "etag-guard.guarded-paths=/salaries/*", TestApps.NO_SECURITY})
class OwnerOnlyTest {

  @LocalServerPort
  int port;

  @Test
  void anotherClientGetsTheControllersRefusalNotTheGuards() throws Exception {
    URI doc = URI.create("http://127.0.0.1:" + port + "/salaries/bob");
    assertThat(put(doc, "100000", "If-None-Match", "*", "X-User", "bob").statusCode()).isEqualTo(201);
    String tag = header(get(doc, "X-User", "bob"), "ETag");
    for (String[] guess : new String[][] {{"If-Match", "\"wrong\""}, {"If-Match", tag}, {"If-None-Match", "*"}}) {
      HttpResponse<byte[]> refused = put(doc, "1", guess[0], guess[1], "X-User", "eve");
      assertThat(refused.statusCode()).as("%s: %s", guess[0], guess[1]).isEqualTo(403);
      assertThat(refused.headers().firstValue("ETag")).isEmpty();
    }
    HttpResponse<byte[]> stale = put(doc, "1", "If-Match", "\"wrong\"", "X-User", "bob");
    assertThat(stale.statusCode()).isEqualTo(412);
    assertThat(header(stale, "ETag")).isEqualTo(tag);
  }

  /** One salary per owner, readable and writable by its owner only. */
  @RestController
  static class Salaries {
    final Map<String, byte[]> salaries = new ConcurrentHashMap<>();

    @GetMapping("/salaries/{owner}")
    ResponseEntity<byte[]> get(@PathVariable String owner, @RequestHeader(name = "X-User", required = false) String user) {
      if (!owner.equals(user)) {
        return ResponseEntity.status(403).build();
      }
      byte[] body = salaries.get(owner);
      return body == null ? ResponseEntity.notFound().build()
          : ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).body(body);
    }

    @PutMapping("/salaries/{owner}")
    ResponseEntity<Void> put(@PathVariable String owner, @RequestHeader(name = "X-User", required = false) String user,
        @RequestBody(required = false) byte @Nullable [] body) {
      if (!owner.equals(user)) {
        return ResponseEntity.status(403).build();
      }
      boolean created = salaries.put(owner, body == null ? new byte[0] : body) == null;
      return ResponseEntity.status(created ? 201 : 204).build();
    }
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import(Salaries.class)
  static class App {
  }
}
