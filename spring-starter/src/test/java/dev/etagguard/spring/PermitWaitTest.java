package dev.etagguard.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.etagguard.GuardEngine;
import dev.etagguard.spi.GuardListener;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.testing.LostUpdateDrill;
import dev.etagguard.testing.Permits;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.http.ResponseEntity;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Behind the starter, with Spring Security in front (Boot maps both, and its own filters, for
 * ASYNC dispatches too), writes waiting for their resource's permit hold no Tomcat thread (issue
 * 18 #1): with 4 request threads, a dozen writes queued behind a slow one leave the server free
 * to answer other requests, and each queued write runs later, in the ASYNC dispatch that resumes
 * it, authenticated as its own user and decided by the guard as that user, through plain and
 * {@code DeferredResult} controller methods; and 32 writers of one counter on those 4 threads
 * lose no update and no content.
 */
@SpringBootTest(classes = PermitWaitTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"server.address=127.0.0.1", "server.tomcat.threads.max=4", "etag-guard.permit-timeout=20s"})
class PermitWaitTest {

  private static final int QUEUED = 12;

  private static final String BOB = "Basic " + Base64.getEncoder().encodeToString(
      "bob:bob-secret".getBytes(StandardCharsets.UTF_8));

  @LocalServerPort
  int port;

  @Autowired
  GuardEngine engine;

  @Autowired
  Slow slow;

  @Autowired
  Witness witness;

  @Autowired
  DeferredRuns deferredRuns;

  @Test
  void queuedWritesLeaveTheThreadsFree() throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    List<CompletableFuture<HttpResponse<String>>> writes = new ArrayList<>();
    writes.add(put(client, "first", false));
    assertThat(Permits.awaitHeld(engine.sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
    for (int i = 0; i < QUEUED; i++) {
      writes.add(put(client, "w" + i, i % 2 == 1));
    }
    assertThat(Permits.awaitWaiting(engine.sequencer(), QUEUED, Duration.ofSeconds(10))).isEqualTo(QUEUED);
    HttpResponse<String> other = client.send(HttpRequest.newBuilder(uri("/other")).header("Authorization", BOB)
        .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(other.statusCode()).as("answered while %d writes wait", QUEUED).isEqualTo(200);
    slow.release.countDown();
    for (CompletableFuture<HttpResponse<String>> write : writes) {
      assertThat(write.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
    assertThat(slow.written).hasSize(QUEUED + 1);
    // The ASYNC dispatch of a resumed write's DeferredResult is the container's: a filter that
    // skips async dispatches runs once per deferred write (the resumed dispatch), not twice.
    assertThat(deferredRuns.count).as("filter runs for the deferred writes").hasValue(QUEUED / 2);
    assertThat(slow.users).as("each write ran as its user").hasSize(QUEUED + 1).containsOnly("bob");
    // Each write is reported decided once; a DeferredResult write when its async processing ends,
    // outside its request's security context, the others on their request's thread, as their user.
    assertThat(witness.seen).as("decisions reported").hasSize(QUEUED + 1);
    assertThat(witness.seen.stream().filter("bob"::equals).count()).as("decided as its user").isEqualTo(QUEUED / 2 + 1);
    assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).isZero();
  }

  /** Many writers on one key, on 4 threads: every write's content arrives, no If-Match wins twice. */
  @Test
  void suspendedWritersLoseNoUpdate() throws Exception {
    LostUpdateDrill.Report report = LostUpdateDrill.across(List.of(uri("/counter/c"))).clients(32).incrementsEach(4).run();
    assertThat(report.successes()).isEqualTo(32 * 4);
    assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).isZero();
  }

  /** A PUT of {@code body}; with {@code deferred}, to the controller method that answers with a {@code DeferredResult}. */
  private CompletableFuture<HttpResponse<String>> put(HttpClient client, String body, boolean deferred) {
    return client.sendAsync(HttpRequest.newBuilder(uri("/slow/doc" + (deferred ? "?deferred" : ""))).header("Authorization", BOB)
        .header("Content-Type", "text/plain").timeout(Duration.ofSeconds(30))
        .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /** PUT /slow/{id} waits for the test's latch, then records the body and who wrote it. */
  @RestController
  static class Slow {
    final CountDownLatch release = new CountDownLatch(1);
    final Map<String, String> written = new ConcurrentHashMap<>();
    final List<String> users = new CopyOnWriteArrayList<>();

    @PutMapping("/slow/{id}")
    ResponseEntity<String> put(@PathVariable String id, @RequestBody String body) throws InterruptedException {
      Authentication user = SecurityContextHolder.getContext().getAuthentication();
      users.add(user == null ? "nobody" : user.getName());
      if (!release.await(20, TimeUnit.SECONDS)) {
        return ResponseEntity.internalServerError().build();
      }
      written.put(body, id);
      return ResponseEntity.ok("stored");
    }

    /** The same, answered from another thread once stored (Spring MVC async processing). */
    @PutMapping(path = "/slow/{id}", params = "deferred")
    DeferredResult<ResponseEntity<String>> putDeferred(@PathVariable String id, @RequestBody String body) {
      Authentication user = SecurityContextHolder.getContext().getAuthentication();
      users.add(user == null ? "nobody" : user.getName());
      DeferredResult<ResponseEntity<String>> result = new DeferredResult<>(20_000L);
      CompletableFuture.runAsync(() -> {
        written.put(body, id);
        result.setResult(ResponseEntity.ok("stored"));
      });
      return result;
    }

    @GetMapping("/other")
    String other() {
      return "other";
    }
  }

  /** GET and PUT /counter/{id}: the drill's counter, open to anyone. */
  @RestController
  static class Counter {
    final Map<String, String> values = new ConcurrentHashMap<>();

    @GetMapping("/counter/{id}")
    ResponseEntity<String> get(@PathVariable String id) {
      String value = values.get(id);
      return value == null ? ResponseEntity.notFound().build() : ResponseEntity.ok(value);
    }

    @PutMapping("/counter/{id}")
    ResponseEntity<Void> put(@PathVariable String id, @RequestBody String body) {
      return values.put(id, body) == null ? ResponseEntity.status(201).build() : ResponseEntity.noContent().build();
    }
  }

  /** Counts the runs, for deferred writes, of a filter that skips ASYNC dispatches (as OncePerRequestFilter does by default). */
  static final class DeferredRuns extends OncePerRequestFilter {
    final AtomicInteger count = new AtomicInteger();

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
        throws ServletException, IOException {
      if ("PUT".equals(request.getMethod()) && request.getParameter("deferred") != null) {
        count.incrementAndGet();
      }
      chain.doFilter(request, response);
    }
  }

  /** Records who was authenticated when ETag Guard decided a write. */
  static final class Witness implements GuardListener {
    final List<String> seen = new CopyOnWriteArrayList<>();

    @Override
    public void onDecision(ResourceKey key, String method, Decision decision) {
      if ("PUT".equals(method)) {
        Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
        seen.add(authentication == null ? "nobody" : authentication.getName());
      }
    }
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {

    @Bean
    SecurityFilterChain api(HttpSecurity http) throws Exception {
      return http.authorizeHttpRequests(requests -> requests.requestMatchers("/counter/**").permitAll()
              .anyRequest().authenticated())
          .httpBasic(Customizer.withDefaults())
          .csrf(AbstractHttpConfigurer::disable)
          .build();
    }

    @Bean
    UserDetailsService users() {
      return new InMemoryUserDetailsManager(User.withUsername("bob").password("{noop}bob-secret").roles("EDITOR").build());
    }

    @Bean
    DeferredRuns deferredRuns() {
      return new DeferredRuns();
    }

    @Bean
    Witness witness() {
      return new Witness();
    }

    @Bean
    Slow slow() {
      return new Slow();
    }

    @Bean
    Counter counter() {
      return new Counter();
    }
  }
}
