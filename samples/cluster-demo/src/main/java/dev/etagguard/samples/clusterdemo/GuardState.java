package dev.etagguard.samples.clusterdemo;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.etagguard.GuardEngine;
import dev.etagguard.cluster.postgres.PostgresCluster;
import dev.etagguard.cluster.redis.RedisCluster;
import dev.etagguard.cluster.servers.Binaries;
import dev.etagguard.cluster.servers.PostgresServer;
import dev.etagguard.cluster.servers.RedisServer;
import dev.etagguard.settings.GuardSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * Where the three instances keep the guard's state (validators and write permits), the demo's
 * {@code --store}: {@value #REDIS} (one Redis for all, {@link RedisCluster}), {@value #POSTGRES} (one
 * PostgreSQL for all, {@link PostgresCluster}) or {@value #LOCAL} (each instance its own in-process
 * store and permits: guarding alone, as without the cluster modules). Only the server the store
 * needs is started. Each instance gets an engine, and a Redis client or a connection pool, of its
 * own, as separate processes would; all of it is registered with the run's {@link Closer}. Not
 * thread-safe.
 */
final class GuardState {

    /** The state in one Redis. */
    static final String REDIS = "redis";

    /** The state in one PostgreSQL. */
    static final String POSTGRES = "postgres";

    /** Each instance's state in its own memory. */
    static final String LOCAL = "local";

    /** The stores, the default first. */
    static final List<String> STORES = List.of(REDIS, POSTGRES, LOCAL);

    private final String description;
    private final Function<GuardSettings, GuardEngine> engines;

    private GuardState(String description, Function<GuardSettings, GuardEngine> engines) {
        this.description = description;
        this.engines = engines;
    }

    /**
     * Starts the server {@code store} needs, in {@code work}; its binaries are installed into the
     * user's cache ({@link Binaries#inUserCache}, {@code ~/.cache/etag-guard-cluster-demo}) once.
     *
     * @param work the run's temporary directory
     * @param closer where the server is registered before it is launched, and later each instance's
     *     client and engine
     * @throws IllegalStateException when the server does not start
     */
    static GuardState start(String store, Path work, Closer closer) throws Exception {
        return switch (store) {
            case REDIS -> {
                RedisServer redis = closer.add(RedisServer.create(binaries(work), work));
                redis.startAgain();
                yield new GuardState("Redis " + RedisServer.VERSION + " on 127.0.0.1:" + redis.port(),
                        settings -> onRedis(redis, settings, closer));
            }
            case POSTGRES -> {
                PostgresServer postgres = closer.add(PostgresServer.create(binaries(work), work));
                postgres.startAgain();
                yield new GuardState("PostgreSQL " + postgres.version() + " on 127.0.0.1:" + postgres.port(),
                        settings -> onPostgres(postgres, settings, closer));
            }
            case LOCAL -> new GuardState("each instance its own in-process store and write permits",
                    settings -> closer.add(GuardEngine.create(settings)));
            default -> throw new IllegalArgumentException("unknown store '" + store + "'");
        };
    }

    private static Binaries binaries(Path work) throws IOException {
        Binaries binaries = Binaries.inUserCache("etag-guard-cluster-demo", work);
        if (binaries.directory().startsWith(work)) {
            System.err.println("etag-guard-cluster-demo: the user's cache cannot be written; the servers are unpacked "
                    + "into " + work + " for this run only");
        }
        return binaries;
    }

    /** What keeps the state, for the output. */
    String description() {
        return description;
    }

    /** A new instance's engine with {@code settings}, on its own client of the shared server. */
    GuardEngine engine(GuardSettings settings) {
        return engines.apply(settings);
    }

    private static GuardEngine onRedis(RedisServer redis, GuardSettings settings, Closer closer) {
        Config config = new Config();
        config.setThreads(2).setNettyThreads(4);
        // Short timeouts, as the README advises: while Redis is unreachable, writes get 503 quickly.
        config.useSingleServer().setAddress(redis.address()).setTimeout(3000).setConnectTimeout(3000)
                .setRetryAttempts(0).setConnectionMinimumIdleSize(2).setConnectionPoolSize(16);
        RedissonClient client = Redisson.create(config);
        // No quiet period: nothing is in flight once the instances have stopped.
        closer.add(() -> client.shutdown(0, 5, TimeUnit.SECONDS));
        RedisCluster cluster = closer.add(RedisCluster.builder(client).keyPrefix("cluster-demo:").build());
        return closer.add(cluster.engine(settings));
    }

    private static GuardEngine onPostgres(PostgresServer postgres, GuardSettings settings, Closer closer) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(postgres.jdbcUrl());
        config.setUsername("postgres");
        config.setMaximumPoolSize(8);
        config.setConnectionTimeout(5000);
        HikariDataSource pool = closer.add(new HikariDataSource(config));
        // The first instance creates the tables and the sequence; the others find them.
        PostgresCluster cluster = closer.add(PostgresCluster.builder(pool).build());
        return closer.add(cluster.engine(settings));
    }
}
