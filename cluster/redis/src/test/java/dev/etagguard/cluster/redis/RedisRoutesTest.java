package dev.etagguard.cluster.redis;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.etagguard.cluster.servers.RedisServer;
import dev.etagguard.testing.SharedStoreRoutes;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@code sharedStore=redis} configured by options on every route, against one real redis-server. */
class RedisRoutesTest extends SharedStoreRoutes {

  private static RedisServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = RedisServer.start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Override
  protected Map<String, String> storeOptions(Route route) {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("sharedStore", "redis");
    options.put("redisAddress", server.address());
    options.put("redisKeyPrefix", namespace + ":");
    options.put("redisTimeout", "1s");
    return options;
  }

  @Override
  protected Map<Map<String, String>, String> misconfigurations(Route route) {
    return Map.of(
        Map.of("redisKeyPrefix", "{x}"), "Invalid value '{x}' for ETag Guard option 'redisKeyPrefix'",
        Map.of("redisAddress", "localhost:6379"), "Invalid value 'localhost:6379' for ETag Guard option 'redisAddress'",
        Map.of("leaseTime", "10ms"), "for ETag Guard option 'leaseTime'");
  }

  @Override
  protected void stopStore() throws Exception {
    server.stop();
  }

  @Override
  protected void startStore() throws Exception {
    server.startAgain();
  }
}
