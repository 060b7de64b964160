package dev.etagguard.cluster.redis;

import java.time.Duration;

import dev.etagguard.testing.ClusterScenarios;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/** The scale-out scenarios on a real redis-server, each instance with its own Redisson client. */
class RedisClusterScenariosTest extends ClusterScenarios {

  private static RedisServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = RedisServer.start();
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  /** A client with short timeouts, as the module's documentation advises (generous for a loaded build machine). */
  static RedissonClient client(String address) {
    Config config = new Config();
    config.setThreads(2).setNettyThreads(4);
    config.useSingleServer().setAddress(address).setTimeout(3000).setConnectTimeout(3000).setRetryAttempts(0)
        .setConnectionMinimumIdleSize(2).setConnectionPoolSize(16).setSubscriptionConnectionMinimumIdleSize(0)
        .setSubscriptionConnectionPoolSize(1);
    return Redisson.create(config);
  }

  @Override
  protected Node node(String namespace, Duration leaseTime, boolean renewLease) {
    RedissonClient redisson = client(server.address());
    RedisCluster cluster = RedisCluster.builder(redisson).keyPrefix(namespace + ":").leaseTime(leaseTime)
        .renewLease(renewLease).build();
    return new Node(cluster.store(), cluster.sequencer(), () -> {
      cluster.close();
      redisson.shutdown();
    });
  }

  @Override
  protected void stopEngine() throws Exception {
    server.stop();
  }

  @Override
  protected void startEngine() throws Exception {
    server.startAgain();
  }
}
