package dev.etagguard.jetty;

import java.net.URI;

import dev.etagguard.testing.ServerUnderTest;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** An embedded Jetty on a free loopback port with a given handler tree, for tests. */
final class JettyServer implements ServerUnderTest {

  private final Server server = new Server();
  private final ServerConnector connector = new ServerConnector(server);

  JettyServer(Handler handler) throws Exception {
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    server.setHandler(handler);
    server.start();
  }

  @Override
  public URI base() {
    return URI.create("http://127.0.0.1:" + connector.getLocalPort());
  }

  int port() {
    return connector.getLocalPort();
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
