package dev.etagguard.samples.springwiki;

import dev.etagguard.samples.launcher.SampleMain;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * The Spring Boot wiki: {@code java -jar etag-guard-spring-boot-wiki.jar --server.port=N}. Binds to
 * 127.0.0.1 unless {@code --server.address} says otherwise, and prints
 * {@code Listening on http://127.0.0.1:PORT/} once it serves, like the other samples.
 */
@SpringBootApplication
public class SpringBootWikiApplication {

  /** Starts the wiki. */
  public static void main(String[] args) {
    SpringApplication.run(SpringBootWikiApplication.class, args);
  }

  /** The ready line, once the application's own web server (not a management one) is up. */
  @Bean
  ApplicationListener<WebServerInitializedEvent> readyLine(Environment environment) {
    return event -> {
      if (event.getApplicationContext().getServerNamespace() == null) {
        String host = environment.getProperty("server.address", "127.0.0.1");
        SampleMain.printReadyLine(host, event.getWebServer().getPort());
      }
    };
  }
}
