package dev.etagguard.proxy;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;

import dev.etagguard.cluster.servers.RedisServer;
import dev.etagguard.testing.LostUpdateDrill;

import org.junit.jupiter.api.Test;

/**
 * Several proxies in front of one service (the Python upstream) share the guard's state through
 * Redis, configured by options alone ({@code sharedStore=redis}): the lost-update drill across
 * three proxies loses nothing.
 */
class ProxyClusterTest {

  @Test
  void threeProxiesSharingRedisLoseNoUpdate() throws Exception {
    RedisServer redis = RedisServer.start();
    try (PythonUpstream upstream = PythonUpstream.start();
        ETagGuardProxy a = proxy(upstream, redis);
        ETagGuardProxy b = proxy(upstream, redis);
        ETagGuardProxy c = proxy(upstream, redis)) {
      List<URI> counters = List.of(a.uri().resolve("/counters/c"), b.uri().resolve("/counters/c"),
          c.uri().resolve("/counters/c"));
      LostUpdateDrill.Report report = LostUpdateDrill.across(counters).clients(6).incrementsEach(5).run();
      assertThat(report.successes()).isEqualTo(30);
      assertThat(text(get(counters.get(1)))).isEqualTo("30");
    } finally {
      redis.stop();
    }
  }

  private static ETagGuardProxy proxy(PythonUpstream upstream, RedisServer redis) throws Exception {
    return ETagGuardProxy.builder().upstream(upstream.base().toString()).port(0)
        .guardOption("guardedPaths", "/counters/*").guardOption("sharedStore", "redis")
        .guardOption("redisAddress", redis.address()).build().start();
  }
}
