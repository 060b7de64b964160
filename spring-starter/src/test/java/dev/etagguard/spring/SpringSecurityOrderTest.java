package dev.etagguard.spring;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.etagguard.spi.GuardListener;
import dev.etagguard.spi.ResourceKey;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * ETag Guard's filter order against Spring Security's, over HTTP on Tomcat: Security (order -100)
 * runs first, so an unauthenticated client gets 401 before any 428 or 412 and learns no ETag,
 * ETag Guard decides with the user's authentication in place, and its internal GET (a forward
 * through Security again) is authorized as the same user.
 */
@SpringBootTest(classes = SpringSecurityOrderTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"server.address=127.0.0.1", "etag-guard.guarded-paths=/docs/*"})
class SpringSecurityOrderTest {

  private static final String BOB = "Basic " + Base64.getEncoder().encodeToString(
      "bob:bob-secret".getBytes(StandardCharsets.UTF_8));

  @LocalServerPort
  int port;

  @Autowired
  Documents documents;

  @Autowired
  Witness witness;

  @BeforeEach
  void reset() {
    witness.seen.clear();
  }

  @Test
  void anUnauthenticatedWriteGets401NotTheGuards428Or412() throws Exception {
    documents.docs.put("anon", "secret plan".getBytes(StandardCharsets.UTF_8));
    HttpResponse<byte[]> unconditional = put(uri("/docs/anon"), "overwrite");
    assertThat(unconditional.statusCode()).isEqualTo(401);
    HttpResponse<byte[]> conditional = put(uri("/docs/anon"), "overwrite", "If-Match", "\"guess\"");
    assertThat(conditional.statusCode()).isEqualTo(401);
    assertThat(header(conditional, "ETag")).isNull();
    HttpResponse<byte[]> read = get(uri("/docs/anon"), "If-None-Match", "\"guess\"");
    assertThat(read.statusCode()).isEqualTo(401);
    assertThat(header(read, "ETag")).isNull();
    assertThat(witness.seen).as("ETag Guard never saw these requests").isEmpty();
  }

  @Test
  void theGuardDecidesAsTheAuthenticatedUser() throws Exception {
    HttpResponse<byte[]> r = put(uri("/docs/bob"), "draft", "Authorization", BOB);
    assertThat(r.statusCode()).isEqualTo(428);
    assertThat(header(r, "Content-Type")).startsWith("application/problem+json");
    assertThat(witness.seen).containsExactly("bob PRECONDITION_REQUIRED");
  }

  @Test
  void theInternalGetRunsAsTheSameUser() throws Exception {
    // The guard has never seen this document: to check If-Match it GETs it through the
    // application, Spring Security included. Run anonymously, that GET would be refused, the
    // state unknown, and the write 412.
    documents.docs.put("cold", "version 1".getBytes(StandardCharsets.UTF_8));
    HttpResponse<byte[]> r = put(uri("/docs/cold"), "version 2", "Authorization", BOB,
        "If-Match", TestApps.generatedTag("version 1"));
    assertThat(r.statusCode()).isEqualTo(204);
    assertThat(new String(documents.docs.get("cold"), StandardCharsets.UTF_8)).isEqualTo("version 2");
    HttpResponse<byte[]> stale = put(uri("/docs/cold"), "version 3", "Authorization", BOB,
        "If-Match", TestApps.generatedTag("version 1"));
    assertThat(stale.statusCode()).isEqualTo(412);
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /** Records who was authenticated when ETag Guard decided. */
  static final class Witness implements GuardListener {
    final List<String> seen = new CopyOnWriteArrayList<>();

    @Override
    public void onDecision(ResourceKey key, String method, Decision decision) {
      Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
      seen.add((authentication == null ? "nobody" : authentication.getName()) + " " + decision);
    }
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import(Documents.class)
  static class App {

    @Bean
    SecurityFilterChain api(HttpSecurity http) throws Exception {
      return http.authorizeHttpRequests(requests -> requests.anyRequest().authenticated())
          .httpBasic(Customizer.withDefaults())
          .csrf(AbstractHttpConfigurer::disable)
          .build();
    }

    @Bean
    UserDetailsService users() {
      return new InMemoryUserDetailsManager(User.withUsername("bob").password("{noop}bob-secret").roles("EDITOR").build());
    }

    @Bean
    Witness witness() {
      return new Witness();
    }
  }
}
